"""``lecture``: prepare a lecture before the class (``lecture prepare FILE``): every live-page view of it is
computed into the result store the app reads, so each step shows its certificates without waiting;
``lecture show FILE`` lists its steps and whether each is prepared."""

from __future__ import annotations

import argparse
import sys
import time

from ..console import Progress
from ..core.settings import stage_work
from ..data.store import ResultStore, default_store_path
from ..lectures import live_run, prepare, prepare_toy_steps, read_lecture


def add_arguments(a: argparse.ArgumentParser) -> None:
    a.add_argument("action", choices=("prepare", "show"), help="prepare: compute every live step; show: list the steps")
    a.add_argument("lecture", help="a lecture's JSON file, or the name of a shipped one (e.g. intro)")
    a.add_argument(
        "--store",
        default=None,
        help=f"the result store the app reads (default: $ANCER_STORE, else {default_store_path()})",
    )


def run(args) -> int:
    lecture = read_lecture(args.lecture)
    store = ResultStore(args.store)
    print(f"{lecture.title}: {len(lecture.steps)} steps; result store {store.path}", file=sys.stderr)
    if args.action == "show":
        return _show(lecture, store)
    t0 = time.time()
    live = [s for s in lecture.steps if s.page == "live"]
    bar = Progress(max(1, len(live)), "lecture")
    state = {"started": 0, "report": None}  # live steps begun: prepare says one line as each begins

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)
        k = state["started"]
        state["started"] += 1
        if text.endswith("already prepared"):
            bar.update(state["started"])
        else:  # this step's stages and their shares, once per step rather than once per progress report
            state["report"] = bar.stages(stage_work(live_run(live[k].params, None).settings), 1, before=k)

    def callback(stage, done, total, stats):  # within a step: its share of the three methods' work
        state["report"](stage, done, total, stats)

    out = prepare(lecture, store, say=say, callback=callback if live else None)
    toy = prepare_toy_steps(lecture, store, say=lambda text: print(text, file=sys.stderr, flush=True))
    made = sum(new for _, _, new in out)
    print(
        f"prepared {len(out)} live step(s) ({made} computed now, {len(out) - made} already there) and {toy} toy "
        f"view(s) in "
        f"{time.time() - t0:.0f} s; open /?lecture={lecture.name} in the app (the same store: "
        f"ANCER_STORE={store.path} if it is not the default)",
        file=sys.stderr,
    )
    return 0


def _show(lecture, store: ResultStore) -> int:
    from ..data.cifar10 import load_cifar10
    from ..models.checkpoints import load_model

    x_all, _ = load_cifar10("test")
    for k, step in enumerate(lecture.steps, start=1):
        said = f"{k}. {step.page}"
        if step.page == "live":
            p = step.params
            model = load_model(p["model"])
            key = live_run(p, getattr(model, "card", {}).get("weights_sha256")).key(x_all[p["image"] : p["image"] + 1])
            said += f" image {p['image']} {p['model']} {p['norm']} σ={p['sigma']:g} {p['precision']}: " + (
                "prepared" if key in store else "not prepared"
            )
        print(said + (f" — {step.note[:80]}…" if len(step.note) > 80 else f" — {step.note}"))
    return 0
