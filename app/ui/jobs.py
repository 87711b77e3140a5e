"""One server, many students: runs that are fully determined by their inputs are computed once and
shared, and different runs wait in a visible first-come, first-served queue for the one device.

Plain Python (threads, no Streamlit), so that it can be tested on its own; ``ui.live.run`` wires it to
the page. A *job* has a key (every input its result depends on: model, image, norm, σ, settings, seed,
precisions) and a function. :meth:`JobBoard.run`:

* returns a finished result with the same key at once (kept in a bounded LRU memory);
* when the same key is being computed for another session, waits for that result instead of
  computing it again;
* otherwise takes a ticket, waits for its turn (``on_wait`` is called about twice a second with the
  queue's state, and may raise to leave the queue: the ticket is then given back), runs the function
  with the device to itself, and hands the result to everyone waiting for it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

WAIT_TICK_S = 0.5


@dataclass(frozen=True)
class QueueState:
    """What a waiting session is told: its place (1 = next), the jobs ahead of it, the estimated seconds
    until its turn, and whether it waits for another session's identical run (``sharing``)."""

    position: int
    ahead: int
    wait_s: float | None
    sharing: bool
    waited_s: float


@dataclass
class _Ticket:
    key: Hashable | None
    estimate_s: float | None
    started: float | None = None
    done: threading.Event = field(default_factory=threading.Event)
    result: object = None
    error: BaseException | None = None


class JobBoard:
    """The server's queue and its memory of finished runs (``max_entries`` results, at most ``max_bytes``
    by ``size_of``)."""

    def __init__(self, max_entries: int = 32, max_bytes: int = 512 * 2**20, size_of: Callable[[object], int] = None):
        self._cond = threading.Condition()
        self._queue: list[_Ticket] = []  # waiting and running, in arrival order; the head runs
        self._running: dict[Hashable, _Ticket] = {}  # key → the ticket computing it (queued or running)
        self._done: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._size_of = size_of or (lambda _: 0)
        self.computed = 0  # jobs whose function ran (the rest were shared)
        self._recent: deque[float] = deque(maxlen=8)  # seconds of the last jobs: the estimate of one that has none

    # -- what is kept --------------------------------------------------------------------------------------
    def cached(self, key: Hashable) -> object | None:
        with self._cond:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key][0]
            return None

    def memory(self) -> tuple[int, int]:
        """(results kept, their bytes)."""
        with self._cond:
            return len(self._done), sum(b for _, b in self._done.values())

    def _keep(self, key: Hashable, result: object) -> None:
        self._done[key] = (result, int(self._size_of(result)))
        self._done.move_to_end(key)
        while len(self._done) > self.max_entries or (
            len(self._done) > 1 and sum(b for _, b in self._done.values()) > self.max_bytes
        ):
            self._done.popitem(last=False)

    # -- the queue -----------------------------------------------------------------------------------------
    def state(self, ticket: _Ticket, sharing: bool, since: float) -> QueueState:
        """Where ``ticket`` stands: its place, the jobs ahead, and the seconds until it is done (sharing:
        it is another session's identical run) or until its turn (not sharing), from the jobs' estimates."""
        with self._cond:
            k = next((i for i, t in enumerate(self._queue) if t is ticket), len(self._queue))
            counted = self._queue[: k + 1] if sharing else self._queue[:k]
            now, wait = time.time(), 0.0
            typical = sorted(self._recent)[len(self._recent) // 2] if self._recent else None
            for t in counted:
                estimate = t.estimate_s if t.estimate_s is not None else typical
                if estimate is None:
                    wait = None
                    break
                wait += max(estimate - (now - t.started if t.started else 0.0), 0.0)
            return QueueState(k + 1, k, wait, sharing, now - since)

    def run(
        self,
        key: Hashable | None,
        fn: Callable[[], object],
        estimate_s: float | None = None,
        on_wait: Callable[[QueueState], None] | None = None,
    ) -> tuple[object, bool]:
        """The result of ``fn`` for ``key`` and whether it was shared (computed for another session or
        earlier). ``key=None``: never shared, only queued. ``on_wait`` may raise to leave the queue.

        An error of ``fn`` (an ``Exception``) is everyone's who asked for the same key; a run that was
        interrupted (its session left: a ``BaseException`` such as Streamlit's rerun) is not: whoever
        waited for it takes a ticket of their own."""
        since = time.time()
        while True:
            with self._cond:
                if key is not None and key in self._done:
                    self._done.move_to_end(key)
                    return self._done[key][0], True
                other = self._running.get(key) if key is not None else None
                if other is None:
                    mine = _Ticket(key, estimate_s)
                    self._queue.append(mine)
                    if key is not None:
                        self._running[key] = mine
            if other is None:
                break
            while not other.done.wait(WAIT_TICK_S):
                if on_wait is not None:
                    on_wait(self.state(other, True, since))
            if other.error is None:
                return other.result, True
            if isinstance(other.error, Exception):
                raise other.error
            # the other session left: ask again
        try:
            self._wait_turn(mine, on_wait, since)
            result = fn()
        except BaseException as e:
            self._finish(mine, None, e)
            raise
        self._finish(mine, result, None)
        return result, False

    def _wait_turn(self, mine: _Ticket, on_wait, since: float) -> None:
        with self._cond:
            while self._queue[0] is not mine:
                if on_wait is not None:
                    self._cond.release()
                    try:
                        on_wait(self.state(mine, False, since))
                    finally:
                        self._cond.acquire()
                if self._queue[0] is not mine:
                    self._cond.wait(WAIT_TICK_S)
            mine.started = time.time()

    def _finish(self, mine: _Ticket, result, error: BaseException | None) -> None:
        with self._cond:
            if mine in self._queue:
                self._queue.remove(mine)
            if mine.key is not None and self._running.get(mine.key) is mine:
                del self._running[mine.key]
                if error is None:
                    self._keep(mine.key, result)
            if error is None:
                self.computed += 1
                if mine.started is not None:
                    self._recent.append(time.time() - mine.started)
            mine.result, mine.error = result, error
            mine.done.set()
            self._cond.notify_all()
