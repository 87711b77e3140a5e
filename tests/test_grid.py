"""The results grid and the paper's across-σ tables (Tables 1/2 as top-1 over σ, Tables 4/5)."""

import json

import numpy as np
import pytest

from ancer_core.cli import main as cli
from ancer_core.core import Settings
from ancer_core.data import envelope, envelopes, load_grid, superset_rows

METHODS = ("fixed", "isotropic-dd", "ancer")


def brute_accuracy(t, keep, r, column="radius"):
    sel = np.isin(t["idx"], keep)
    return np.mean((t["correct"][sel] == 1) & (t[column][sel] >= r))


def test_envelope_is_the_best_sigma_per_radius_on_common_images(tmp_path, fake_grid):
    rng = np.random.default_rng(0)
    spec = {
        "g-0.25": ("l2", 0.25, list(range(0, 400, 2))),  # more images than the others
        "g-0.50": ("l2", 0.5, list(range(0, 400, 4))),
        "g-1.00": ("l2", 1.0, list(range(0, 400, 4))),
    }
    rows = fake_grid(tmp_path, rng, spec)
    grid = load_grid(tmp_path)
    assert [g.sigma for g in grid.values()] == [0.25, 0.5, 1.0]
    common = list(range(0, 400, 4))
    radii = [0.0, 0.25, 0.5, 1.0, 1.25]
    for m in METHODS:
        e = envelope(list(grid.values()), m, radii)
        assert e.images == len(common)
        for k, r in enumerate(radii):
            per = {s: brute_accuracy(rows[n, m], common, r) for n, (_, s, _) in spec.items()}
            assert e.accuracy[k] == pytest.approx(max(per.values()))
            assert per[e.best_sigma[k]] == pytest.approx(max(per.values()))
        acrs = [
            np.mean((rows[n, m]["radius"] * rows[n, m]["correct"])[np.isin(rows[n, m]["idx"], common)]) for n in spec
        ]
        assert e.acr == pytest.approx(max(acrs))


def test_superset_rows_count_ancer_best(tmp_path, fake_grid):
    rng = np.random.default_rng(1)
    rows = fake_grid(tmp_path, rng, {"u-0.50": ("l1", 0.5, list(range(50)))})
    (r,) = superset_rows(list(load_grid(tmp_path).values()))
    a, f, i = (rows["u-0.50", m] for m in ("ancer", "fixed", "isotropic-dd"))
    best = (a["radius"] >= f["radius"] - 1e-12) & (a["radius"] >= i["radius"] - 1e-12)
    assert r["best_radius"] == pytest.approx(best.mean()) and r["images"] == 50


