"""The live page's playback: frames from a run's snapshots, the sentence, and the animated figure."""

import numpy as np
import torch

import ancer_core as ac
from ancer_app.ui.figures import Frame, playback_figure


def test_playback_figure_has_one_frame_per_step_and_opens_at_the_chosen_one():
    rng = np.random.default_rng(0)
    frames = [
        Frame(f"ANCER step {k}/4", 0.2 + 0.1 * k * rng.random((3, 8, 8)), np.eye(10)[k], 0.1 * k) for k in range(5)
    ]
    x, u = rng.random((3, 8, 8)), rng.standard_normal((3, 8, 8))
    fig = playback_figure(frames, x, u, list(ac.CLASSES), "σ", start=2)
    assert len(fig.frames) == 5 and fig.layout.sliders[0].active == 2
    assert "top class bird" in fig.layout.title.text  # frame 2's class, the figure opens there
    heat = [f.data[0] for f in fig.frames]
    assert {h.zmin for h in heat} == {heat[0].zmin} and {h.zmax for h in heat} == {heat[0].zmax}  # one colour scale
    np.testing.assert_allclose(fig.frames[4].data[1].y, np.eye(10)[4])
    # the noisy copy uses the same draw u at every step: only θ changes
    img = fig.frames[3].data[2].z
    expected = (np.clip((x + frames[3].theta * u).transpose(1, 2, 0), 0, 1) * 255).astype(np.uint8)
    np.testing.assert_array_equal(img, expected)


def test_frames_and_sentence_from_a_run():
    from ancer_app.ui.live.playback import frames_of, what_happened
    from ancer_app.ui.session import Run

    torch.manual_seed(0)
    model = ac.build_model("small-cnn").eval()
    x = torch.rand(1, 3, 32, 32)
    s = ac.preset(
        "quick", n0=8, n=32, iso_iterations=4, iso_samples=4, ancer_iterations=3, ancer_samples=4, iso_solver="gradient"
    )
    res = ac.run_all_methods(model, x, "l2", 0.25, s, indices=[0], snapshots=50)
    run = Run(
        results=res,
        image="test image #0",
        idx=0,
        x=x,
        label=3,
        norm="l2",
        model="m",
        sigma=0.25,
        settings=s,
        theta0=0.25,
        seed=0,
        preset="quick",
        precision="fp32",
        seconds=1.0,
        key="k",
    )
    frames = frames_of(run)
    assert [f.label for f in frames][:2] == ["Isotropic DD step 0/4", "Isotropic DD step 1/4"]
    assert len(frames) == 5 + 4 and frames[-1].label == "ANCER step 3/3"
    np.testing.assert_allclose(frames[-1].theta, res["ancer"].theta[0].numpy())  # the θ CERTIFY used
    sentence, start = what_happened(run, frames)
    assert sentence.startswith("θ went from 0.25 to ") and 0 <= start < len(frames)
