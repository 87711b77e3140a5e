"""scripts/compare_paired.py: paired certified-accuracy differences and their bootstrap intervals."""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from ancer_core.data.results import HEADER, Table

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("compare_paired", ROOT / "scripts" / "compare_paired.py")
cp = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cp)

SETTINGS = {"norm": "l2", "sigma": 0.5, "N0": 100, "N": 10000, "alpha": 0.001, "seed": 0, "precision": "fp32"}


def write(path: Path, idx, radius, correct, **settings) -> str:
    # min θ 0.5 and gap 2r/… so that radius = min θ · gap, as every certificate's is
    rows = [
        f"{i}\t0\t{0 if c else 1}\t{r}\t{r}\t{int(c)}\t0.5\t1.0\t0.9\t{2 * r:g}"
        for i, r, c in zip(idx, radius, correct)
    ]
    path.write_text(HEADER + "\n" + "".join(row + "\n" for row in rows))
    path.with_name(path.name + ".json").write_text(json.dumps({**SETTINGS, **settings}))
    return str(path)


def table(idx, radius, correct) -> Table:
    radius = np.array(radius)
    return Table({"idx": np.array(idx), "radius": radius, "radius_proxy": 2 * radius, "correct": np.array(correct)})


def test_differences_on_common_images_match_a_hand_count():
    base = table([0, 1, 2, 3], [0.3, 0.6, 0.0, 1.2], [1, 1, 0, 1])
    cand = table([1, 2, 3, 9], [0.2, 0.7, 1.1, 5.0], [1, 1, 1, 1])  # 0 and 9 are not shared
    res = cp.compare(base, cand, radii=(0.0, 0.5, 1.0))
    assert res["images"] == 3
    b = [row["baseline"] for row in res["rows"]]
    c = [row["candidate"] for row in res["rows"]]
    assert np.allclose(b, [200 / 3, 200 / 3, 100 / 3]) and np.allclose(c, [100, 200 / 3, 100 / 3])
    assert np.isclose(res["acr"]["baseline"], (0.6 + 1.2) / 3) and np.isclose(res["acr"]["candidate"], 2.0 / 3)
    assert np.isclose(res["acr_proxy"]["candidate"], 4.0 / 3)  # AC R̃ from the proxy radius
    same = res["rows"][2]  # both certify only image 3 at r = 1: no difference on any image
    assert same["difference"] == 0 and same["ci95"] == [0.0, 0.0]
    # image 2: no certificate (wrong class) in the baseline, the right class in the candidate
    assert res["lost"] == [] and res["gained"] == [2]
    share = res["acr"]["relative_pct"]
    assert np.isclose(share[0], 100 * (2.0 / 3 - 0.6) / 0.6)  # ACR 0.6 → 2/3 on the common images
    assert share[1] <= share[0] <= share[2]


def test_an_image_whose_certificate_turns_to_an_abstention_or_the_wrong_class_is_lost():
    base = table([0, 1, 2, 3], [0.3, 0.6, 0.5, 0.0], [1, 1, 1, 0])
    cand = table([0, 1, 2, 3], [0.3, 0.0, 0.5, 0.4], [1, 1, 0, 1])  # 1 abstains, 2 certifies a wrong class
    res = cp.compare(base, cand)
    assert res["lost"] == [1, 2] and res["gained"] == [3]


def test_bootstrap_interval_agrees_with_the_normal_approximation():
    # 400 paired ±1/0 differences: for a sample this large the BCa interval and mean ± 1.96 s/√n
    # agree to within a quarter of the half-width (fixed data and seed: deterministic, it cannot flake).
    rng = np.random.default_rng(1)
    d = rng.choice([-100.0, 0.0, 100.0], size=400, p=[0.1, 0.75, 0.15])
    mean, lo, hi = cp.paired_difference(d)
    half = 1.96 * d.std(ddof=1) / np.sqrt(len(d))
    assert mean == pytest.approx(d.mean())
    assert lo == pytest.approx(mean - half, abs=0.25 * half) and hi == pytest.approx(mean + half, abs=0.25 * half)
    assert lo < mean < hi