def test_analyze_grid_prints_tables_1_2_and_4_5(tmp_path, capsys, fake_grid):
    rng = np.random.default_rng(2)
    fake_grid(
        tmp_path,
        rng,
        {"g-0.25": ("l2", 0.25, list(range(20))), "u-0.50": ("l1", 0.5, list(range(20)))},
    )
    assert cli(["analyze", "--grid", str(tmp_path), "--radii", "0", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "Table 1 (Gaussian" in out and "Table 2 (uniform" in out and "Tables 4/5" in out
    # files without the surrogate's keys predate them: the paper's objective, unbounded, gradient steps
    assert "u-0.50 (ℓ1, σ = 0.5, N = 10,000, α = 0.001, CERTIFY in fp32; the optimizers maximised the paper " in out
    for m in ("isotropic-dd", "ancer"):  # the optimizers' settings name the surrogate, not fixed σ's
        meta = tmp_path / "g-0.25" / f"{m}.tsv.json"
        meta.write_text(json.dumps(json.loads(meta.read_text()) | {"settings": Settings().as_dict()}))
    assert cli(["analyze", "--grid", str(tmp_path), "--radii", "0"]) == 0
    out = capsys.readouterr().out
    said = "the optimizers maximised the anchored objective with θ ≤ 2 × the initial θ (Isotropic DD: scalar solver)"
    assert f"g-0.25 (ℓ2, σ = 0.25, N = 10,000, α = 0.001, CERTIFY in fp32; {said})" in out
    assert "objective, θ unbounded (Isotropic DD: gradient solver)" in out  # u-0.50 unchanged
    assert cli(["analyze", "--grid", str(tmp_path / "missing")]) == 2
    assert cli(["analyze"]) == 2


def test_envelopes_compare_every_method_on_the_same_images(tmp_path, fake_grid):
    """A grid still being extended (ANCER on fewer images than fixed σ): Tables 1/2 take every method
    on the images every model certified with every method."""
    rng = np.random.default_rng(4)
    fake_grid(tmp_path, rng, {"g-0.25": ("l2", 0.25, list(range(40))), "g-0.50": ("l2", 0.5, list(range(40)))})
    t = tmp_path / "g-0.50" / "ancer.tsv"
    lines = t.read_text().splitlines()
    t.write_text("\n".join(lines[:11]) + "\n")  # ANCER on images 0–9 only
    models = list(load_grid(tmp_path).values())
    envs = envelopes(models, [0.0, 0.5])
    assert {e.images for e in envs.values()} == {10}
    for m, e in envs.items():
        assert e.accuracy[0] == pytest.approx(max(brute_accuracy(g.tables[m], list(range(10)), 0.0) for g in models))
    assert envelope(models, "fixed", [0.0]).images == 40  # one method alone: its own common images


def test_samples_rows_are_the_samples_column_summarized_and_leave_fixed_files_out():
    from ancer_core.data import samples_rows, samples_table
    from ancer_core.data.results import Table

    spent = np.array([128, 256, 4000, 4000, 1024])
    seq = Table({"idx": np.arange(5), "samples": spent})
    fixed = Table({"idx": np.arange(5)})
    (row,) = samples_rows({"ancer": seq, "fixed": fixed}, n=4000)
    assert (row["file"], row["images"], row["min"], row["max"], row["total"]) == ("ancer", 5, 128, 4000, 9408)
    assert row["mean"] == 9408 / 5 and row["median"] == 1024 and row["× fewer than N"] == 4000 / (9408 / 5)
    assert "ancer" in samples_table({"ancer": seq}) and samples_table({"fixed": fixed}) == ""


def test_sampling_words_say_how_a_file_drew_its_samples():
    from ancer_core.data.records import sampling_words

    base = {"N": 100_000, "settings": Settings().as_dict()}
    assert sampling_words(base) == "N = 100,000"
    table = base | {"settings": Settings(sampling="sequential", radii=(0.0, 0.25)).as_dict()}
    assert sampling_words(table) == "sequential sampling (table mode at radii 0, 0.25; at most N = 100,000 each)"
    tol = base | {"settings": Settings(sampling="sequential").as_dict()}
    assert sampling_words(tol) == "sequential sampling (tolerance 0.03; at most N = 100,000 each)"


def _in_table_mode(folder, radii, method_radii=None):
    """Rewrites a fake grid's settings records as table mode at ``radii`` (``method_radii``: per method)."""
    for f in folder.glob("*.tsv.json"):
        meta = json.loads(f.read_text())
        method = f.name.split(".")[0]
        meta["settings"] = {"sampling": "sequential", "radii": list((method_radii or {}).get(method, radii))}
        meta["preset"] = "paper, changed"
        f.write_text(json.dumps(meta))


def test_a_table_mode_grid_is_tabled_only_at_the_radii_it_decided(tmp_path, capsys, fake_grid):
    """Table mode decides each image's certificate at its radii only: elsewhere (other radii, ACR, the proxy
    radius, the radii Tables 4/5 compare) a radius is a lower bound, so `analyze` shows the decided radii alone."""
    fake_grid(tmp_path, np.random.default_rng(0), {"small-gaussian-0.25": ("l2", 0.25, list(range(0, 400, 10)))})
    _in_table_mode(tmp_path / "small-gaussian-0.25", [0.0, 0.5, 1.0])
    assert cli(["analyze", "--grid", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    table1 = out.split("Table 1 (Gaussian noise, ℓ2 radius), as run: certified accuracy (%)\n")[1].split("\n\n")[0]
    head = table1.splitlines()[1].split()
    assert head == ["method", "0", "0.5", "1"], table1  # not 0.25, 0.75, 1.25, 1.5, ACR or ACR~
    assert "Table mode: every image drew samples only until the radii 0, 0.5, 1 were decided" in table1
    assert "Tables 4/5 leave out small-gaussian-0.25" in out and "% of the images where ANCER" not in out
    per_sigma = out.split("Per σ (Appendix F)")[1]
    assert "ACR" not in per_sigma.split("Estimation")[0] and "\n0" not in per_sigma
    files = [str(tmp_path / "small-gaussian-0.25" / f"{m}.tsv") for m in METHODS]
    assert cli(["analyze", *files]) == 0
    out = capsys.readouterr().out
    assert "ACR~" not in out and "ACR =" not in out and "proxy radius R~" not in out and "Superset" not in out
    assert [line.split()[:4] for line in out.splitlines() if line.startswith("method")] == [["method", "0", "0.5", "1"]]


def test_decided_radii_are_those_every_table_mode_file_decided():
    from ancer_core.data import decided_radii, shown_radii, table_mode_words

    fixed = {"settings": {"sampling": "fixed"}}
    tolerance = {"settings": {"sampling": "sequential", "tolerance": 0.03}}  # the radius rule: every radius its own
    a = {"settings": {"sampling": "sequential", "radii": [0.0, 0.25, 0.5]}}
    b = {"settings": {"sampling": "sequential", "radii": [0.25, 0.5, 1.0]}}
    assert decided_radii([fixed, tolerance, {}]) is None and table_mode_words([fixed]) == ""
    assert shown_radii([0, 0.25, 2.0], [fixed, tolerance]) == ([0.0, 0.25, 2.0], True)
    assert decided_radii([a, fixed]) == (0.0, 0.25, 0.5) and decided_radii([a, b]) == (0.25, 0.5)
    assert shown_radii([0, 0.25, 0.5, 0.75, 1.0], [a, b]) == ([0.25, 0.5], False)
    assert shown_radii([2.0], [a]) == ([0.0, 0.25, 0.5], False)  # none asked for is decided: the decided ones
    assert "radii 0.25, 0.5 were decided" in table_mode_words([a, b])


def test_a_record_names_the_settings_its_run_changed_from_the_preset():
    from ancer_core.core import PRESETS
    from ancer_core.data.records import preset_words

    paper = PRESETS["paper"].as_dict()
    assert preset_words({"preset": "paper", "settings": paper}) == "preset paper"
    table = dict(paper, sampling="sequential", tolerance=0.03, radii=[0.0, 0.5])
    assert preset_words({"preset": "paper, changed", "settings": table}) == "preset paper with sampling, radii changed"
    fewer = dict(PRESETS["cpu"].as_dict(), ancer_iterations=50)
    assert preset_words({"preset": "cpu, changed", "settings": fewer}) == "preset cpu with ancer_iterations changed"
    assert preset_words({}) == "preset ?"
