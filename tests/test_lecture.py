"""Prepared lectures: the result store (SQLite, data only) round-trips a run exactly and keys it by every input
and the library's version; lecture files are checked step by step; `ancer lecture prepare` fills the store
under the key the app computes for the same view."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
import torch

import ancer_core as ac
from ancer_core.cli import main
from ancer_core.data.store import ResultStore, decode_results, encode_results, store_key


def _results(linear_model):
    torch.manual_seed(0)
    model = linear_model(torch.randn(3 * 32 * 32) * 0.01, 0.3).eval()
    settings = ac.preset("quick", n0=16, n=64, iso_samples=4, ancer_iterations=3, ancer_samples=4)
    x = torch.rand(1, 3, 32, 32)
    return ac.run_all_methods(model, x, "l2", 0.25, settings, indices=[5], snapshots=3)


def test_a_run_round_trips_through_the_store_exactly(linear_model, tmp_path):
    results = _results(linear_model)
    back = decode_results(*encode_results(results))
    assert list(back) == list(results)
    for m, r in results.items():
        b = back[m]
        assert torch.equal(b.theta, r.theta) and b.seconds == r.seconds and b.stage_seconds == r.stage_seconds
        assert [c.summary() for c in b.certificates] == [c.summary() for c in r.certificates]
        assert b.certificates[0].extra == r.certificates[0].extra
        for stage, snaps in r.snapshots.items():
            assert all(np.array_equal(np.asarray(snaps[k]), np.asarray(b.snapshots[stage][k])) for k in snaps)
    store = ResultStore(tmp_path / "s.sqlite")
    store.put("k", results)
    again = ResultStore(tmp_path / "s.sqlite")  # another process, or the server after a restart
    assert "k" in again and len(again) == 1
    assert again.get("k")["ancer"].certificates[0].summary() == results["ancer"].certificates[0].summary()
    assert again.get("other") is None


def test_a_damaged_entry_counts_as_absent_and_a_non_store_is_refused(linear_model, tmp_path):
    path = tmp_path / "s.sqlite"
    ResultStore(path).put("k", _results(linear_model))
    with sqlite3.connect(path) as db:
        db.execute("UPDATE runs SET arrays = ?", (b"not an archive",))
    assert ResultStore(path).get("k") is None  # computed again, never a traceback
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"this is no database" * 100)
    with pytest.raises(ac.AncerInputError, match="not a result store"):
        ResultStore(bad)


def test_a_key_names_every_input_and_the_library_version(monkeypatch):
    a = store_key("live-run", "m", 3, ac.preset("quick"))
    assert a == store_key("live-run", "m", 3, ac.preset("quick"))
    assert a != store_key("live-run", "m", 4, ac.preset("quick"))
    assert a != store_key("live-run", "m", 3, ac.preset("quick", n=1000))
    monkeypatch.setattr(ac, "__version__", "9.9.9")
    assert a != store_key("live-run", "m", 3, ac.preset("quick"))  # a changed library never serves a stale result


def test_the_shipped_lecture_walks_the_story():
    lecture = ac.lectures.read_lecture("intro")
    pages = [s.page for s in lecture.steps]
    assert pages[:3] == ["live"] * 3 and "toy" in pages and "theory" in pages
    images = [s.params.get("image") for s in lecture.steps if s.page == "live"]
    assert 7 in images and 0 in images  # the bound binds on 7; image 0 abstains on small-gaussian-1.00
    assert all(s.note for s in lecture.steps)
    first = lecture.steps[0].params
    assert {"model", "norm", "sigma", "preset", "sampling", "seed", "precision"} <= set(first)


@pytest.mark.parametrize(
    "doc, said",
    [
        ("not json", "not a lecture's JSON"),
        ({"steps": []}, "non-empty list"),
        ({"steps": [{"page": "nowhere"}]}, "names a page"),
        ({"steps": [{"page": "live", "image": 10000}]}, "0 … 9999"),
        ({"steps": [{"page": "live", "image": 3, "colour": "red"}]}, "unknown setting"),
        ({"steps": [{"page": "live", "image": 3, "model": "nope"}]}, "not shipped"),
        ({"steps": [{"page": "live", "image": 3, "sigma": 9}]}, "0.05 … 1.5"),
        ({"steps": [{"page": "toy", "points": [1, 2]}]}, "number or a text"),
    ],
)
def test_a_bad_lecture_file_is_refused_naming_the_step(tmp_path, doc, said):
    path = tmp_path / "mine.json"
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    with pytest.raises(ac.AncerInputError, match=said):
        ac.lectures.read_lecture(path)


@pytest.mark.parametrize("name", ["../etc/passwd", "a b", "", "nope"])
def test_a_lecture_is_found_by_name_only(name):
    with pytest.raises(ac.AncerInputError, match="lecture"):
        ac.lectures.find_lecture(name)


def test_lectures_in_a_folder_of_ones_own(tmp_path, monkeypatch):
    (tmp_path / "mine.json").write_text(json.dumps({"title": "Mine", "steps": [{"page": "theory", "note": "hi"}]}))
    monkeypatch.setenv("ANCER_LECTURES", str(tmp_path))
    assert ac.lectures.read_lecture("mine").title == "Mine"


@pytest.mark.slow
def test_prepare_fills_the_store_under_the_key_the_app_computes(tmp_path, capsys):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"steps": [{"page": "live", "image": 3, "note": "one step"}, {"page": "theory"}]}))
    store = tmp_path / "store.sqlite"
    assert main(["lecture", "prepare", str(path), "--store", str(store)]) == 0
    assert "1 computed now" in capsys.readouterr().err
    assert main(["lecture", "prepare", str(path), "--store", str(store)]) == 0  # again: nothing to compute
    assert "0 computed now, 1 already there" in capsys.readouterr().err
    step = ac.lectures.read_lecture(path).steps[0]
    model = ac.load_model(step.params["model"])
    x = ac.load_cifar10("test")[0][3:4]
    key = ac.lectures.live_run(step.params, model.card["weights_sha256"]).key(x)
    assert key in ResultStore(store)
    assert main(["lecture", "show", str(path), "--store", str(store)]) == 0
    assert ": prepared" in capsys.readouterr().out


@pytest.mark.slow
def test_a_prepared_toy_view_opens_the_toy_page_without_training_or_searching(tmp_path, monkeypatch):
    """`ancer lecture prepare` on a toy step fills the store with what the toy page computes when it opens;
    the page then opens with the training and every plane and region search refused (they would raise),
    and what the store returns equals a fresh computation."""
    from streamlit.testing.v1 import AppTest

    from ancer_core.teaching import toy_views as TV

    path = tmp_path / "toy.json"
    path.write_text(json.dumps({"steps": [{"page": "toy", "note": "the plane"}, {"page": "toy"}]}))
    store = tmp_path / "store.sqlite"
    monkeypatch.setenv("ANCER_STORE", str(store))
    assert main(["lecture", "prepare", str(path), "--store", str(store)]) == 0
    fresh = TV.planes(None, "radial", 0.1, 64, 1.1, 0.0, 0.0)
    kept = TV.planes(ResultStore(store), "radial", 0.1, 64, 1.1, 0.0, 0.0)
    for norm in fresh:
        np.testing.assert_array_equal(fresh[norm][0]["proxy_radius"], kept[norm][0]["proxy_radius"])
        assert fresh[norm][1]["anisotropic"]["proxy_radius"] == kept[norm][1]["anisotropic"]["proxy_radius"]

    def refused(*a, **k):
        raise AssertionError("computed although the lecture prepared it")

    for name in ("train_toy", "objective_plane", "ancer"):
        monkeypatch.setattr(TV, name, refused)
    for name in ("certified_selector", "fixed_regions"):
        monkeypatch.setattr(TV.ID, name, refused)
    one_point = TV.ID.data_dependent_regions  # the meeting point's own θ, asked live: one point is cheap

    def only_one(model, points, *a, **k):
        assert len(np.atleast_2d(points)) == 1, "the shown points' regions computed although prepared"
        return one_point(model, points, *a, **k)

    monkeypatch.setattr(TV.ID, "data_dependent_regions", only_one)
    app = str(__import__("pathlib").Path(__file__).resolve().parent.parent / "app" / "main.py")
    at = AppTest.from_file(app, default_timeout=300).run()
    at = at.switch_page("screens/toy.py").run()
    assert not at.exception, [e.stack_trace for e in at.exception]
    assert any("A θ that is certified itself" in s.value for s in at.subheader)
