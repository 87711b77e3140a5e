"""The optimizers' surrogate: the scalar Isotropic DD solver against a closed-form curve, the anchored
objective and the temperature, and that none of them changes what CERTIFY counts."""

import numpy as np
import pytest
import torch
from scipy.special import expit, ndtri

import ancer_core as ac
from ancer_core.core.isotropic_dd_solver import isotropic_dd_scalar
from ancer_core.core.smoothing import STREAM_ISOTROPIC_DD, make_generators
from ancer_core.core.surrogate import Surrogate, gap_pair, unit_draws


class NoiseEnergy(torch.nn.Module):
    """Two classes from the noise's energy: logits [0, a·‖x − x₀‖²/n − c]. For x = x₀ + θu the
    surrogate is p₂(θ) = mean_s expit(a·θ²·‖u_s‖²/n − c): a closed form in θ given the draws u."""

    def __init__(self, x0: torch.Tensor, a: float = 1.0, c: float = 4.0):
        super().__init__()
        self.x0, self.a, self.c = x0, a, c

    def forward(self, x):
        e = ((x - self.x0) ** 2).flatten(1).mean(1)
        return torch.stack([torch.zeros_like(e), self.a * e - self.c], 1)


def closed_form_objective(energy: np.ndarray, thetas: np.ndarray, a=1.0, c=4.0) -> np.ndarray:
    """Isotropic DD's ℓ2 objective θ·½(Φ⁻¹p₁ − Φ⁻¹p₂) with the optimizers' clamp, for draws of energy ‖u‖²/n."""
    p2 = expit(a * thetas[:, None] ** 2 * energy[None] - c).mean(1)
    p = np.clip(np.stack([1 - p2, p2], 1), 0.001, 0.999)
    p.sort(1)
    return thetas * 0.5 * (ndtri(p[:, 1]) - ndtri(p[:, 0]))


@pytest.mark.parametrize("search", ["local", "global"])
def test_scalar_solver_finds_the_closed_form_optimum(search):
    x = torch.full((1, 3, 8, 8), 0.5)
    model = NoiseEnergy(x[0]).eval()
    res = isotropic_dd_scalar(model, x, 0.5, "l2", samples=64, search=search, indices=[7])
    u = unit_draws("l2", make_generators(0, [7], "cpu", STREAM_ISOTROPIC_DD), 64, x)[0]
    energy = (u**2).flatten(1).mean(1).double().numpy()
    lo, hi = res.curves["theta"][0][[0, -1]]  # the solver's range: at least θ₀/2 … 16·θ₀
    assert lo <= 0.25 and hi >= 8.0
    fine = np.exp(np.linspace(np.log(lo), np.log(hi), 20001))
    f = closed_form_objective(energy, fine)
    if search == "global":
        best = fine[f.argmax()]  # where the other class wins by the widest gap: the top of the range
    else:  # the first maximum uphill from θ₀ = 0.5, before class 1 takes over
        start = np.searchsorted(fine, 0.5)
        best = fine[start + np.argmax(np.diff(f[start:]) <= 0)]
    assert abs(float(res.theta[0]) / best - 1) < 2e-3, (float(res.theta[0]), best)
    # its curve is the closed form at the grid's θ
    grid = res.curves["theta"][0]
    np.testing.assert_allclose(res.curves["objective"][0], closed_form_objective(energy, grid), rtol=1e-4, atol=1e-5)
    assert res.trace["theta_mean"].shape == (10, 1)


def test_local_search_stops_at_the_first_maximum_global_takes_the_best():
    # a two-humped curve: the first maximum near θ₀, a higher one far away (an attractor's basin)
    from ancer_core.core.isotropic_dd_solver import _climb

    f = torch.tensor([[0.0, 1.0, 2.0, 1.5, 1.0, 3.0, 4.0, 3.0]])
    assert int(_climb(f, 1)) == 2 and int(f.argmax()) == 6
    assert int(_climb(f, 4)) == 6  # uphill to the right from a valley
    assert int(_climb(-f, 2)) == 0  # downhill neighbours on both sides: the left is taken when it rises


