"""A small class on one `streamlit run` server, through Streamlit's own websocket protocol (no browser):
sessions on the same image share one computation, a session on another image sees its place in the
queue, nobody sees an exception. ``benchmarks/classroom.py`` runs the same with thirty sessions."""

import asyncio
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
websockets = pytest.importorskip("websockets", reason="the protocol client needs the websockets package")
import classroom  # noqa: E402  (after the importorskip above)

pytestmark = pytest.mark.slow


def test_three_sessions_share_one_run_and_a_fourth_waits_its_turn(tmp_path):
    port = classroom.free_port()
    server = classroom.start_server(port, tmp_path / "server.log")
    try:
        logs = asyncio.run(
            classroom.classroom(f"ws://127.0.0.1:{port}/_stcore/stream", [7, 7, 7, 200], spread=1.0, timeout=300)
        )
    finally:
        server.terminate()
        server.wait(30)
    assert all(g.certificates_at is not None for g in logs), [g.errors for g in logs]
    assert not any(g.exceptions or g.errors for g in logs)
    same = [g for g in logs if g.image == 7]
    first = min(g.certificates_at for g in same)
    assert max(g.certificates_at for g in same) - first <= 2.0
    assert sum(g.shared for g in same) == 2  # computed once, shared twice
    assert any("started exactly this run" in m for g in same for m in g.queue_messages)
    other = next(g for g in logs if g.image == 200)
    assert any("in the queue" in m for m in other.queue_messages)


def test_five_pages_opened_at_once_on_a_just_started_server_break_none(tmp_path):
    """Every page at the same moment, the first requests the server ever gets: each renders without an
    exception (the live page's model folding its BatchNorm once traced with torch.fx, which patched every
    module call of the process and broke the toy page training beside it), and each shows its own page."""
    port = classroom.free_port()
    log = tmp_path / "server.log"
    server = classroom.start_server(port, log)
    url = f"ws://127.0.0.1:{port}/_stcore/stream"

    async def all_at_once():
        return await asyncio.gather(*(classroom.open_page(url, p) for p in ("", "toy", "hessian", "theory", "results")))

    try:
        problems = asyncio.run(all_at_once())
    finally:
        server.terminate()
        server.wait(30)
    assert problems == [[]] * 5, log.read_text()[-3000:]
    assert "Traceback" not in log.read_text()
