"""A dependency-free progress bar for the command line and training (one line, rate-limited, ETA): outside
the layers, since training (models) and the commands (cli) both print it and the core prints nothing."""

from __future__ import annotations

import sys
import time


class Progress:
    """``Progress(total, label).update(done, extra)``; prints at most every ``every`` seconds.

    On a terminal it redraws one line; otherwise (logs, CI) it prints a line per update.
    ``log=None`` silences it. ``done`` may be fractional (images part-way through their stages), so that
    the bar and its ETA move within a batch: :meth:`stages` turns a run's stage reports into such updates.

    In Python: ``ac.run_all_methods(…, callback=ac.Progress(len(x), "run").stages(ac.stage_work(settings)))``.
    """

    def __init__(self, total: int, label: str = "", every: float = 1.0, log=print, stream=None):
        self.total, self.label, self.every, self.log = max(1, int(total)), label, every, log
        self.stream = stream or sys.stderr
        self.t0 = time.time()
        self.last = 0.0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.base: int | None = None  # work already done at the first update (a resumed run)

    def text(self, done: int, extra: str = "") -> str:
        """The line; the ETA is "–" until some work was done here to estimate the rate from."""
        el = time.time() - self.t0
        if self.base is None:
            self.base = done
        frac = min(1.0, done / self.total)
        eta = f"{el / (done - self.base) * (self.total - done):6.1f}s" if done > self.base else "     –"
        bar = "#" * int(20 * frac) + "-" * (20 - int(20 * frac))
        count = f"{int(done)}/{self.total}"
        return f"{self.label} [{bar}] {count} {100 * frac:5.1f}% {el:6.1f}s eta {eta} {extra}".rstrip()

    def stages(self, work: dict[str, float], images: int | None = None, before: float = 0.0):
        """A stage callback (``callback(stage, done, total, stats)``, as :func:`run_all_methods` and
        :func:`run_all_methods` report) for a batch of ``images`` images (default: all) of which ``before``
        were done earlier: each report moves the bar through the batch by the stage's share of ``work``
        (stage → work, in the order the stages run, e.g. :func:`ancer_core.stage_work`)."""
        images = self.total if images is None else images
        whole = sum(work.values()) or 1.0
        start, acc = {}, 0.0
        for name, w in work.items():
            start[name], acc = acc, acc + w

        def report(stage: str, done: int, total: int, stats=None) -> None:
            if stage in work:
                part = start[stage] + work[stage] * min(1.0, done / max(total, 1))
                self.update(before + images * part / whole)

        return report

    def update(self, done: float, extra: str = "") -> None:
        if self.log is None:
            return
        now = time.time()
        if done < self.total and now - self.last < self.every:
            return
        self.last = now
        if self.tty:
            self.stream.write("\r" + self.text(done, extra) + ("\n" if done >= self.total else ""))
            self.stream.flush()
        else:
            print(self.text(done, extra), file=self.stream, flush=True)
