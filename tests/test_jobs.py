"""The server's job board: identical runs computed once and shared, a first-come first-served queue that
says where each session stands, leaving it, and a bounded memory (threads, no Streamlit)."""

import threading
import time

import pytest

from ancer_app.ui.jobs import JobBoard


def _threads(n, target):
    out = [None] * n
    ts = [threading.Thread(target=lambda k=k: out.__setitem__(k, target(k))) for k in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(30)
    return out


def test_identical_runs_are_computed_once_and_shared():
    board, calls = JobBoard(), []

    def work():
        calls.append(1)
        time.sleep(0.3)
        return {"answer": 42}

    out = _threads(10, lambda k: board.run(("image", 7), work, estimate_s=0.3))
    assert len(calls) == 1 and board.computed == 1
    results = [r for r, _ in out]
    assert all(r is results[0] for r in results)  # one object, handed to every session
    assert sorted(shared for _, shared in out) == [False] + [True] * 9
    assert board.run(("image", 7), work)[1] is True and len(calls) == 1  # later: from memory at once


def test_different_runs_wait_in_order_and_see_their_place():
    board, order, seen = JobBoard(), [], {}
    started = threading.Event()

    def work(name):
        def f():
            started.set()
            order.append(name)
            time.sleep(0.4)
            return name

        return f

    first = threading.Thread(target=lambda: board.run("a", work("a"), estimate_s=0.4))
    first.start()
    started.wait(5)
    second = threading.Thread(
        target=lambda: board.run("b", work("b"), estimate_s=0.4, on_wait=lambda q: seen.setdefault("b", q))
    )
    second.start()
    time.sleep(0.05)
    third = board.run("c", work("c"), estimate_s=0.4, on_wait=lambda q: seen.setdefault("c", q))
    first.join(), second.join()
    assert order == ["a", "b", "c"] and third == ("c", False)
    assert (seen["b"].position, seen["b"].ahead) == (2, 1) and not seen["b"].sharing
    assert seen["c"].position == 3 and 0.4 <= seen["c"].wait_s <= 0.8  # a's rest and b's 0.4 s


def test_leaving_the_queue_gives_the_ticket_back_and_a_sharer_computes_itself():
    board, started, release = JobBoard(), threading.Event(), threading.Event()

    def blocker():
        started.set()
        release.wait(5)
        return "a"

    t = threading.Thread(target=lambda: board.run("a", blocker))
    t.start()
    started.wait(5)

    class Left(BaseException):  # as Streamlit's rerun when the student clicks "leave the queue"
        pass

    def leave(q):
        raise Left()

    got = {}

    def sharer():  # waits for the same key as the session that will leave
        time.sleep(0.1)
        got["x"] = board.run("x", lambda: "computed by the sharer")

    s = threading.Thread(target=sharer)
    s.start()
    with pytest.raises(Left):
        board.run("x", lambda: "never", on_wait=leave)
    release.set()
    t.join(), s.join(10)
    assert got["x"] == ("computed by the sharer", False)
    assert board.run("x", lambda: "again") == ("computed by the sharer", True)


def test_an_error_is_everyones_who_asked_for_the_same_run():
    board = JobBoard()

    def bad():
        time.sleep(0.2)
        raise ValueError("a checkpoint that does not load")

    out = _threads(4, lambda k: _catch(lambda: board.run("same", bad)))
    assert all(isinstance(e, ValueError) for e in out)
    assert board.memory() == (0, 0)  # errors are not kept


def _catch(f):
    try:
        return f()
    except Exception as e:
        return e


def test_memory_is_bounded_by_entries_and_bytes():
    board = JobBoard(max_entries=3, max_bytes=250, size_of=len)
    for k in range(5):
        board.run(k, lambda k=k: b"x" * 100)
    n, size = board.memory()
    assert n == 2 and size == 200  # three entries would be 300 bytes > 250
    assert board.cached(4) is not None and board.cached(0) is None
