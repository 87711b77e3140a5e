"""A persistent store of finished runs: an embedded SQLite database of the three methods' results per key.

The app's job board reads it before computing and writes every run it finishes, and ``ancer lecture
prepare`` fills it before a class, so a prepared view appears without waiting and survives a restart of
the server. A key names every input of a run *and* this library's version (:func:`store_key`): a changed
library never serves a result computed by another. Values are data only — JSON for the structure, a NumPy
archive (``allow_pickle=False``) for the arrays — never a pickle, so a planted database runs no code.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import threading
import time
from dataclasses import fields
from pathlib import Path

import numpy as np
import torch

from ..core.certificate import Certificate
from ..core.protocol import MethodResult
from ..core.validation import AncerInputError


def store_key(*parts) -> str:
    """The key of a run: a SHA-256 of its inputs (their ``repr``: numbers, names, frozen settings) and of
    this library's version."""
    from .. import __version__

    return hashlib.sha256(repr((__version__, *parts)).encode("utf-8")).hexdigest()


class _Encoder:
    """A run's results as JSON-able structure plus named arrays (and back)."""

    def __init__(self, arrays: dict[str, np.ndarray] | None = None):
        self.arrays = {} if arrays is None else arrays

    def encode(self, v):
        if isinstance(v, torch.Tensor):
            return {"__array__": self._add(v.detach().cpu().numpy()), "tensor": True}
        if isinstance(v, np.ndarray):
            return {"__array__": self._add(v), "tensor": False}
        if isinstance(v, Certificate):
            return {"__certificate__": {f.name: self.encode(getattr(v, f.name)) for f in fields(v)}}
        if isinstance(v, MethodResult):
            return {"__method_result__": {f.name: self.encode(getattr(v, f.name)) for f in fields(v)}}
        if isinstance(v, dict):
            return {"__dict__": [[self.encode(k), self.encode(x)] for k, x in v.items()]}
        if isinstance(v, (list, tuple)):
            return {"__list__": [self.encode(x) for x in v], "tuple": isinstance(v, tuple)}
        if isinstance(v, (np.integer, np.floating, np.bool_)):
            return v.item()
        if isinstance(v, float) and not np.isfinite(v):
            return {"__float__": repr(v)}
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        raise TypeError(f"cannot store a {type(v).__name__}")

    def _add(self, a: np.ndarray) -> str:
        name = f"a{len(self.arrays)}"
        self.arrays[name] = np.asarray(a)
        return name

    def decode(self, v):
        if isinstance(v, list):
            raise ValueError("a bare list")
        if not isinstance(v, dict):
            return v
        if "__array__" in v:
            a = self.arrays[v["__array__"]]
            return torch.from_numpy(a.copy()) if v["tensor"] else a
        if "__certificate__" in v:
            return Certificate(**{k: self.decode(x) for k, x in v["__certificate__"].items()})
        if "__method_result__" in v:
            return MethodResult(**{k: self.decode(x) for k, x in v["__method_result__"].items()})
        if "__dict__" in v:
            return {self.decode(k): self.decode(x) for k, x in v["__dict__"]}
        if "__list__" in v:
            items = [self.decode(x) for x in v["__list__"]]
            return tuple(items) if v["tuple"] else items
        if "__float__" in v:
            return float(v["__float__"])
        raise ValueError(f"unknown stored object {sorted(v)}")


def encode_results(results: dict[str, MethodResult]) -> tuple[str, bytes]:
    """``results`` (as :func:`run_all_methods` returns them) as JSON text and a compressed NumPy archive."""
    enc = _Encoder()
    doc = json.dumps(enc.encode(results))
    buf = io.BytesIO()
    np.savez_compressed(buf, **enc.arrays)
    return doc, buf.getvalue()


def decode_results(doc: str, blob: bytes) -> dict[str, MethodResult]:
    """The results :func:`encode_results` wrote (data only: no pickle is ever loaded)."""
    with np.load(io.BytesIO(blob), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return _Encoder(arrays).decode(json.loads(doc))


def default_store_path() -> Path:
    """``$ANCER_STORE``, else ``results.sqlite`` in the cache folder (``$ANCER_CACHE`` or ``~/.cache/ancer``)."""
    if os.environ.get("ANCER_STORE"):
        return Path(os.environ["ANCER_STORE"])
    from .cifar10 import cache_dir

    return cache_dir() / "results.sqlite"


class ResultStore:
    """Finished runs by key (:func:`store_key`), in one SQLite file that several processes and threads may
    share (write-ahead log; each call its own transaction). An entry that cannot be read back — written by
    another version of this format, or damaged — counts as absent and is computed again."""

    def __init__(self, path: str | os.PathLike | None = None):
        self.path = Path(path) if path is not None else default_store_path()
        if self.path.is_dir():
            raise AncerInputError(f"the result store {self.path} is a folder; give a file name, e.g. results.sqlite")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS runs (key TEXT PRIMARY KEY, version TEXT, made REAL, doc TEXT, arrays BLOB)"
            )
        except sqlite3.DatabaseError as e:
            raise AncerInputError(
                f"{self.path} is not a result store ({e}); delete it or give another with ANCER_STORE"
            ) from None

    def get(self, key: str) -> dict[str, MethodResult] | None:
        with self._lock:
            row = self._db.execute("SELECT doc, arrays FROM runs WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return decode_results(row[0], row[1])
        except (ValueError, KeyError, TypeError, OSError):
            return None

    def put(self, key: str, results: dict[str, MethodResult]) -> None:
        from .. import __version__

        doc, blob = encode_results(results)
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO runs (key, version, made, doc, arrays) VALUES (?, ?, ?, ?, ?)",
                (key, __version__, time.time(), doc, blob),
            )

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM runs WHERE key = ?", (key,)).fetchone() is not None

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
