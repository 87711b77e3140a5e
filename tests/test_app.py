"""The Streamlit app driven headless with streamlit.testing.v1.AppTest, on CPU, tiny settings."""

import numpy as np
import pytest
from conftest import APP, open_page, tiny_live_run
from streamlit.testing.v1 import AppTest

import ancer_core as ac

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not ac.shipped_models(), reason="no shipped models")]


def _certificates(at):
    """The live page's certificates table (a static table, one row per method)."""
    return at.table[0].value.reset_index()


_tiny = tiny_live_run


def test_live_page_runs_and_shows_results():
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    next(w for w in at.number_input if w.label.startswith("test image index")).set_value(7)
    _tiny(at).run()
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    table = _certificates(at)
    assert list(table["method"]) == ["fixed σ", "Isotropic DD", "ANCER"]  # display names; ids stay in files
    assert {"p̲A", "gap", "proxy radius", "⊇ isotropic DD?"} <= set(table.columns)
    assert np.isfinite(table["p̲A"]).all()
    assert any("Per-pixel θ" in s.value for s in at.subheader)
    assert any(s.value == "Watch θ move" for s in at.subheader)  # the optimizers' playback
    assert any(m.value.startswith("θ went from 0.25 to ") for m in list(at.info) + list(at.warning))
    assert at.query_params["image"] == ["7"] or at.query_params["image"] == "7"


def test_nonsense_settings_are_explained():
    at = AppTest.from_file(APP, default_timeout=60).run()
    next(w for w in at.number_input if w.label == "N0 (selection samples)").set_value(500)
    next(w for w in at.number_input if w.label == "N (estimation samples)").set_value(10)
    at.run()
    assert not at.exception
    assert any("smaller than N0" in e.value for e in at.error)
    assert next(b for b in at.button if b.label.startswith("▶ Run")).disabled


def test_live_page_after_a_run_has_figure2_slices_export_and_mc_check():
    at = AppTest.from_file(APP, default_timeout=180).run()
    next(w for w in at.number_input if w.label.startswith("test image index")).set_value(1)
    _tiny(at).run()
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception, at.exception
    heads = [s.value for s in at.subheader]
    for h in ("Perturbed images (paper Figure 2)", "Regions: 2D slices through x", "Export"):
        assert h in heads
    at.toggle(key="overlay").set_value(True).run()
    assert not at.exception
    check = [b for b in at.button if b.label.startswith("Monte Carlo check")]
    assert check, "image 1 is certified by both methods with these seeded settings, so the check must be offered"
    check[0].click().run()
    assert not at.exception
    assert at.success or at.warning
    at.radio(key="slice_kind").set_value("random").run()
    assert not at.exception


def test_gallery_class_filter_and_bad_query_parameters():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["image"] = "not-a-number"
    at.query_params["sigma"] = "99"
    at.run()
    assert not at.exception
    assert at.number_input(key="image_index").value == 0
    at.selectbox(key="class_filter").set_value("ship").run()
    idx = at.number_input(key="image_index").value
    assert ac.load_cifar10("test")[1][idx].item() == ac.CLASSES.index("ship")
    assert not any(b.label == "pick" for b in at.button)  # a closed gallery sends nothing
    at.session_state["gallery_open"] = True  # opened, as a click on the expander does
    at.run()
    pick = next(b for b in at.button if b.label == "pick" and b.key != f"pick{idx}")
    pick.click().run()
    assert at.number_input(key="image_index").value == int(pick.key[4:])


def test_preset_switch_restores_values_and_the_run_time_is_estimated():
    """Regression: widgets whose defaults came from the URL were recreated on the next rerun, which
    undid the user's click (paper → quick stayed paper-sized)."""
    at = AppTest.from_file(APP, default_timeout=120).run()

    def n_value():
        return next(w for w in at.number_input if w.label == "N (estimation samples)").value

    def preset(name):
        next(r for r in at.radio if r.label == "preset").set_value(name)
        at.run()

    assert n_value() == ac.PRESETS["quick"].n
    preset("paper")
    assert n_value() == ac.PRESETS["paper"].n
    preset("quick")
    assert n_value() == ac.PRESETS["quick"].n and not at.exception
    est = [c.value for c in at.caption if c.value.startswith("This run:")]
    # three CERTIFY runs of N0 + N = 2,064, and the scalar Isotropic DD solver's 33 θ values × 32 draws (its
    # grid up to the bound 2 θ₀: 21 points, two golden-section points and ten refinements)
    assert est and "7,248 noisy images" in est[0] and "images/s" in est[0]
    assert ac.work_estimate(ac.PRESETS["quick"])["forward"] == 3 * 2_064 + 33 * 32