def test_anchored_gap_pair_keeps_the_class():
    probs = torch.tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]])
    np.testing.assert_allclose(gap_pair(probs), [[0.7, 0.2], [0.5, 0.3]])
    # anchored at class 2: its probability, then the best other class (the gap is negative when another leads)
    np.testing.assert_allclose(gap_pair(probs, torch.tensor([2, 0])), [[0.2, 0.7], [0.5, 0.3]])


def test_anchored_objective_does_not_switch_to_another_class():
    # class 0 near x₀, class 1 (an "attractor") under heavy noise: the paper's objective on the whole
    # grid moves θ to where class 1 wins; the anchored objective keeps class 0's region
    x = torch.full((1, 3, 8, 8), 0.5)
    model = NoiseEnergy(x[0], a=1.0, c=1.0).eval()
    paper = isotropic_dd_scalar(model, x, 0.3, "l2", samples=64, search="global", high=32.0)
    anchored = isotropic_dd_scalar(
        model, x, 0.3, "l2", samples=64, search="global", high=32.0, surrogate=Surrogate("anchored")
    )
    assert int(anchored.curves["anchor"][0]) == 0
    k_paper = np.abs(paper.curves["theta"][0] - float(paper.theta[0])).argmin()
    k_anch = np.abs(anchored.curves["theta"][0] - float(anchored.theta[0])).argmin()
    assert paper.curves["probs"][0, k_paper].argmax() == 1  # the paper's optimum answers the other class
    assert anchored.curves["probs"][0, k_anch].argmax() == 0
    assert float(anchored.theta[0]) < float(paper.theta[0])


@pytest.mark.parametrize("settings", [dict(objective="anchored", temperature=5.0), dict(iso_solver="scalar")])
def test_the_surrogate_never_changes_what_certify_counts(settings):
    """Whatever the surrogate, CERTIFY counts hard votes of the unchanged network: the certificates are
    those of CERTIFY at the optimized θ, and the network is the same before and after."""
    torch.manual_seed(0)
    model = ac.build_model("small-cnn").eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.rand(2, 3, 32, 32)
    s = ac.preset("quick", n0=16, n=64, iso_iterations=3, iso_samples=8, ancer_iterations=2, ancer_samples=8)
    s = ac.preset("quick", **{**s.as_dict(), **settings})
    res = ac.run_all_methods(model, x, "l2", 0.25, s, indices=[3, 4])
    for method, r in res.items():
        again = ac.certify(model, x, r.theta, "l2", s.n0, s.n, s.alpha, indices=[3, 4])
        assert [c.summary() for c in r.certificates] == [c.summary() for c in again], method
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


def test_bad_objective_settings_are_refused():
    with pytest.raises(ac.AncerInputError, match="objective"):
        ac.preset("quick", objective="volume")
    with pytest.raises(ac.AncerInputError, match="temperature"):
        ac.preset("quick", temperature=0.0)
    with pytest.raises(ac.AncerInputError, match="iso_solver"):
        ac.preset("quick", iso_solver="newton")
    with pytest.raises(ac.AncerInputError, match="theta_max_ratio"):
        ac.preset("quick", theta_max_ratio=0.5)