def test_parts_are_joined_and_other_settings_are_refused(tmp_path, capsys):
    base = write(tmp_path / "base.tsv", [0, 1, 2, 3], [0.3, 0.6, 0.0, 1.2], [1, 1, 0, 1])
    part_a = write(tmp_path / "cand.a.tsv", [0, 1], [0.4, 0.7], [1, 1])
    part_b = write(tmp_path / "cand.b.tsv", [2, 3], [0.5, 1.3], [1, 1])
    out = tmp_path / "cmp.json"
    assert cp.main(["--baseline", base, "--candidate", part_a, part_b, "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["images"] == 4 and res["rows"][0]["baseline"] == 75 and res["rows"][0]["candidate"] == 100
    assert "4 images in common" in capsys.readouterr().out
    other = write(tmp_path / "other.tsv", [0, 1], [0.4, 0.7], [1, 1], N=100_000)
    with pytest.raises(SystemExit, match="differ in"):
        cp.main(["--baseline", base, "--candidate", other])
    mixed = write(tmp_path / "mixed.tsv", [2], [0.4], [1], sigma=0.25)
    with pytest.raises(SystemExit, match="other settings"):
        cp.main(["--baseline", base, "--candidate", part_a, mixed])
    alone = write(tmp_path / "alone.tsv", [7], [0.4], [1])
    with pytest.raises(SystemExit, match="no image in common"):
        cp.main(["--baseline", base, "--candidate", alone])
    Path(alone + ".json").unlink()
    with pytest.raises(SystemExit, match="no settings file"):
        cp.main(["--baseline", base, "--candidate", alone])


def test_objectives_comparison_reads_both_readings_of_the_shipped_grid(tmp_path):
    """A grid compared with a copy of itself: no differences; and the memory reading of the shipped
    `small-gaussian-1.00` files is the one `analyze --grid` reports (Isotropic DD r = 0: 49 → 9 %), so
    the target fails there for the paper's objective."""
    import shutil

    import ancer_core as ac

    spec = importlib.util.spec_from_file_location("compare_objectives", ROOT / "scripts" / "compare_objectives.py")
    co = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(co)
    base = ROOT / "results" / "paper-objective" / "small-gaussian-1.00"  # the paper's objective
    if not (base / "ancer.tsv").is_file():
        pytest.skip("no shipped grid")
    cand = tmp_path / base.name
    cand.mkdir()
    for f in ("isotropic-dd.tsv", "isotropic-dd.tsv.json", "ancer.tsv", "ancer.tsv.json"):
        shutil.copy(base / f, cand / f)
    shutil.copytree(base / "ancer-thetas", cand / "ancer-thetas")
    res = co.compare_model(base, cand, ac.load_cifar10("test")[0].numpy())
    assert res["images"] == 100
    run, mem = res["readings"]["as run"], res["readings"]["with memory"]
    iso = "isotropic-dd"
    assert run[iso]["baseline"]["certified"][0] == 49.0 and mem[iso]["baseline"]["certified"][0] == 9.0
    for r in (run, mem):
        for m in ("isotropic-dd", "ancer"):
            assert r[m]["baseline"] == r[m]["candidate"] and r[m]["paired"]["acr"]["difference"] == 0
    assert run["target"]["r0_no_fewer_than_fixed_minus_1pt"] and not mem["target"]["r0_no_fewer_than_fixed_minus_1pt"]
    assert any("small-gaussian-1.00 | 100 | with memory" in line for line in co.table_lines({base.name: res}))
    # One method compared (a remedy run for Isotropic DD alone): no ANCER columns, no ordering verdict.
    only = co.compare_model(base, cand, ac.load_cifar10("test")[0].numpy(), ("isotropic-dd",))
    assert set(only["readings"]["as run"]) == {"fixed", iso, "target"}
    assert only["readings"]["with memory"]["target"]["acr_ancer_ge_iso_ge_fixed"] is None
    lines = co.table_lines({base.name: only}, ("paper's", "T"))
    assert "Iso DD paper's → T, r=0" in lines[0] and "ANCER" not in lines[0]
    assert all(line.count("|") == lines[0].count("|") for line in lines)
    assert lines[-1].endswith("| r=0 ✗ |")
