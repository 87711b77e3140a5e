"""A class at once: many sessions click Run on one `streamlit run` server, through Streamlit's own protocol.

Each session is a browser-less client that speaks what the browser speaks: it opens the server's
websocket (``/_stcore/stream``), sends ``BackMsg.rerun_script`` with the page's URL parameters, reads the
``ForwardMsg`` deltas the page script sends back, finds the Run button's widget id and clicks it (a
``trigger_value`` widget state), and records when the certificates arrive, every queue message it was
shown and any exception the page reported. Every session opens its page first; once all pages are
open they click within ``--spread`` seconds. No browser draws anything, so what is measured is the
server: the job board's sharing and its queue.

    python benchmarks/classroom.py --sessions 30 --same 25 --out benchmarks/results/classroom.json

``--same`` sessions click on test image ``--image``, the rest each on another image. The JSON
records every session's times and messages, the server's peak resident memory, the CPU and the
settings.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUN_LABEL = "▶ Run fixed σ, Isotropic DD and ANCER"


@dataclass
class SessionLog:
    image: int
    clicked_at: float = 0.0  # seconds from the start of the test
    certificates_at: float | None = None
    queue_messages: list[str] = field(default_factory=list)
    shared: bool = False
    exceptions: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path, env: dict[str, str] | None = None, root: Path = ROOT) -> subprocess.Popen:
    """``streamlit run app/main.py`` of the checkout at ``root`` headless on ``port`` (with ``env`` added to
    this process's environment); returns once its health check answers."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(root / "app" / "main.py"),
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=root,
        env={**os.environ, **(env or {})},
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    wait_until_healthy(port, proc, log)
    return proc


def wait_until_healthy(port: int, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Return once the server on ``port`` answers its health check; kill it and raise with the end of its
    log when it stops or does not answer within ``timeout`` seconds."""
    deadline = time.time() + timeout
    while True:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1).read() == b"ok":
                return
        except OSError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError(
                f"streamlit did not answer its health check within {timeout:g} s: {log.read_text()[-2000:]}"
            )
        time.sleep(0.5)


def _rerun(query: str, page_hash: str, widgets: list | None = None, page_name: str = "") -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    msg = BackMsg()
    msg.rerun_script.query_string = query
    msg.rerun_script.page_script_hash = page_hash
    msg.rerun_script.page_name = page_name
    for w in widgets or []:
        msg.rerun_script.widget_states.widgets.append(w)
    return msg.SerializeToString()


def _texts(element) -> list[str]:
    kind = element.WhichOneof("type")
    if kind == "alert":
        return [element.alert.body]
    if kind == "heading":
        return [element.heading.body]
    if kind == "markdown":
        return [element.markdown.body]
    if kind == "exception":
        return ["EXCEPTION " + element.exception.type + ": " + element.exception.message]
    return []


async def one_session(
    url: str, image: int, start: float, delay: float, timeout: float, opened: asyncio.Barrier | None = None
) -> SessionLog:
    """Open the live page at ``image`` (Quick preset), wait until every session's page is open
    (``opened``), click Run ``delay`` seconds later, and read the page until the certificates arrive."""
    import websockets
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    log = SessionLog(image)
    query = f"image={image}&preset=quick&norm=l2"
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=60) as ws:
        await ws.send(_rerun(query, ""))
        button, page_hash, finished = None, "", 0
        deadline = time.time() + timeout
        clicked = False
        while time.time() < deadline:
            if not clicked and button is not None and finished:
                if opened is not None:
                    await opened.wait()  # every page is open: the class clicks now, within the spread
                    opened = None
                    await asyncio.sleep(delay)
                trigger = WidgetState(id=button, trigger_value=True)
                await ws.send(_rerun(query, page_hash, [trigger]))
                log.clicked_at, clicked = time.time() - start, True
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=0.2)
            except asyncio.TimeoutError:
                continue
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                page_hash = msg.new_session.page_script_hash
            elif kind == "page_info_changed" or kind == "navigation":
                page_hash = getattr(msg.navigation, "page_script_hash", "") or page_hash
            elif kind == "script_finished":
                finished += 1
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                if el.WhichOneof("type") == "button" and el.button.label == RUN_LABEL:
                    button = el.button.id
                for text in _texts(el):
                    if text.startswith("EXCEPTION"):
                        log.exceptions.append(text)
                    elif "in the queue" in text or "started exactly this run" in text:
                        log.queue_messages.append(text)
                    elif "shared from an identical run" in text:
                        log.shared = True
                    elif text.startswith("Could not run") or text.startswith("The run failed"):
                        log.errors.append(text)
                    elif clicked and text == "Certificates" and log.certificates_at is None:
                        log.certificates_at = time.time() - start
            if log.certificates_at is not None or log.errors or log.exceptions:
                break
    return log


async def open_page(url: str, page: str, timeout: float = 240) -> list[str]:
    """Open one page of the app (its URL path, e.g. ``toy``; ``""`` for the live page) as a browser does,
    read it until its script has finished, and return every exception and error it showed ("EXCEPTION
    Type: message" for an exception)."""
    import websockets
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    problems: list[str] = []
    async with websockets.connect(url, subprotocols=["streamlit"], max_size=None, open_timeout=60) as ws:
        await ws.send(_rerun("", "", page_name=page))
        deadline = time.time() + timeout
        while True:
            if time.time() > deadline:
                return problems + [f"EXCEPTION Timeout: /{page} still running after {timeout:g} s"]
            try:
                raw = await asyncio.wait_for(ws.recv(), timeout=1)
            except asyncio.TimeoutError:
                continue
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "script_finished":
                return problems
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                el = msg.delta.new_element
                if el.WhichOneof("type") == "exception":
                    problems.extend(t for t in _texts(el))
                elif el.WhichOneof("type") == "alert" and el.alert.format == 1:  # st.error
                    problems.append("ERROR " + el.alert.body)


async def classroom(url: str, images: list[int], spread: float, timeout: float) -> list[SessionLog]:
    """Every session opens its page; once all are open, they click within ``spread`` seconds, in the
    order of ``images``."""
    start = time.time()
    rng = random.Random(0)
    delays = sorted(rng.uniform(0, spread) for _ in images)
    opened = asyncio.Barrier(len(images))
    sessions = (one_session(url, i, start, d, timeout, opened) for i, d in zip(images, delays))
    return list(await asyncio.gather(*sessions))


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--same", type=int, default=25, help="sessions on --image; the others on distinct images")
    p.add_argument("--image", type=int, default=7)
    p.add_argument("--spread", type=float, default=1.0, help="the clicks fall within this many seconds")
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    port = free_port()
    server_log = Path(os.environ.get("TMPDIR", "/tmp")) / f"classroom-{port}.log"
    proc = start_server(port, server_log)
    try:
        images = [args.image] * args.same + [100 + 37 * k for k in range(args.sessions - args.same)]
        t0 = time.time()
        logs = asyncio.run(classroom(f"ws://127.0.0.1:{port}/_stcore/stream", images, args.spread, args.timeout))
        wall = time.time() - t0
        rss = peak_rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    same = [g for g in logs if g.image == args.image and g.certificates_at is not None]
    first = min((g.certificates_at for g in same), default=None)
    report = {
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        "sessions": args.sessions,
        "same_image": args.same,
        "image": args.image,
        "all_got_certificates": all(g.certificates_at is not None for g in logs),
        "exceptions": sum(len(g.exceptions) for g in logs),
        "errors": sum(len(g.errors) for g in logs),
        "same_image_first_s": first,
        "same_image_last_after_first_s": None if first is None else max(g.certificates_at for g in same) - first,
        "same_image_shared": sum(g.shared for g in same),
        "others_saw_their_place": all(g.queue_messages for g in logs if g.image != args.image),
        "server_peak_rss_mb": rss,
        "wall_s": wall,
        "cpu": _cpu(),
        "sessions_log": [asdict(g) for g in logs],
    }
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    summary = {k: v for k, v in report.items() if k != "sessions_log"}
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0 if report["all_got_certificates"] and not report["exceptions"] else 1


def _cpu() -> str:
    sys.path.insert(0, str(ROOT))
    from ancer_core.models import speed

    return speed.hardware("cpu")


if __name__ == "__main__":
    sys.exit(main())