def test_snapshots_are_taken_at_their_steps_and_end_at_the_certified_theta():
    from ancer_core.core.snapshots import snapshot_steps

    assert snapshot_steps(100, 5) == [0, 25, 50, 75, 100] and snapshot_steps(3, 50) == [0, 1, 2, 3]
    torch.manual_seed(0)
    model = ac.build_model("small-cnn").eval()
    x = torch.rand(2, 3, 32, 32)
    s = ac.preset(
        "quick", n0=8, n=32, iso_iterations=6, iso_samples=4, ancer_iterations=4, ancer_samples=4, iso_solver="gradient"
    )
    res = ac.run_all_methods(model, x, "l2", 0.25, s, indices=[1, 2], snapshots=3, methods=("isotropic-dd", "ancer"))
    iso = res["isotropic-dd"].snapshots["isotropic-dd"]
    an = res["ancer"].snapshots["ancer"]
    assert iso["step"].tolist() == [0, 3, 6] and an["step"].tolist() == [0, 2, 4]
    np.testing.assert_allclose(iso["theta"][0], 0.25)  # step 0: the start θ
    trace = res["isotropic-dd"].traces["isotropic-dd"]["theta_mean"]  # θ before each step
    np.testing.assert_allclose(iso["theta"][1], trace[3], rtol=1e-6)
    # the last snapshot is the θ CERTIFY used, for both stages
    np.testing.assert_array_equal(iso["theta"][-1], res["isotropic-dd"].theta.numpy())
    np.testing.assert_array_equal(an["theta"][-1], res["ancer"].theta.numpy())
    np.testing.assert_array_equal(an["theta"][0], np.broadcast_to(iso["theta"][-1][:, None, None, None], x.shape))
    assert iso["probs"].shape == (3, 2, 10) and np.allclose(iso["probs"].sum(-1), 1, atol=1e-5)
    assert an["proxy_radius"].shape == (3, 2)


def test_scalar_solver_snapshots_follow_its_climb_and_end_at_the_certified_theta():
    """The scalar solver's playback: step 0 is θ₀, the climb's steps are grid points (their proxy radius
    the grid's objective there) moving one grid step at a time away from θ₀, the last step the θ that
    CERTIFY used."""
    from ancer_core.core.isotropic_dd_solver import isotropic_dd_scalar

    torch.manual_seed(0)
    model = ac.build_model("small-cnn").eval()
    x = torch.rand(3, 3, 32, 32)
    r = isotropic_dd_scalar(model, x, 0.25, "l2", samples=4, snapshots=1000, indices=[0, 1, 2])
    sn, grid = r.snapshots, r.curves
    steps = sn["step"]
    assert steps.tolist() == list(range(len(steps))) and len(steps) >= 12  # every step kept: ≥ 10 golden + 2
    np.testing.assert_allclose(sn["theta"][0], 0.25, rtol=1e-6)
    np.testing.assert_array_equal(sn["theta"][-1], r.theta.numpy())
    climb = len(steps) - 1 - 10 - 1  # the last 11 steps are the 10 golden steps and the final comparison
    for b in range(3):
        cols = [int(np.argmin(abs(np.log(grid["theta"][b]) - np.log(t)))) for t in sn["theta"][: climb + 1, b]]
        np.testing.assert_allclose(sn["theta"][: climb + 1, b], grid["theta"][b, cols], rtol=1e-5)
        np.testing.assert_allclose(sn["proxy_radius"][: climb + 1, b], grid["objective"][b, cols], rtol=1e-5)
        assert all(abs(c1 - c0) <= 1 for c0, c1 in zip(cols, cols[1:]))  # one grid step at a time
    assert np.allclose(sn["probs"].sum(-1), 1, atol=1e-5)
    few = isotropic_dd_scalar(model, x, 0.25, "l2", samples=4, snapshots=5, indices=[0, 1, 2]).snapshots
    assert len(few["step"]) == 5 and few["step"][-1] == steps[-1]
    np.testing.assert_array_equal(few["theta"][-1], r.theta.numpy())


def test_describe_surrogate_names_every_choice_and_reads_old_settings_files():
    from ancer_core.core import Settings, describe_surrogate

    s = Settings(objective="paper", temperature=3.0, theta_max_ratio=None, iso_solver="scalar")
    assert describe_surrogate(s) == "the paper objective at temperature 3, θ unbounded (Isotropic DD: scalar solver)"
    assert describe_surrogate(Settings().as_dict()) == (
        "the anchored objective with θ ≤ 2 × the initial θ (Isotropic DD: scalar solver)"
    )
    # a settings file from before the surrogate's keys existed: the paper's method as the original ran it
    assert describe_surrogate({"n": 10_000}) == "the paper objective, θ unbounded (Isotropic DD: gradient solver)"


