"""Seconds from a click on Run to each certificate row on the live page, in headless Chromium.

For each checkout given (``--root``, default: this one; give an older checkout beside it, e.g. a
``git worktree`` of the code before a change, to measure both in one session on one CPU), the app is
started on a free port with an empty result store, opened at ``/?image=I&preset=quick`` once (the page's
first visit warms the server up), then for each image Run is clicked and a poll in the page itself
(every 50 ms, no WebDriver round trips) records when the certificates table first shows 1, 2 and 3
certified rows. Code that draws the table only at the end shows all three at once.

    python benchmarks/certificate_rows.py --root ../base --root . --images 3 7 12 --out rows.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import classroom
import first_paint

ROWS_JS = """const [timeout, done] = arguments; const t0 = performance.now(); const seen = [];
const said = r => r.cells.length > 1 ? r.cells[1].textContent.trim() : '';
const run = [...document.querySelectorAll('button')].find(b => b.textContent.includes('Run fixed'));
run.click();
(function poll() {
  const t = document.querySelector('[data-testid="stTable"]');
  const n = t ? [...t.querySelectorAll('tbody tr')].filter(r => said(r) !== '' && said(r) !== 'running…').length : 0;
  while (seen.length < n) seen.push((performance.now() - t0) / 1000);
  if (seen.length >= 3 || performance.now() - t0 > timeout * 1000) return done(seen);
  setTimeout(poll, 50);
})();"""


def _python_path_for(root: Path, shim: Path) -> str:
    """A folder that makes ``import ancer_core`` and ``import ancer_app`` find the checkout at ``root``
    (ahead of whatever checkout is installed)."""
    shim.mkdir(parents=True, exist_ok=True)
    for name, folder in (("ancer_core", "ancer_core"), ("ancer_app", "app")):
        link = shim / name
        if not link.exists():
            link.symlink_to(root.resolve() / folder)
    return str(shim)


def measure(root: Path, images: list[int], work: Path) -> dict:
    store = work / "store.sqlite"
    env = {"ANCER_STORE": str(store), "PYTHONPATH": _python_path_for(root, work / "shim")}
    port = classroom.free_port()
    proc = classroom.start_server(port, work / "server.log", env=env, root=root.resolve())
    drv = first_paint.new_browser(work / "profile")
    url = f"http://127.0.0.1:{port}"
    out = []
    try:
        drv.set_script_timeout(200)
        first_paint.usable_button_s(drv, f"{url}/?image={images[0]}&preset=quick&norm=l2", "Run fixed", 180)
        time.sleep(15)  # the first visit's warm-up (speeds measured, kernels built) finishes after the button
        for i in images:
            first_paint.usable_button_s(drv, f"{url}/?image={i}&preset=quick&norm=l2", "Run fixed", 180)
            time.sleep(3)  # the estimate under the button has been drawn
            out.append({"image": i, "rows_s": drv.execute_async_script(ROWS_JS, 180)})
    finally:
        drv.quit()
        proc.terminate()
        proc.wait(30)
    return {"root": str(root), "runs": out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", action="append", type=Path, help="a checkout to measure (repeatable)")
    ap.add_argument("--images", type=int, nargs="+", default=[3, 7, 12])
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    from ancer_core.core.precision import cpu_features, cpuinfo

    report = {
        "cpu": cpuinfo("model name") or platform.machine(),
        "cpu_features": cpu_features(),
        "cpu_threads": os.cpu_count(),
        "checkouts": [],
    }
    for root in args.root or [classroom.ROOT]:
        with tempfile.TemporaryDirectory() as work:
            report["checkouts"].append(measure(root, args.images, Path(work)))
            print(json.dumps(report["checkouts"][-1]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
