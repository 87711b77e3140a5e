"""A student's first page: seconds from opening the live page to a usable Run button, in a browser that
has never seen the app (a new Chromium profile per student, as on each student's own machine), beside
the floor: a bare Streamlit page with one button, served and opened the same way on the same machine.

    python benchmarks/first_paint.py --students 3 --out benchmarks/results/first_paint.json

Starts both servers (``streamlit run``, headless), opens the live page once so that the server's own
first-page work (loading the test split, the model cards) is done, then times each new profile on the
running server. ``--cold`` also times the first student of a just-started server. Needs Debian's
chromium and chromium-driver and the selenium package.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import classroom

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
RUN_BUTTON = "Run fixed"
BARE_APP = 'import streamlit as st\n\nst.title("A bare page")\nst.button("Run fixed σ")\n'
CHROME_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def new_browser(profile: Path, size: str = "1500,2200"):
    """A headless Chromium with its own, new profile folder: nothing cached, as a student's first visit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in (*CHROME_FLAGS, f"--window-size={size}", f"--user-data-dir={profile}"):
        opts.add_argument(a)
    return webdriver.Chrome(service=Service(DRIVER), options=opts)


def usable_button_s(drv, url: str, label: str, timeout: float = 120) -> float:
    """Seconds from ``drv.get(url)`` to a displayed, enabled button whose text contains ``label`` (polled
    every 50 ms in the page itself, so that the polling does not add WebDriver round trips)."""
    drv.set_script_timeout(timeout + 5)
    t0 = time.time()
    drv.get(url)
    found = drv.execute_async_script(
        """const [label, timeout, done] = arguments; const t0 = performance.now();
        (function poll() {
          for (const b of document.querySelectorAll('button')) {
            if (b.textContent.includes(label) && !b.disabled && b.offsetParent !== null) return done(true);
          }
          if (performance.now() - t0 > timeout * 1000) return done(false);
          setTimeout(poll, 50);
        })();""",
        label,
        timeout,
    )
    if not found:
        raise AssertionError(f"no usable button {label!r} within {timeout} s at {url}")
    return time.time() - t0


def time_students(url: str, students: int, label: str = RUN_BUTTON) -> list[float]:
    """Each student opens ``url`` in a new profile; returns their seconds to a usable button."""
    out = []
    for _ in range(students):
        with tempfile.TemporaryDirectory(prefix="student-") as profile:
            drv = new_browser(Path(profile))
            try:
                out.append(usable_button_s(drv, url, label))
            finally:
                drv.quit()
    return out


def settle(url: str, timeout: float = 300) -> None:
    """Open ``url`` and stay until its script has finished (the status widget is gone): the server's first-page
    work (the speed probes, the warm-up after the Run button) is then done, as when a class arrives."""
    with tempfile.TemporaryDirectory(prefix="settle-") as profile:
        drv = new_browser(Path(profile))
        try:
            usable_button_s(drv, url, RUN_BUTTON, timeout)
            deadline = time.time() + timeout
            time.sleep(1)
            while drv.find_elements("css selector", '[data-testid="stStatusWidget"]') and time.time() < deadline:
                time.sleep(0.5)
        finally:
            drv.quit()


def start_bare_server(folder: Path, port: int) -> subprocess.Popen:
    """The floor: a one-button Streamlit page, served as the app is (headless, no file watcher)."""
    script = folder / "bare.py"
    script.write_text(BARE_APP)
    log = folder / "bare.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port)]
        + ["--server.headless", "true", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=folder,
        stdout=open(log, "w"),
        stderr=subprocess.STDOUT,
    )
    classroom.wait_until_healthy(port, proc, log)
    return proc


def measure(students: int, cold: bool, query: str = "image=3&preset=quick&norm=l2") -> dict:
    """The figures of ``timing.json``: the bare floor, the live page on a just-started server (``cold``) and
    on a running one, each for ``students`` new profiles."""
    with tempfile.TemporaryDirectory(prefix="first-paint-") as tmp:
        tmp = Path(tmp)
        bare_port, app_port = classroom.free_port(), classroom.free_port()
        bare = start_bare_server(tmp, bare_port)
        try:
            time_students(f"http://127.0.0.1:{bare_port}/", 1, "Run fixed")  # the server's own first page
            floor = time_students(f"http://127.0.0.1:{bare_port}/", students, "Run fixed")
        finally:
            bare.terminate()
            bare.wait(30)
        app = classroom.start_server(app_port, tmp / "app.log")
        url = f"http://127.0.0.1:{app_port}/?{query}"
        try:
            first = time_students(url, 1) if cold else []  # a just-started server's first student
            settle(url)
            warm = time_students(url, students)
        finally:
            app.terminate()
            app.wait(30)
    report = {
        "bare_page_new_profile_s": floor,
        "live_page_new_profile_running_server_s": warm,
        "students": students,
        "cpu": classroom._cpu(),
    }
    if cold:
        report["live_page_new_profile_just_started_server_s"] = first
    return report


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=3)
    p.add_argument("--cold", action="store_true", help="also time the first student of a just-started server")
    p.add_argument("--out", default=None)
    args = p.parse_args()
    report = measure(args.students, args.cold)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
