"""The live page's image: a CIFAR-10 test image (from the gallery or by index) or your own."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from ancer_core.core.errors import AncerInputError
from ancer_core.data import CLASSES
from ancer_core.data.images import bundled_photos, prepare_image

from .. import figures, keys, resources
from ..session import test_image_name


def class_pool(y_all: np.ndarray, cls: str) -> np.ndarray:
    return np.arange(len(y_all)) if cls == "all" else np.flatnonzero(y_all == CLASSES.index(cls))


def pick(i: int):
    st.session_state[keys.IMAGE_INDEX] = int(i)


def gallery(where, pool: np.ndarray, cls: str, y_all: np.ndarray, per_page: int = 24) -> None:
    """The test images of the class filter, 24 a page, each with a pick button; filled only while open (a
    closed gallery sends nothing to the browser, so a student's first page is not waiting for it)."""
    box = where.expander(f"gallery: {len(pool):,} images ({cls})", key=keys.GALLERY_OPEN, on_change="rerun")
    if not box.open:
        return
    with box:
        pages = max(1, (len(pool) + per_page - 1) // per_page)
        page = int(st.number_input("gallery page", 1, pages, 1, help=f"{pages} pages of {per_page}")) - 1
        cols = st.columns(8)
        for k, i in enumerate(pool[page * per_page : (page + 1) * per_page]):
            with cols[k % 8]:
                st.image(resources.thumbnail(int(i)), caption=f"#{i} {CLASSES[int(y_all[i])]}", width=64)
                st.button("pick", key=f"pick{i}", on_click=pick, args=(int(i),))


@dataclass
class Image:
    """The image to certify: a CIFAR-10 test image or the user's own."""

    x: torch.Tensor  # (1, 3, 32, 32) in [0, 1]
    name: str
    idx: int  # test index, or the seed index of an own image
    label: int | None


def test_image(idx: int, x_all: torch.Tensor, y_all: np.ndarray) -> Image:
    return Image(x_all[idx : idx + 1], test_image_name(idx), idx, int(y_all[idx]))


@st.cache_data(show_spinner=False)
def _bundled() -> dict[str, bytes]:
    return bundled_photos()


def own_image(where) -> Image | None:
    """Your own image: an upload or a bundled photo, shown before and after the crop and resize."""
    where.subheader("Your own image")
    u1, u2 = where.columns([2, 1])
    photos = _bundled()
    choice = u2.radio("or a bundled photo (not from CIFAR-10)", ["upload"] + list(photos), key="own_pick")
    up = u1.file_uploader(
        "PNG or JPEG, any size (centre-cropped and resized to 32×32)", type=["png", "jpg", "jpeg"], key="own_upload"
    )
    if choice == "upload" and up is None:
        where.info("Upload an image or pick a bundled photo.")
        return None
    data, name = (up.getvalue(), up.name) if choice == "upload" else (photos[choice], choice)
    try:
        img = prepare_image(data)
    except AncerInputError as e:
        where.error(f"Cannot use this file: {e}")
        return None
    b1, b2, b3 = where.columns([2, 1, 3])
    b1.image(img.original, caption=f"{name}: {img.original.shape[1]}×{img.original.shape[0]} as given", width=220)
    b2.image(figures.rgb(img.x.numpy()), caption="32×32, what the model sees", width=128)
    b3.caption(
        "No label: the models were trained on the ten CIFAR-10 classes, so the prediction is the class "
        "it resembles most, and the certificates say how stable that answer is. "
        + ("; ".join(img.notes).capitalize() + "." if img.notes else "")
    )
    return Image(img.x[None], name, 10_000 + zlib.crc32(data) % 1_000_000, None)
