"""Your own image: a PNG or JPEG of any size as a 32×32 input (centre crop, then resize), with
clear errors for files that are not a single still image, and a few bundled photos that are not
from CIFAR-10."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..core.validation import AncerInputError

MAX_BYTES = 20 * 1024 * 1024
MAX_PIXELS = 40_000_000  # well below Pillow's decompression-bomb limit
FORMATS = ("PNG", "JPEG")
EXIF_ORIENTATION = 0x0112


@dataclass
class PreparedImage:
    """An image ready for the 32×32 models, with what was done to it."""

    x: torch.Tensor  # (3, size, size) float in [0, 1]
    original: np.ndarray  # the decoded image (H, W, 3) uint8, before cropping
    notes: list[str] = field(default_factory=list)  # conversions made, in words


MIN_SIDE = 8  # pixels: a smaller image has next to nothing to show at 32 × 32
MAX_ASPECT = 16  # a longer strip keeps a sliver of itself in the centre crop


def prepare_image(data: bytes, size: int = 32) -> PreparedImage:
    """Decode a PNG/JPEG, refuse what is not a single still image or is too large, convert
    grayscale (copied to R, G, B) and transparency (composited on white) with a note, centre-crop
    to a square and resize to ``size`` × ``size``."""
    if len(data) > MAX_BYTES:
        raise AncerInputError(f"the file is {len(data) / 2**20:.1f} MB; use an image under {MAX_BYTES // 2**20} MB")
    too_big = f"use an image under {MAX_PIXELS:,} pixels"
    try:
        im = Image.open(io.BytesIO(data))  # reads the header only
        if im.format not in FORMATS:
            raise AncerInputError(f"this is a {im.format} image; use a PNG or JPEG")
        if getattr(im, "is_animated", False) and getattr(im, "n_frames", 1) > 1:
            raise AncerInputError(f"this is an animated image ({im.n_frames} frames); use a single still image")
        w, h = im.size
        if w * h > MAX_PIXELS:
            raise AncerInputError(f"the image has {w * h:,} pixels; {too_big}")
        if min(w, h) < MIN_SIDE or max(w, h) > MAX_ASPECT * min(w, h):
            raise AncerInputError(
                f"the image is {w:,} × {h:,} pixels: its centre square ({min(w, h)} × {min(w, h)}) would be "
                f"{'too small' if min(w, h) < MIN_SIDE else 'a sliver of it'}; use an image at least {MIN_SIDE} pixels "
                f"on each side whose sides differ by at most ×{MAX_ASPECT}"
            )
        im.load()
    except Image.DecompressionBombError:
        raise AncerInputError(f"the image is too large to decode safely; {too_big}") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, AncerInputError):
            raise
        raise AncerInputError(
            f"this file is not an image Pillow can read ({type(e).__name__}); use a PNG or JPEG"
        ) from None
    notes = []
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grayscale (a PNG's only 32-bit-integer mode): Pillow's convert("RGB") would clip every value above
        # 255 to white; scale the full 16-bit range onto 0–255 instead
        wide = np.asarray(im, dtype=np.float64)
        im = Image.fromarray(np.clip(np.round(wide / 257.0), 0, 255).astype(np.uint8), "L")
        notes.append("it has 16 bits per pixel: scaled to 8 bits (0–65535 → 0–255)")
        w, h = im.size
    elif im.mode == "F":
        raise AncerInputError("this image holds floating-point pixels; save it as an 8- or 16-bit PNG or a JPEG")
    if im.getexif().get(EXIF_ORIENTATION, 1) != 1:  # a camera's rotation flag: the photo the way it was taken
        im = ImageOps.exif_transpose(im)
        notes.append("turned as its EXIF orientation says")
        w, h = im.size
    if im.mode == "CMYK":
        notes.append("it is CMYK: converted to RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
        notes.append("it has transparency: composited on white")
    if im.mode in ("L", "LA", "1"):
        notes.append("it is grayscale: the gray value copied to R, G and B (the models were trained on colour)")
    rgb = im.convert("RGB")
    side = min(w, h)
    if w != h:
        notes.append(f"{w}×{h}: centre-cropped to {side}×{side}")
    left, top = (w - side) // 2, (h - side) // 2
    small = rgb.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.LANCZOS)
    if side != size:
        notes.append(f"resized to {size}×{size}")
    x = torch.from_numpy(np.asarray(small, dtype=np.float32) / 255.0).permute(2, 0, 1).contiguous()
    return PreparedImage(x, np.asarray(rgb), notes)


def bundled_photos() -> dict[str, bytes]:
    """A few photos that are not from CIFAR-10 (crops of scikit-learn's two sample photographs,
    which ship with it), as JPEG bytes keyed by a description."""
    from sklearn.datasets import load_sample_images

    china, flower = load_sample_images().images
    crops = {
        "a temple roof (photo)": china[20:340, 160:480],
        "a flower (photo)": flower[60:420, 120:480],
        "a tree and sky (photo)": china[0:200, 0:200],
    }
    out = {}
    for name, arr in crops.items():
        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(arr)).save(buf, format="JPEG", quality=95)
        out[name] = buf.getvalue()
    return out