def test_early_stop_waits_for_every_image_to_stall():
    from ancer_core.core.optimize import EarlyStop

    stop = EarlyStop(3)
    flat, rising = torch.tensor(1.0), 1.0
    calls = 0
    while not stop.done(torch.stack([flat, torch.tensor(rising)])):
        calls += 1
        rising *= 1.05  # one image keeps improving by 5 % a step: no stop while it does
        if calls == 20:
            break
    assert calls == 20
    stop = EarlyStop(3)
    results = [stop.done(torch.tensor([1.0, 2.0])) for _ in range(5)]
    assert results == [False, False, False, True, True]  # the first value, then three without a gain


def test_ancer_with_patience_stops_where_nothing_can_improve_and_records_it(linear_model):
    """θ held at its bound (theta_max = the start θ) cannot improve the objective: ANCER stops after the
    patience, its θ is the full run's, and the settings say how many iterations ran."""
    model = linear_model(torch.ones(12) / 12, 0.1).eval()
    x = torch.full((2, 3, 2, 2), 0.5)
    surrogate = Surrogate("paper", 1.0, theta_max=0.25)
    full = ac.ancer(model, x, 0.25, "l2", iterations=30, samples=16, surrogate=surrogate)
    early = ac.ancer(model, x, 0.25, "l2", iterations=30, samples=16, surrogate=surrogate, patience=4)
    # the objective is a fresh Monte Carlo estimate each step, so its moving average may rise a little at first
    assert 5 <= early.settings["iterations_run"] < 30 and full.settings["iterations_run"] == 30
    assert torch.equal(early.theta, full.theta)


def test_ancer_patience_is_a_setting_and_none_runs_every_iteration():
    assert ac.Settings().ancer_patience is None
    with pytest.raises(ac.AncerInputError, match="ancer_patience=0"):
        ac.preset("quick", ancer_patience=0)
    from ancer_core.data.records import RESUME_KEYS, settings_diff

    older = {"settings": {k: v for k, v in ac.Settings().as_dict().items() if k != "ancer_patience"}}
    assert settings_diff(older, {"settings": ac.Settings().as_dict()}, RESUME_KEYS) == {}  # a file from before
    assert settings_diff(older, {"settings": ac.preset("paper", ancer_patience=8).as_dict()}, RESUME_KEYS)


def test_the_objective_decides_its_bound_in_one_place():
    """``Settings`` and ``preset`` mean the same by the same words; None is unbounded everywhere; a run's
    record keeps the number it used."""
    assert ac.Settings(objective="paper").bound is None and ac.preset("quick", objective="paper").bound is None
    assert ac.Settings().bound == ac.preset("cpu").bound == ac.DEFAULT_THETA_MAX_RATIO
    assert ac.preset("quick", objective="paper", theta_max_ratio=3).bound == 3.0
    assert ac.preset("quick", theta_max_ratio=None).bound is None  # anchored, unbounded
    assert ac.preset("quick", objective="paper").as_dict()["theta_max_ratio"] is None
    assert ac.preset("quick").as_dict()["theta_max_ratio"] == 2.0
    assert ac.preset("quick", objective="paper").surrogate(0.5).theta_max is None
    assert ac.preset("quick").surrogate(0.5).theta_max == 1.0
    with pytest.raises(ac.AncerInputError, match="unknown settings"):
        ac.preset("quick", theta_max=2.0)


def test_the_command_line_spells_unbounded_none_and_leaves_the_bound_to_the_objective():
    from ancer_core.cli import build_parser
    from ancer_core.cli.options import settings_from_args

    def settings(*flags):
        argv = ["certify", "--norm", "l2", "--method", "ancer", "--sigma", "0.25", "--out", "x.tsv", *flags]
        return settings_from_args(build_parser(argv).parse_args(argv))

    assert settings().bound == 2.0 and settings("--objective", "paper").bound is None
    assert settings("--theta-max-ratio", "none").bound is None
    assert settings("--objective", "paper", "--theta-max-ratio", "1.5").bound == 1.5
