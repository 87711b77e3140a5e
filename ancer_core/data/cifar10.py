"""CIFAR-10 loading.

Sources, in order of preference:

1. the original release via torchvision (``data_root`` containing ``cifar-10-batches-py``);
2. for the **test** split, the copy shipped inside the package
   (``cifar10_test_jpeg.npz`` beside this module: the 10,000 test images as JPEG bytes in the original test
   order, with labels) — so the app and the tests work on a fresh clone without internet;
3. for the **train** split, a JPEG archive laid out as ``train/<class>/NNNN.jpg`` (``.tar.xz``,
   ``.tar`` or a folder), converted once to a cache (``~/.cache/ancer`` or ``$ANCER_CACHE``).

JPEG caveat: the shipped and archive copies were re-encoded as JPEG by a public mirror; pixels
differ from the original binary release by JPEG quantization (PSNR ≈ 30 dB, about 7/255 per
pixel), far below the smoothing noise but enough that numbers are not bit-identical to the
literature's.
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import torch

from ..core.validation import AncerInputError

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
SHIPPED_TEST = Path(__file__).parent / "cifar10_test_jpeg.npz"
SPLITS = ("test", "train")


def cache_dir() -> Path:
    d = Path(os.environ.get("ANCER_CACHE") or Path.home() / ".cache" / "ancer")  # set but empty: the default
    d.mkdir(parents=True, exist_ok=True)
    return d


def _decode_jpegs(blobs: list[bytes], names: list[str] | None = None) -> np.ndarray:
    """RGB uint8 (N, 32, 32, 3); an image that is not a readable 32×32 picture is an error naming it."""
    from PIL import Image, UnidentifiedImageError

    out = []
    for k, b in enumerate(blobs):
        try:
            im = np.asarray(Image.open(io.BytesIO(b)).convert("RGB"))
        except (UnidentifiedImageError, OSError, ValueError) as e:
            raise AncerInputError(f"{names[k] if names else k} cannot be decoded ({type(e).__name__})") from None
        if im.shape != (32, 32, 3):
            raise AncerInputError(
                f"{names[k] if names else k} is {im.shape[1]}×{im.shape[0]} pixels; CIFAR-10 images are 32×32 — "
                "use the CIFAR-10 release or its JPEG copy, not resized images"
            )
        out.append(im)
    return np.stack(out)


def _shipped_test() -> tuple[np.ndarray, np.ndarray]:
    cached = cache_dir() / "cifar10_test_shipped_u8.npz"
    if cached.is_file() and cached.stat().st_mtime >= SHIPPED_TEST.stat().st_mtime:
        with np.load(cached) as z:
            return z["x"], z["y"]
    with np.load(SHIPPED_TEST) as z:
        off, data, y = z["offsets"], z["data"], z["labels"].astype(np.int64)
    x = _decode_jpegs([data[off[i] : off[i + 1]].tobytes() for i in range(len(y))])
    tmp = cached.with_suffix(".tmp.npz")
    np.savez(tmp, x=x, y=y)
    tmp.replace(cached)
    return x, y


def _from_torchvision(root: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    import torchvision

    try:  # torchvision checks every file's MD5 against the release before it unpickles it: no planted file runs
        ds = torchvision.datasets.CIFAR10(str(root), train=(split == "train"), download=False)
    except Exception as e:
        raise AncerInputError(
            f"{root / 'cifar-10-batches-py'} is not the original CIFAR-10 release: a file is missing, altered or "
            f"unreadable ({type(e).__name__}); download it again from https://www.cs.toronto.edu/~kriz/cifar.html"
        ) from None
    return np.asarray(ds.data), np.asarray(ds.targets, dtype=np.int64)


def _from_jpeg_archive(archive: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read ``<split>/<class>/NNNN.jpg`` from a .tar(.xz) or folder; class-major order (the
    original order within each class). Cached as uint8 arrays after the first read, keyed by the
    archive's name, size and modification time."""
    st = archive.stat()  # the archive's size and time in the name: another file of the same name is not reused
    cached = cache_dir() / f"cifar10_{split}_{archive.name}_{st.st_size}_{st.st_mtime_ns}.npz"
    if cached.is_file():
        with np.load(cached) as z:
            return z["x"], z["y"]
    blobs: dict[tuple[int, str], bytes] = {}
    if archive.is_dir():
        for c, name in enumerate(CLASSES):
            for f in sorted((archive / split / name).glob("*.jpg")):
                blobs[(c, f.name)] = f.read_bytes()
    else:
        try:
            with tarfile.open(archive) as tf:
                for m in tf:
                    parts = Path(m.name).parts
                    if m.isfile() and len(parts) >= 3 and parts[-3] == split and parts[-2] in CLASSES:
                        blobs[(CLASSES.index(parts[-2]), parts[-1])] = tf.extractfile(m).read()
        except (tarfile.TarError, OSError, EOFError) as e:
            raise AncerInputError(
                f"{archive} is not a readable tar archive ({type(e).__name__}); give the CIFAR-10 release folder or "
                "the JPEG archive (.tar.xz) unchanged"
            ) from None
    if not blobs:
        raise AncerInputError(
            f"no CIFAR-10 {split} images found in {str(archive)!r}; expected "
            f"{split}/<class>/NNNN.jpg entries (see README, 'Data')"
        )
    keys = sorted(blobs)
    x = _decode_jpegs([blobs[k] for k in keys], [f"{archive}: {split}/{CLASSES[c]}/{f}" for c, f in keys])
    y = np.array([k[0] for k in keys], dtype=np.int64)
    np.savez(cached, x=x, y=y)
    return x, y