def _run_tiny(at):
    _tiny(at).run()
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception, at.exception
    return at


def test_live_page_shows_the_noisy_copies_and_the_attack_holds_or_says_why():
    at = AppTest.from_file(APP, default_timeout=180).run()
    next(w for w in at.number_input if w.label.startswith("test image index")).set_value(7)
    _run_tiny(at)
    heads = [s.value for s in at.subheader]
    assert "What the smoothed classifier sees" in heads and "Try to break it" in heads
    assert any("runner-up" in c.value and "α = 0.001" in c.value for c in at.caption)  # under the vote counts
    at.number_input(key="atk_steps").set_value(2)
    at.number_input(key="atk_samples").set_value(4)
    at.run()
    next(b for b in at.button if b.label.startswith("⚔ Attack")).click().run()
    assert not at.exception, at.exception
    said = [m.value for m in list(at.success) + list(at.error)]
    assert any("certified region" in s and "PREDICT at x + δ (N = 32" in s for s in said), said
    assert any("budget ‖δ/θ‖2 ≤" in c.value for c in at.caption)


def test_the_attack_runs_for_every_classifier_in_every_regions_shape():
    """Each (attacked classifier × region shape) pair: a scalar θ (fixed σ, Isotropic DD) with an image-shaped
    δ crashed the verdict, and only ANCER in ANCER's region was tried."""
    at = AppTest.from_file(APP, default_timeout=180).run()
    next(w for w in at.number_input if w.label.startswith("test image index")).set_value(7)
    _run_tiny(at)
    at.number_input(key="atk_steps").set_value(1)
    at.number_input(key="atk_samples").set_value(2)
    at.run()
    methods = at.selectbox(key="atk_method").options
    assert "Isotropic DD" in methods and "ANCER" in methods  # display names (an abstaining method is left out)
    ids = [m for m, label in ac.METHOD_LABELS.items() if label in methods]
    for attacked in ids:
        for budget in ids:
            at.selectbox(key="atk_method").set_value(attacked)
            at.selectbox(key="atk_budget").set_value(budget).run()
            next(b for b in at.button if b.label.startswith("⚔ Attack")).click().run()
            assert not at.exception, (attacked, budget, at.exception)
            said = " ".join(m.value for m in list(at.success) + list(at.error))
            assert "certified region" in said, (attacked, budget, said)


def test_own_image_runs_without_a_label_and_two_runs_compare():
    at = AppTest.from_file(APP, default_timeout=180).run()
    _run_tiny(at)  # a test image first, for the comparison
    at.radio(key="source").set_value("own").run()
    assert any(s.value == "Your own image" for s in at.subheader)
    photo = next(o for o in at.radio(key="own_pick").options if o != "upload")
    at.radio(key="own_pick").set_value(photo).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception, at.exception
    assert list(_certificates(at)["method"]) == ["fixed σ", "Isotropic DD", "ANCER"]
    assert any(s.value == "Compare runs" for s in at.subheader)
    cmp = at.dataframe[-1].value  # the comparison table
    assert set(cmp["run"]) == {"1", "2"} and len(cmp) == 6


def test_presenter_mode_from_the_url_hides_the_controls():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["presenter"] = "1"
    at.run()
    assert not at.exception
    assert at.toggle(key="presenter").value
    assert not [w for w in at.number_input if w.label == "N0 (selection samples)"]  # no advanced settings
    assert any("font-size" in m.value for m in at.markdown)  # the projector style sheet
    at.toggle(key="presenter").set_value(False).run()
    assert any(w.label == "N0 (selection samples)" for w in at.number_input)
    assert not any("font-size" in m.value for m in at.markdown)


