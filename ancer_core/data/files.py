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
import time
from pathlib import Path

from ..core.validation import AncerInputError

try:
    import fcntl
except ImportError:  # not on Windows: liveness from the process id alone
    fcntl = None


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
    """One writer per output, whatever name it is reached by: ``OUT.lock`` beside the output's real path
    (symlinks and ``..`` resolved) is created exclusively (``O_EXCL``) and names the run that holds it (host,
    process, command); a second run on the same output stops with that name. On POSIX the holder also keeps
    an ``flock`` on the lock file and on the output itself (so a hard link to it is the same output): a lock
    file no live process holds — its run killed, or the file empty or garbage — is taken over, with a
    message; a lock held by a live process is never taken. Elsewhere a lock naming a process that no
    longer runs on this host is taken over. Folders made for the output are removed again on release
    when nothing was written into them."""

    def __init__(self, output: str | os.PathLike):
        self.output = Path(output)
        real = Path(os.path.realpath(self.output))
        self.path = real / ".lock" if real.is_dir() else real.with_name(real.name + ".lock")
        self._held = False
        self._fds: list[int] = []
        self._made: list[Path] = []

    def _owner(self) -> str:
        return f"{socket.gethostname()} {os.getpid()} {' '.join(sys.argv)}"

    def _holder(self) -> str:
        try:
            return self.path.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""

    def _named(self) -> tuple[str, int] | None:
        """The host and process the lock names, or None for an empty or garbled lock."""
        words = self._holder().split(" ", 2)
        if len(words) < 2 or not words[0] or not words[1].isdigit():
            return None
        return words[0], int(words[1])

    def _names_a_live_process(self) -> bool | None:
        """Whether the lock names a process running on this host (None: it names none, or another host's)."""
        named = self._named()
        if named is None or named[0] != socket.gethostname():
            return None
        try:
            os.kill(named[1], 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # it runs, as another user
        except OSError:
            return None
        return True

    def _stale(self) -> bool:
        """No live process holds the lock: it names a process of this host that has ended, or (POSIX) no
        process holds its flock and it names no running process of this host — a lock file left empty or
        garbled (older than a moment, so that a lock being written now is not mistaken for one)."""
        named = self._names_a_live_process()
        if named:
            return False
        if fcntl is None:
            return named is False
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # held: its process runs
        finally:
            os.close(fd)  # closing releases the probe's flock
        if named is None:  # names no process of this host: empty, garbage, or another host's
            if self._named() is not None:
                return False  # another machine's run, on a shared folder: its flock is not seen here
            try:
                return time.time() - self.path.stat().st_mtime > 2.0
            except OSError:
                return False
        return True

    def _flock(self, path: Path, what: str) -> None:
        """Hold an flock on ``path`` for as long as the lock is held, or stop: another run holds it."""
        if fcntl is None or not path.is_file():
            return
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            self.release()
            raise AncerInputError(
                f"another run is writing {self.output} ({what}); wait for it to finish or choose another --out"
            ) from None
        self._fds.append(fd)

    def _make_folders(self) -> None:
        missing, folder = [], self.path.parent
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._made = missing  # deepest first

    def acquire(self) -> OutputLock:
        """Take the lock (making the output's folder if missing), or stop naming the run that holds it."""
        self._make_folders()
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if self._stale():
                    print(
                        f"taking over the lock {self.path}: no running process holds it (it names {self._holder()!r})",
                        file=sys.stderr,
                    )
                    self.path.unlink(missing_ok=True)
                    continue
                holder = self._holder() or "unknown"
                self._remove_made_folders()
                raise AncerInputError(
                    f"another run is writing {self.output} (its lock {self.path} names host, process and "
                    f"command: {holder!r}); wait for it to finish or choose another --out (delete the lock only "
                    "if that run is gone)"
                ) from None
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a fresh file: nobody else can hold it
            os.write(fd, self._owner().encode("utf-8"))
            self._fds.append(fd)
            self._held = True
            self._flock(Path(os.path.realpath(self.output)), "through another name for the same file")
            return self
        raise AncerInputError(f"could not take the lock {self.path}; choose another --out")

    def _remove_made_folders(self) -> None:
        for folder in self._made:
            try:
                folder.rmdir()  # only when empty: nothing was written into it
            except OSError:
                break

    def release(self) -> None:
        if self._held:
            self.path.unlink(missing_ok=True)
            self._held = False
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        self._remove_made_folders()

    def __enter__(self) -> OutputLock:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
