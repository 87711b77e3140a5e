"""The tool's own files, read and written safely: outputs checked before the work starts, settings
files read with an error that names the file, and one writer per output (a lock file).

Every error here is an :class:`~ancer_core.core.errors.AncerInputError` whose message names the file
and what to do, so the command line answers it with one line and exit status 2.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from ..core.validation import AncerInputError


def prepare_output(path: str | os.PathLike, kind: str = "file") -> Path:
    """Check, before any work and without creating anything, that ``path`` can be written: it is not
    a folder (``kind="file"``) or not a file (``kind="folder"``), no part of the folders above it is a
    file, and the nearest existing folder is writable (the missing ones are made when writing)."""
    path = Path(path)
    if kind == "file" and path.is_dir():
        raise AncerInputError(f"--out {str(path)!r} is a folder; give a file name inside it, e.g. {path / 'out.tsv'}")
    if kind == "folder" and path.exists() and not path.is_dir():
        raise AncerInputError(f"--out {str(path)!r} is a file; give a folder (it is made if missing)")
    folder = path if kind == "folder" else path.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise AncerInputError(
            f"--out {str(path)!r} cannot be made: {str(existing)!r} is a file, not a folder; choose another --out"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise AncerInputError(f"the folder {str(existing)!r} is not writable; choose another --out")
    return path


def read_json(path: str | os.PathLike, what: str, fix: str) -> dict:
    """A JSON object the tool wrote (a settings file, a model card); a missing, corrupt or non-object
    file is an error naming the file, ``what`` it is and how to ``fix`` it."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise AncerInputError(f"{path} ({what}) cannot be read: {type(e).__name__}; {fix}") from None
    if not isinstance(data, dict):
        raise AncerInputError(f"{path} ({what}) holds a {type(data).__name__}, not the settings object; {fix}")
    return data


class OutputLock:
    """One writer per output: ``OUT.lock`` is created exclusively (``O_EXCL``) and names the run that
    holds it (host, process, command); a second run on the same output stops with that name. A lock
    left by a process that no longer runs on this host is taken over."""

    def __init__(self, output: str | os.PathLike):
        self.output = Path(output)
        out = self.output
        self.path = out / ".lock" if out.is_dir() else out.with_name(out.name + ".lock")
        self._held = False

    def _owner(self) -> str:
        return f"{socket.gethostname()} {os.getpid()} {' '.join(sys.argv)}"

    def _stale(self) -> bool:
        try:
            host, pid, *_ = self.path.read_text(encoding="utf-8").split(" ", 2)
            if host != socket.gethostname():
                return False
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except (OSError, ValueError):
            return False
        return False

    def acquire(self) -> OutputLock:
        """Take the lock (making the output's folder if missing), or stop naming the run that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if self._stale():
                    self.path.unlink(missing_ok=True)
                    continue
                try:
                    holder = self.path.read_text(encoding="utf-8").strip()
                except OSError:
                    holder = "unknown"
                raise AncerInputError(
                    f"another run is writing {self.output} (its lock {self.path.name} names host, process and "
                    f"command: {holder!r}); wait for it to finish or choose another --out (delete the lock only "
                    "if that run is gone)"
                ) from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(self._owner())
            self._held = True
            return self
        raise AncerInputError(f"could not take the lock {self.path}; choose another --out")

    def release(self) -> None:
        if self._held:
            self.path.unlink(missing_ok=True)
            self._held = False

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