def test_results_page_across_sigma_and_theta_maps(tmp_path, monkeypatch, fake_grid):
    """The whole-grid view (Tables 1/2 as top-1 across σ, Tables 4/5) and the θ-map browser."""
    fake_grid(
        tmp_path,
        np.random.default_rng(0),
        {
            "small-gaussian-0.25": ("l2", 0.25, [0, 50, 100, 150]),
            "small-gaussian-0.50": ("l2", 0.5, [0, 100]),
            "small-uniform-0.50": ("l1", 0.5, [0, 50]),
        },
    )
    monkeypatch.setenv("ANCER_RESULTS", str(tmp_path))
    at = open_page("results", 180)
    assert not at.exception, at.exception
    assert at.radio(key="results_source").value.startswith("across σ")
    heads = [h.value for h in at.subheader]
    assert any(h.startswith("Table 1") for h in heads) and any(h.startswith("Table 2") for h in heads)
    env = at.dataframe[0].value  # Table 1, then which σ, Table 2, which σ, Tables 4/5
    assert list(env["method"]) == ["fixed σ", "Isotropic DD", "ANCER"]  # display names
    assert "on the 2 test images every model certified with every method" in " ".join(c.value for c in at.caption)
    # the fake files predate the surrogate's keys: the paper's objective as the original ran it
    assert "the optimizers maximised the paper objective, θ unbounded" in " ".join(c.value for c in at.caption)
    assert len(at.dataframe[4].value) == 3
    at.radio(key="results_source").set_value("small-gaussian-0.25").run()
    assert not at.exception, at.exception
    said = " ".join(m.value for m in at.markdown)
    assert "the optimizers maximised the paper objective" in said and "ancer: images" in said
    assert any("θ maps over the 4 certified images" in h.value for h in at.subheader)
    at.radio(key="theta_mode").set_value("mean per class").run()
    assert not at.exception, at.exception
    lost = next(d.value for d in at.dataframe if "lost at r = 0" in d.value.columns)  # against fixed σ
    assert list(lost["method"]) == ["Isotropic DD", "ANCER"] and (lost["images"] == 4).all()
    # the memory reading: the same views, replayed with memory-based certification
    at.radio(key="reading").set_value("with memory").run()
    assert not at.exception, at.exception
    assert any("Memory-based certification revised" in c.value for c in at.caption)  # never silently identical
    assert list(at.dataframe[0].value["method"]) == ["fixed σ", "Isotropic DD", "ANCER"]


