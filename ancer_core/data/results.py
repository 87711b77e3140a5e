"""Result files of ``certify`` (the paper's tables made from them are in :mod:`.tables`).

A result file is tab-separated. Its first eight columns are exactly those of the original
package — ``idx label predict radius radius_proxy correct min_sigma time`` — followed by
``p_lower gap``. ``radius`` = min θ · gap (largest enclosed isotropic ℓp ball), ``radius_proxy``
= GM(θ) · gap, ``min_sigma`` = min θ (σ for Gaussian, the half-width λ for uniform noise),
``time`` = CERTIFY seconds per image (amortized over the images certified together; optimization
excluded, as in the original). A memory-based run (``certify --memory``) adds ``theta_of``: the
test index whose θ the row's region has (its own, or an earlier image's whose region it lies in),
which is what rebuilds the memory when the run resumes. The column names are the original
scripts' (``min_sigma`` holds min θ, which is λ, not σ, for uniform noise). The settings that made
the file are in ``FILE.tsv.json`` beside it (:func:`settings_path`).

Rows are appended one ``write`` at a time and flushed, so an interrupted run leaves a valid file;
a torn last line (killed mid-write) is dropped when the run resumes or the file is read.

:func:`export_results` writes one image's run (all methods) as JSON + a NumPy archive of θ.
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from ..core.protocol import MethodResult
from ..core.sequential import STOP_REASONS
from ..core.validation import AncerInputError
from .cifar10 import CLASSES
from .records import RESUME_KEYS, describe_diff, read_settings, settings_diff, settings_path

COLUMNS = ("idx", "label", "predict", "radius", "radius_proxy", "correct", "min_sigma", "time")
# the column that holds min θ keeps the original scripts' name "min_sigma", though for uniform noise θ is
# the half-width λ, not σ: code reads it through this name
MIN_THETA_COLUMN = "min_sigma"
EXTRA_COLUMNS = ("p_lower", "gap")
MEMORY_COLUMNS = ("theta_of",)
# a sequential run's (certify --sampling sequential): estimation samples drawn, and why it stopped
# (core.sequential.STOP_REASONS); a fixed run's file has neither, as before sequential sampling existed
SEQUENTIAL_COLUMNS = ("samples", "stop")
HEADER = "\t".join(COLUMNS + EXTRA_COLUMNS)
TEXT_COLUMNS = ("stop",)


def header_for(memory: bool = False, sequential: bool = False) -> str:
    """The header of a result file: the original's columns, p̲A and the gap, then ``theta_of`` for a
    memory-based run and ``samples``, ``stop`` for a sequential one."""
    return "\t".join(
        COLUMNS + EXTRA_COLUMNS + (MEMORY_COLUMNS if memory else ()) + (SEQUENTIAL_COLUMNS if sequential else ())
    )


def format_row(idx: int, label: int, cert, seconds: float, memory: bool = False, sequential: bool = False) -> str:
    """One result row; ``memory``: a memory-based run's row, with ``theta_of``; ``sequential``: with the
    samples drawn and why the sampling stopped."""
    extra = [str(cert.extra.get("theta_of", idx))] if memory else []
    if sequential:
        extra += [str(cert.extra.get("samples", cert.n)), str(cert.extra.get("stop", "fixed"))]
    return "\t".join(
        [
            str(idx),
            str(label),
            str(cert.prediction),
            f"{cert.radius:.6g}",
            f"{cert.proxy_radius:.6g}",
            str(int(cert.prediction == label)),
            f"{cert.min_theta:.6g}",
            f"{seconds:.4f}",
            f"{cert.p_lower:.8g}",
            f"{cert.gap:.6g}",
            *extra,
        ]
    )


class ResultWriter:
    """Append-only, resumable TSV writer. ``done`` holds the indices already in the file, ``table``
    its rows; ``memory``: the file of a memory-based run (with ``theta_of``); ``sequential``: of a
    sequential one (with ``samples`` and ``stop``)."""

    def __init__(self, path: str | Path, settings: dict, memory: bool = False, sequential: bool = False):
        self.path = Path(path)
        self.settings = settings
        self.done: set[int] = set()
        self.header = header_for(memory, sequential)
        self.table = None
        self._fh = None
        self._fresh = True  # the file gets this run's header when its first row is written
        # every check first, writing nothing: a run refused here, or before its first row, leaves the
        # file and its settings as they were (a new output is only made with its first row)
        if self.path.is_file() and self.path.stat().st_size:
            self.table = read_results(self.path, repair=True)
            if tuple(self.table.columns) != tuple(self.header.split("\t")):
                if len(self.table):
                    raise AncerInputError(
                        f"{self.path} has the columns {list(self.table.columns)}, not those of this run "
                        f"({self.header.split()}): memory-based and plain runs, sequential and fixed sampling, never "
                        "share a file; choose another --out"
                    )
            else:
                self._fresh = False
            self.done = set(int(i) for i in self.table["idx"])
        meta = settings_path(self.path)
        if self.done and not meta.is_file():
            # without them nothing says which settings made the rows: resuming could mix two runs in one file
            raise AncerInputError(
                f"{self.path} holds rows for {len(self.done)} image(s) but its settings file {meta.name} is "
                "missing, so nothing says which settings made them; restore that file, or choose another --out, "
                f"or delete {self.path.name} to start over"
            )
        if meta.is_file() and self.done:
            diff = settings_diff(read_settings(self.path), settings, RESUME_KEYS)
            if diff:
                raise AncerInputError(
                    f"{self.path} was made with other settings (then → now: {describe_diff(diff)}); choose another "
                    "--out or delete the file to start over"
                )

    def _begin(self) -> None:
        """The first row goes ahead: the header (a new or row-less file), the settings file, the handle."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self._fresh:
            self.path.write_text(self.header + "\n", encoding="utf-8")
        settings_path(self.path).write_text(json.dumps(self.settings, indent=2, default=str), encoding="utf-8")
        self._fh = open(self.path, "a", encoding="utf-8")

    def write(self, line: str) -> None:
        if self._fh is None:
            self._begin()
        self._fh.write(line + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def sort_rows(path: str | Path) -> bool:
    """Rewrite a finished result file with its rows in test-index order, each line unchanged.

    A resumed or extended run appends images in the order it reached them; the memory reading
    (:mod:`.memory_replay`) replays a file in its row order, so a shipped file lists its images in
    test order, as one uninterrupted run would have. Meaningful for runs made *without* memory only:
    a memory-based file's certificates depend on their order and are never reordered. Returns
    whether the file changed; the new text replaces the old in one rename."""
    path = Path(path)
    if read_settings(path).get("memory"):
        raise AncerInputError(f"{path} was made with memory-based certification: its row order is its result")
    table = read_results(path, repair=True)
    lines = path.read_text(encoding="utf-8").split("\n")
    rows = [r for r in lines[1:] if r.strip()]
    order = np.argsort(table["idx"], kind="stable")
    if (order == np.arange(len(order))).all():
        return False
    tmp = path.with_name(path.name + ".sorting")
    tmp.write_text("\n".join([lines[0], *(rows[k] for k in order)]) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return True


@dataclass
class Table:
    columns: dict[str, np.ndarray]

    def __getitem__(self, k: str) -> np.ndarray:
        return self.columns[k]

    def __len__(self) -> int:
        return len(self.columns["idx"])


def read_results(source: str | os.PathLike | IO, repair: bool = False) -> Table:
    """Parse a result file (checks the header) from a path or an open text/binary stream (an
    upload). ``repair`` (paths only) truncates a torn last line in place."""
    if hasattr(source, "read"):
        raw, path = source.read(), Path(getattr(source, "name", "upload"))
        repair = False
    else:
        path = Path(source)
        if path.is_dir():
            raise AncerInputError(f"{str(path)!r} is a folder, not a result file; give a TSV `certify` wrote")
        if path.exists() and not path.is_file():
            raise AncerInputError(f"{str(path)!r} is not a regular file; give the path of a TSV `certify` wrote")
        if not path.is_file():
            raise AncerInputError(f"result file {str(path)!r} does not exist; give the path of a TSV `certify` wrote")
        raw = path.read_bytes()
    raw = _text(raw, path)
    lines = raw.split("\n")
    header = lines[0].split("\t")
    if tuple(header[:8]) != COLUMNS:
        raise AncerInputError(
            f"{path} is not a certify result file: its header is {header[:8]}, expected {list(COLUMNS)}"
        )
    known = set(COLUMNS + EXTRA_COLUMNS + MEMORY_COLUMNS + SEQUENTIAL_COLUMNS)
    odd = [name for name in header[8:] if name not in known]
    if odd or len(set(header)) != len(header):
        raise AncerInputError(
            f"{path}: its header names {odd or 'a column twice'}, which a certify result file does not have "
            f"(a damaged header?); the columns after {list(COLUMNS)} are some of {sorted(known - set(COLUMNS))}"
        )
    body = lines[1:]
    if raw.endswith("\n"):
        body = body[:-1]
    elif body and not _complete(body[-1], header):
        body = body[:-1]  # torn by a killed run: the row being written when it stopped
        if repair:
            path.write_text(raw[: raw.rfind("\n") + 1], encoding="utf-8")
    elif body and repair:  # a complete last row without its newline: the next row must start a line
        path.write_text(raw + "\n", encoding="utf-8")
    rows = [r.split("\t") for r in body if r.strip()]
    if any(len(r) != len(header) for r in rows):
        raise AncerInputError(f"{path}: some rows do not have {len(header)} columns (corrupt file)")
    cols = {}
    for j, name in enumerate(header):
        vals = [r[j] for r in rows]
        if name in TEXT_COLUMNS:
            cols[name] = np.array(vals, dtype=object)
            continue
        kind = int if name in ("idx", "label", "predict", "correct", "theta_of", "samples") else float
        try:
            cols[name] = np.array([kind(v) for v in vals], dtype=np.int64 if kind is int else np.float64)
        except ValueError:
            raise AncerInputError(
                f"{path}: column {name!r} holds a value that is not a number (corrupt file)"
            ) from None
    check_rows(Table(cols), path)
    return Table(cols)


MAX_RESULT_BYTES = 512 * 2**20  # a result row is < 200 bytes: 10,000 images are 2 MB


def _text(raw: bytes | str, path) -> str:
    """A result file's text: refused when it is not text (a checkpoint, an image: NUL bytes or not UTF-8),
    with a byte-order mark and Windows line ends (CRLF) read as a clean file."""
    if isinstance(raw, bytes):
        if len(raw) > MAX_RESULT_BYTES:
            raise AncerInputError(f"{path} is {len(raw) / 2**20:.0f} MB, not a result file; give a TSV `certify` wrote")
        if b"\x00" in raw[:65536]:
            raise AncerInputError(f"{path} is not a text file (a checkpoint or an image?); give a TSV `certify` wrote")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise AncerInputError(f"{path} is not UTF-8 text (byte {e.start}); give a TSV `certify` wrote") from None
    return raw.removeprefix("\ufeff").replace("\r\n", "\n")


def _complete(line: str, header: list[str]) -> bool:
    """Whether a last line without its newline is a whole row (all its columns, numbers where numbers go)."""
    cells = line.split("\t")
    if len(cells) != len(header):
        return False
    try:
        for name, v in zip(header, cells):
            if name not in TEXT_COLUMNS:
                float(v)
    except ValueError:
        return False
    return True


def check_rows(t: Table, path) -> None:
    """Refuse rows that cannot be a certificate: a duplicated image, a negative index or label, a
    prediction below −1 (abstain), a radius, proxy radius or min θ that is NaN, infinite or negative
    (min θ must be > 0), a ``correct`` that disagrees with predict = label, a p̲A outside [0, 1] (NaN
    only for a memory-revised row), a negative time. The tables would otherwise count them."""
    n = len(t)
    if not n:
        return
    idx = t["idx"]
    problems = []
    uniq, counts = np.unique(idx, return_counts=True)
    if (counts > 1).any():
        problems.append(f"image {int(uniq[counts > 1][0])} appears {int(counts.max())} times (rows of two runs?)")
    if (idx < 0).any() or (t["label"] < 0).any():
        problems.append("a negative index or label")
    if (t["predict"] < -1).any():
        problems.append("a prediction below −1 (−1 is abstain)")
    for c in ("label", "predict"):
        if (t[c] >= len(CLASSES)).any():
            problems.append(f"a {c} of {int(t[c].max())}, outside CIFAR-10's classes 0–{len(CLASSES) - 1}")
    for c in ("radius", "radius_proxy", "time"):
        v = t[c]
        if not (np.isfinite(v) & (v >= 0)).all():
            problems.append(f"a {c} that is NaN, infinite or negative")
    if not (np.isfinite(t[MIN_THETA_COLUMN]) & (t[MIN_THETA_COLUMN] > 0) & (t[MIN_THETA_COLUMN] <= 1e6)).all():
        problems.append(f"a {MIN_THETA_COLUMN} (min θ) that is not a number in (0, 1e6] (noise on images in [0, 1])")
    if not np.isin(t["correct"], (0, 1)).all() or (t["correct"] != (t["predict"] == t["label"])).any():
        problems.append("a correct column that disagrees with predict = label")
    slack = 1e-4  # the file's 6 significant digits
    if (t["radius_proxy"] < t["radius"] * (1 - slack) - 1e-6).any():
        k = int(np.argmax(t["radius_proxy"] < t["radius"] * (1 - slack) - 1e-6))
        problems.append(
            f"image {int(idx[k])}: a proxy radius {t['radius_proxy'][k]:g} below its radius {t['radius'][k]:g} "
            "(the proxy radius of a region is at least the radius of the largest ball inside it)"
        )
    if "gap" in t.columns:
        if np.isnan(t["gap"]).any():  # format_row never writes one: a certificate's gap is a number
            problems.append("a gap that is NaN")
        with np.errstate(invalid="ignore"):  # an infinite min θ times a zero gap: refused above already
            bound = t[MIN_THETA_COLUMN] * np.maximum(t["gap"], 0)
        over = t["radius"] > bound * (1 + slack) + 1e-6
        if over.any():
            k = int(np.argmax(over))
            problems.append(
                f"image {int(idx[k])}: a radius {t['radius'][k]:g} above min θ · gap = {bound[k]:g} (Corollaries 1 "
                "and 2: the radius is min θ · gap)"
            )
    if "p_lower" in t.columns:
        p = t["p_lower"]
        if ((p < 0) | (p > 1)).any() or (np.isnan(p) & ("theta_of" not in t.columns)).any():
            problems.append("a p_lower outside [0, 1]")
    if "samples" in t.columns and (t["samples"] < 1).any():
        problems.append("a samples count below 1")
    if "stop" in t.columns and not np.isin(t["stop"], list(STOP_REASONS)).all():
        problems.append(f"a stop reason that is not one of {', '.join(STOP_REASONS)}")
    if problems:
        raise AncerInputError(
            f"{path}: rows that cannot be certificates — {'; '.join(problems)}; regenerate the file with "
            "`certify` (or remove those rows)"
        )


def export_results(results: dict[str, MethodResult], meta: dict) -> tuple[str, bytes]:
    """The results of :func:`ancer_core.core.protocol.run_all_methods` for one image as files: JSON
    (settings in ``meta``, each method's certificate summary, θ statistics and time) and a
    compressed NumPy archive with each method's θ (``theta_<method>``, float32, the image's shape,
    or a scalar when isotropic)."""
    doc = {"meta": meta, "methods": {}}
    arrays = {}
    for m, r in results.items():
        c = r.certificates[0]
        th = r.theta[0].detach().cpu().float().numpy()
        arrays[f"theta_{m}"] = th
        doc["methods"][m] = {
            "certificate": c.summary(),
            "seconds": r.seconds,
            "theta": {
                "min": float(th.min()),
                "max": float(th.max()),
                "mean": float(th.mean()),
                "shape": list(th.shape),
            },
            "n_a": c.extra.get("n_a"),
            "samples": c.extra.get("samples", c.n),
            "stop": c.extra.get("stop", "fixed"),
        }
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return json.dumps(doc, indent=2, default=float), buf.getvalue()