def load_cifar10_arrays(
    split: str = "test", data_root: str | os.PathLike | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, 32, 32, 3) and int64 labels. See the module docstring for the sources."""
    if split not in SPLITS:
        raise AncerInputError(f"split={split!r}; use one of {SPLITS}")
    if data_root is not None:
        root = Path(data_root)
        if (root / "cifar-10-batches-py").is_dir():
            return _from_torchvision(root, split)
        if root.is_file() or (root / split).is_dir():
            return _from_jpeg_archive(root, split)
        raise AncerInputError(
            f"data root {str(root)!r} holds neither the original CIFAR-10 release "
            f"(cifar-10-batches-py/) nor a JPEG copy ({split}/<class>/*.jpg or a .tar.xz of it); give the folder "
            "that holds one of them"
        )
    if split == "test":
        return _shipped_test()
    raise AncerInputError(
        "the train split is not shipped: pass data_root= (CLI: --data-root) pointing at the "
        "original CIFAR-10 release or at a JPEG archive such as cifar10-jpeg.tar.xz"
    )


def to_tensor(x_u8: np.ndarray) -> torch.Tensor:
    """uint8 (N, H, W, 3) → float (N, 3, H, W) in [0, 1]."""
    return torch.from_numpy(x_u8).permute(0, 3, 1, 2).float().div_(255.0)


def load_cifar10(split: str = "test", data_root: str | os.PathLike | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """CIFAR-10 images (N×3×32×32 float in [0, 1]) and labels (N, int64), original order for the
    test split. Works offline on a fresh clone for ``split="test"``."""
    x, y = load_cifar10_arrays(split, data_root)
    return to_tensor(x), torch.from_numpy(y)


def parse_indices(spec: str, n: int) -> list[int]:
    """``"start:stop:step"`` (Python slice semantics), a single index, or a comma list of these.
    A range that reaches past the data set is refused rather than clipped."""
    out: list[int] = []
    try:
        for part in str(spec).split(","):
            part = part.strip()
            if ":" in part:
                bounds = [int(p) if p else None for p in part.split(":")]
                if any(b is not None and not -n <= b <= n for b in bounds[:2]):
                    raise AncerInputError(
                        f"--indices {spec!r}: {part!r} reaches past the {n} images (indices "
                        f"0…{n - 1}); use a stop of at most {n}, e.g. {bounds[0] or 0}:{n}"
                    )
                out.extend(range(n)[slice(*bounds)])
            else:
                i = int(part)
                if not -n <= i < n:
                    raise IndexError
                out.append(i % n)
    except AncerInputError:
        raise
    except (ValueError, IndexError, TypeError):
        raise AncerInputError(
            f"--indices {spec!r}: use start:stop:step (e.g. 0:500:20), an index, or a comma "
            f"list of these, within 0…{n - 1}"
        ) from None
    if not out:
        raise AncerInputError(
            f"--indices {spec!r} selects no image (there are {n}); use start:stop:step with start < stop, e.g. 0:500:20"
        )
    if len(set(out)) != len(out):
        seen: set[int] = set()
        first = next(i for i in out if i in seen or seen.add(i))
        extra = len(out) - len(set(out)) - 1
        raise AncerInputError(
            f"--indices {spec!r} names image {first}{f' (and {extra} more)' if extra else ''} more than once; "
            "each image is certified once per file: give ranges that do not overlap"
        )
    return out