def test_results_tables_are_static_in_presenter_mode(tmp_path, monkeypatch, fake_grid):
    """A data grid draws on a canvas no style enlarges: in presenter mode the tables are static, whose type the
    projector style enlarges, with the same rows."""
    fake_grid(tmp_path, np.random.default_rng(0), {"small-gaussian-0.25": ("l2", 0.25, [0, 50, 100, 150])})
    monkeypatch.setenv("ANCER_RESULTS", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["presenter"] = "1"
    at.run()
    at = at.switch_page("screens/results.py").run()
    assert not at.exception, at.exception
    assert not at.dataframe and at.table
    assert list(at.table[0].value["method"]) == ["fixed σ", "Isotropic DD", "ANCER"]


def test_results_page_offers_a_grid_kept_inside_the_shipped_one(tmp_path, monkeypatch, fake_grid):
    """results/paper-objective/ (another grid inside the shipped one) is offered beside it and read on its own."""
    import json

    from ancer_core.core import Settings

    rng = np.random.default_rng(3)
    fake_grid(tmp_path, rng, {"small-gaussian-0.25": ("l2", 0.25, [0, 100]), "small-gaussian-0.50": ("l2", 0.5, [0])})
    fake_grid(tmp_path / "paper-objective", rng, {"small-gaussian-0.25": ("l2", 0.25, [0, 100, 200])})
    for m in ("isotropic-dd", "ancer"):  # the shipped grid's optimizers ran the default
        for g in ("small-gaussian-0.25", "small-gaussian-0.50"):
            meta = tmp_path / g / f"{m}.tsv.json"
            meta.write_text(json.dumps(json.loads(meta.read_text()) | {"settings": Settings().as_dict()}))
    monkeypatch.setenv("ANCER_RESULTS", str(tmp_path))
    at = open_page("results", 180)
    assert not at.exception, at.exception
    grids = at.radio(key="results_grid")
    assert [str(o) for o in grids.options] == [f"{tmp_path.name}/", f"{tmp_path.name}/paper-objective/"]
    assert "maximised the anchored objective with θ ≤ 2" in " ".join(c.value for c in at.caption)
    grids.set_value(tmp_path / "paper-objective").run()
    assert not at.exception, at.exception
    assert list(at.radio(key="results_source").options) != []
    at.radio(key="results_source").set_value("small-gaussian-0.25").run()
    assert not at.exception, at.exception
    lost = next(d.value for d in at.dataframe if "lost at r = 0" in d.value.columns)
    assert (lost["images"] == 3).all()  # the kept grid's files, not the shipped ones
    assert "the optimizers maximised the paper objective, θ unbounded" in " ".join(m.value for m in at.markdown)


def test_live_page_runs_the_papers_objective_with_the_gradient_solver():
    """The non-default choices: the paper's objective (θ unbounded) and the gradient solver, stated with the run."""
    at = AppTest.from_file(APP, default_timeout=180).run()
    _tiny(at)
    at.selectbox(key="objective").set_value("paper")
    at.selectbox(key="iso_solver").set_value("gradient")
    _run_tiny(at)
    said = "maximised the paper objective, θ unbounded (Isotropic DD: gradient solver)"
    assert any(said in c.value for c in at.caption)


@pytest.mark.parametrize("native", [True, False])
def test_app_optimizer_precision_defaults_to_the_command_lines(monkeypatch, native):
    """On a CPU with native bf16 and on one without: the app's optimizer precision beside int8 CERTIFY is
    what `certify --precision int8` runs its optimizers in on the same CPU, and the run records it."""
    from ancer_core.cli import build_parser
    from ancer_core.cli.common import optimizer_precision

    feats = dict.fromkeys(("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8"), False)
    monkeypatch.setattr("ancer_core.core.precision.cpu_features", lambda: feats | {"amx_bf16": native})
    argv = ["certify", "--precision", "int8", "--device", "cpu", "--norm", "l2", "--method", "ancer", "--sigma", "0.25"]
    argv += ["--out", "unused.tsv"]
    cli = optimizer_precision(build_parser(argv).parse_args(argv))
    assert cli == ("bf16" if native else "fp32")
    at = AppTest.from_file(APP, default_timeout=120).run()
    choose = next(w for w in at.selectbox if w.label == "CERTIFY precision")
    if not any(o.startswith("int8") for o in choose.options):  # the options as shown, with their speed-up
        pytest.skip("this CPU has no int8 engine")
    choose.set_value("int8").run()
    shown = [w for w in at.selectbox if w.label == "optimizers' precision"]
    assert (shown[0].value if shown else "fp32") == cli and bool(shown) == native  # offered only where native
    if not native:  # one run shows that the choice reaches the run and its caption (bf16 is emulated here)
        next(w for w in at.number_input if w.label.startswith("test image index")).set_value(1)
        _run_tiny(at)
        assert any(f"The optimizers ({cli})" in c.value for c in at.caption)


def test_when_the_bound_binds_the_page_says_so_and_runs_the_papers_objective_beside_it():
    """Image 7 of small-gaussian-0.25: Isotropic DD's σ ends on the bound 2 σ₀, so ANCER cannot move; the
    page says so above the playback, under the θ maps and the slices, and one click runs the paper's
    objective, which the comparison then shows beside the first run."""
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["image"] = "7"
    at.query_params["preset"] = "quick"
    at.run()
    next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
    assert not at.exception
    said = " ".join(w.value for w in at.warning)
    assert "reached the bound σ ≤ 2 × 0.25 = 0.5" in said and "no room to move" in said
    assert "mostly frog" in said  # the class this network answers under heavy noise
    captions = " ".join(c.value for c in at.caption)
    assert "The map is flat" in captions and "the same circle" in captions
    next(b for b in at.button if "paper's objective" in b.label).click().run()
    assert not at.exception and at.session_state["objective"] == "paper"
    runs = at.session_state["runs"]
    assert [r.settings.objective for r in runs] == ["anchored", "paper"]
    assert any(s.value == "Compare runs" for s in at.subheader)


def test_a_second_session_gets_the_first_sessions_run_shared_and_equal_to_a_fresh_one(monkeypatch, tmp_path):
    """Two students, one image: the second's Run is answered from the server's memory (no computation), and
    its certificates equal those of a fresh computation of the same run. After a restart of the server (a
    new job board, the store opened again) the run comes from the result store on disk."""
    import ancer_app.ui.resources as resources

    def session():
        at = AppTest.from_file(APP, default_timeout=300)
        at.query_params["image"] = "3"
        at.query_params["preset"] = "quick"
        return _tiny(at.run())

    def run(at):
        next(b for b in at.button if b.label.startswith("▶ Run")).click().run()
        assert not at.exception
        return {m: r.certificates[0].summary() for m, r in at.session_state["last_run"].results.items()}

    board = resources.job_board()
    first = run(session())
    computed = board.computed
    second_at = session()
    second = run(second_at)
    assert board.computed == computed  # nothing was computed for the second session
    assert any("from the result store" in s.value for s in second_at.success)
    assert second == first
    resources.job_board.clear()  # the server restarted: its memory is gone, the store on disk is not
    resources._store.clear()
    third_at = session()
    assert run(third_at) == first and resources.job_board().computed == 0
    assert any("from the result store" in s.value for s in third_at.success)
    monkeypatch.setenv("ANCER_STORE", str(tmp_path / "fresh.sqlite"))  # nothing stored: computed again, the same
    assert run(session()) == first and resources.job_board().computed == 1


def test_sequential_sampling_from_the_link_shows_samples_and_explains_an_abstain():
    """Image 0 abstains with fixed σ on small-gaussian-1.00 (results/small-gaussian-1.00/fixed.tsv)."""
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({"model": "small-gaussian-1.00", "image": "0", "sampling": "sequential"})
    at.run()
    assert at.selectbox(key="sampling").value == "sequential"
    _run_tiny(at)
    table = _certificates(at)
    assert {"samples", "stopped"} <= set(table.columns)
    assert all(s.endswith("of 32") for s in table["samples"])
    said = [m.value for m in at.info]
    assert any("Why it abstains." in m and "**fixed σ**:" in m and "p̂A =" in m for m in said), said
    assert at.query_params["sampling"] in ("sequential", ["sequential"])


def test_results_page_shows_a_table_mode_grid_at_its_decided_radii_only(tmp_path, monkeypatch, fake_grid):
    """A table-mode grid's radii are fixed sampling's only at the radii it decided: the page tables those, with
    no ACR, AC R̃ or proxy-radius figure, and says why, across σ and for one model."""
    import json

    models = {"small-gaussian-0.25": ("l2", 0.25, [0, 50, 100, 150]), "small-gaussian-0.50": ("l2", 0.5, [0, 50])}
    fake_grid(tmp_path, np.random.default_rng(1), models)
    for f in tmp_path.glob("*/*.tsv.json"):
        meta = json.loads(f.read_text())
        f.write_text(json.dumps(meta | {"settings": {"sampling": "sequential", "radii": [0.0, 0.5, 1.0]}}))
    monkeypatch.setenv("ANCER_RESULTS", str(tmp_path))
    at = open_page("results", 180)
    assert not at.exception, at.exception
    env = at.dataframe[0].value
    assert list(env.columns) == ["method", "ℓ2 r=0 (%)", "ℓ2 r=0.5 (%)", "ℓ2 r=1 (%)"]
    captions = " ".join(c.value for c in at.caption)
    assert "Table mode: every image drew samples only until the radii 0, 0.5, 1 were decided" in captions
    assert "Not for small-gaussian-0.25, small-gaussian-0.50: table mode leaves the radii" in captions
    charts = [str(c.proto) for c in at.get("plotly_chart")]
    assert any("at the radii table mode decided" in c for c in charts)  # the one figure, at the decided radii
    assert not any("proxy radius" in c for c in charts)
    at.radio(key="results_source").set_value("small-gaussian-0.25").run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "method" in d.value.columns and "@0.5" in d.value.columns)
    assert "ACR" not in table.columns and "@0.25" not in table.columns
    assert any(h.value == "Tables 1/2 for this σ: certified accuracy" for h in at.subheader)
    assert "a lower bound on the gap fixed sampling at N would give" in " ".join(c.value for c in at.caption)
