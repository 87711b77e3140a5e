"""PREDICT and CERTIFY of Cohen et al. (2019), for isotropic and anisotropic θ.

Batched over images *and* noise samples: each forward pass holds ``noise_batch`` noisy copies of
each of several images. Every image draws its noise from its own generator, seeded from
``(seed, index)``, so the result for an image does not depend on which other images share its
batch, on the batch size limit, or on how a data set is split across processes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from .certificate import ABSTAIN, Certificate
from .errors import AncerInputError
from .noise import Noise, noise_for, scale_for
from .precision import SamplingConfig, autocast
from .sequential import SequentialRule
from .stats import lower_confidence_bound, predict_pvalue
from .validation import check_alpha, check_count, check_images, check_logits, check_model_input, check_seed, check_theta

ProgressFn = Callable[[int, int], None]


STREAM_CERTIFY, STREAM_ISOTROPIC_DD, STREAM_ANCER, STREAM_ATTACK, STREAM_VIEWS = 0, 1, 2, 3, 4


def image_seed(seed: int, index: int, stream: int = STREAM_CERTIFY) -> int:
    """A 63-bit seed for image ``index`` under the run seed ``seed``; ``stream`` separates the
    random numbers of certification and of each optimizer (independent streams)."""
    check_seed(seed)
    check_seed(index, "index")
    state = np.random.SeedSequence([int(seed), int(index), int(stream)]).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))


def make_generators(seed: int, indices: Sequence[int], device, stream: int = STREAM_CERTIFY) -> list[torch.Generator]:
    gens = []
    for i in indices:
        g = torch.Generator(device=torch.device(device))
        g.manual_seed(image_seed(seed, i, stream))
        gens.append(g)
    return gens


def default_max_batch(device: torch.device) -> int:
    """Noisy images per forward pass when the caller says ``"auto"``."""
    return 4000 if torch.device(device).type == "cuda" else 1000


def _forward_predictions(model: torch.nn.Module, batch: torch.Tensor, cfg: SamplingConfig) -> torch.Tensor:
    if cfg.channels_last:
        batch = batch.contiguous(memory_format=torch.channels_last)
    with autocast(batch.device, cfg.autocast_dtype):
        return check_logits(model(batch), "sampling").argmax(1)


@torch.inference_mode()
def sample_counts(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta: torch.Tensor,
    norm: str | Noise,
    num: int,
    generators: Sequence[torch.Generator],
    num_classes: int | None = None,
    config: SamplingConfig = SamplingConfig(),
    progress: ProgressFn | None = None,
) -> np.ndarray:
    """Counts of the base classifier's predictions over ``num`` noise draws per image.

    Returns an int64 array (B, K). ``theta`` is (B,) or (B, C, H, W) (already validated).
    """
    noise = noise_for(norm)
    b = x.shape[0]
    m = min(config.noise_batch, num)
    max_batch = default_max_batch(x.device) if config.max_batch == "auto" else int(config.max_batch)
    group = max(1, max_batch // m)
    counts = None if num_classes is None else torch.zeros(b, num_classes, dtype=torch.long, device=x.device)
    total, start = b * num, 0
    while start < b:
        idx = list(range(start, min(b, start + group)))
        saved = [generators[i].get_state() for i in idx]
        try:
            preds = _draw_predictions(
                model,
                x[idx],
                theta[idx],
                noise,
                num,
                m,
                [generators[i] for i in idx],
                config,
                None if progress is None else (lambda d, s=start: progress(s * num + d, total)),
            )
        except torch.OutOfMemoryError:
            if group == 1:
                raise
            group = max(1, group // 2)  # halve and go on, replaying the same random streams
            for i, st in zip(idx, saved):
                generators[i].set_state(st)
            if x.device.type == "cuda":
                torch.cuda.empty_cache()
            continue
        if counts is None:
            counts = torch.zeros(b, int(model(x[:1]).shape[1]), dtype=torch.long, device=x.device)
        counts[idx] = torch.nn.functional.one_hot(preds, counts.shape[1]).sum(1)
        start += len(idx)
    return counts.cpu().numpy()


def _draw_predictions(model, x, theta, noise: Noise, num, m, generators, config, progress) -> torch.Tensor:
    """Predictions (g, num) for a group of g images, drawing ``m`` samples per image at a time."""
    g, shape = x.shape[0], x.shape[1:]
    scale = scale_for(theta, len(shape))
    rows, remaining = [], num
    while remaining > 0:
        c = min(m, remaining)
        u = noise.sample_unit_per_image(generators, c, shape, x.device, x.dtype)
        xs = (x.unsqueeze(1) + u * scale).reshape(g * c, *shape)
        rows.append(_forward_predictions(model, xs, config).view(g, c))
        remaining -= c
        if progress is not None:
            progress(g * (num - remaining))
    return torch.cat(rows, 1)


def _prepare(model, x, theta, norm, seed, indices, generators):
    noise_for(norm)
    x = check_model_input(model, check_images(x))
    th = check_theta(theta, x)
    if generators is None:
        idx = list(range(x.shape[0])) if indices is None else list(indices)
        if len(idx) != x.shape[0]:
            raise AncerInputError(f"indices has {len(idx)} entries for {x.shape[0]} images; give one index per image")
        generators = make_generators(seed, idx, x.device)
    return x, th, generators


def predict(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta,
    norm: str | Noise,
    n: int,
    alpha: float,
    *,
    seed: int = 0,
    indices: Sequence[int] | None = None,
    generators=None,
    config: SamplingConfig = SamplingConfig(),
    progress: ProgressFn | None = None,
    return_counts: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Cohen et al.'s PREDICT: the top class if a two-sided binomial test of its count against the
    runner-up rejects p = ½ at level α, else −1 (abstain). Returns an int array (B,), and with
    ``return_counts`` also the votes (B, K) the test was made on."""
    check_count("n", n)
    check_alpha(alpha)
    x, th, gens = _prepare(model, x, theta, norm, seed, indices, generators)
    counts = sample_counts(model, x, th, norm, n, gens, config=config, progress=progress)
    order = np.argsort(-counts, axis=1, kind="stable")
    top, second = order[:, 0], order[:, 1]
    rows = np.arange(counts.shape[0])
    p = predict_pvalue(counts[rows, top], counts[rows, second])
    pred = np.where(p <= alpha, top, ABSTAIN)
    return (pred, counts) if return_counts else pred


def certify(
    model: torch.nn.Module,
    x: torch.Tensor,
    theta,
    norm: str | Noise,
    n0: int,
    n: int,
    alpha: float,
    *,
    seed: int = 0,
    indices: Sequence[int] | None = None,
    generators=None,
    config: SamplingConfig = SamplingConfig(),
    progress: ProgressFn | None = None,
    sampling: SequentialRule | None = None,
) -> list[Certificate]:
    """Cohen et al.'s CERTIFY for a batch of images, each with its own θ.

    1. ``n0`` selection samples → guess ĉA (the most frequent class);
    2. ``n`` fresh estimation samples → nA = count of ĉA;
    3. p̲A = one-sided Clopper–Pearson lower bound at level α; abstain if p̲A ≤ ½;
    4. the certificate {δ : ‖δ/θ‖_p ≤ gap(p̲A)} (Corollaries 1 and 2).

    With probability ≥ 1 − α (per image) the returned region is correct for the smoothed
    classifier with noise θ. ``theta``: scalar, (B,), (C,H,W) or (B,C,H,W); for ``l1`` it is
    the uniform half-width λ.

    ``sampling``: None draws the full ``n`` (the above); a :class:`~.sequential.SequentialRule` draws
    step 2 in looks and stops each image as soon as its rule allows, with the same guarantee
    (:mod:`.sequential`). Every certificate records ``extra["samples"]`` (estimation samples drawn) and
    ``extra["stop"]`` (why it stopped: :data:`~.sequential.STOP_REASONS`); a sequential one also
    ``extra["looks"]``, its (n, nA) at each look.
    """
    check_count("n0", n0)
    check_count("n", n)
    check_alpha(alpha)
    x, th, gens = _prepare(model, x, theta, norm, seed, indices, generators)
    total = n0 + n

    def prog(offset):
        return None if progress is None else (lambda d, t: progress(offset * x.shape[0] + d, total * x.shape[0]))

    c0 = sample_counts(model, x, th, norm, n0, gens, config=config, progress=prog(0))
    c_hat = c0.argmax(1)
    th_np = th.detach().cpu().double().numpy()
    b, dim = x.shape[0], int(np.prod(x.shape[1:]))
    if sampling is None:
        c = sample_counts(model, x, th, norm, n, gens, num_classes=c0.shape[1], config=config, progress=prog(n0))
        n_a = c[np.arange(b), c_hat]
        p_low = lower_confidence_bound(n_a, n, alpha)
        used, stop, looks = np.full(b, n), ["fixed"] * b, [None] * b
    else:
        c, used, stop, p_low, looks = _sequential_counts(
            model, x, th, th_np, norm, gens, c_hat, c0.shape[1], n, alpha, sampling, config, prog(n0)
        )
        n_a = c[np.arange(b), c_hat]
    return [
        Certificate.from_bound(
            noise_for(norm).norm,
            th_np[i],
            int(c_hat[i]),
            float(p_low[i]),
            dim=dim,
            n=int(used[i]),
            alpha=alpha,
            n_a=int(n_a[i]),
            counts0=c0[i].tolist(),
            counts=c[i].tolist(),
            samples=int(used[i]),
            stop=str(stop[i]),
            **({} if looks[i] is None else {"looks": looks[i]}),
        )
        for i in range(b)
    ]


def _sequential_counts(model, x, th, th_np, norm, gens, c_hat, classes, n, alpha, rule, config, progress):
    """Step 2 of CERTIFY in looks (:class:`~.sequential.SequentialState`): each image draws until its
    rule stops it. Returns the counts (B, K), samples used, stop reasons, p̲A (the best bound over the
    looks) and each image's looks."""
    b = x.shape[0]
    scale = th_np.reshape(b, -1).min(1)
    state = rule.start(b, n, alpha, norm, scale)
    counts = np.zeros((b, classes), np.int64)
    drawn = 0
    while not state.done:
        a, m = state.active, state.next_draw()
        sub = torch.as_tensor(a, device=x.device)

        def report(d, t, before=drawn):
            if progress is not None:  # the budget is every image's full N; stopped images count as done
                progress(before + d, b * n)

        c = sample_counts(model, x[sub], th[sub], norm, m, [gens[i] for i in a], classes, config, report)
        counts[a] += c
        drawn += len(a) * m
        state.look(c[np.arange(len(a)), c_hat[a]])
        drawn += (len(a) - len(state.active)) * (n - state.looks[state.k - 1])
    if progress is not None:
        progress(b * n, b * n)
    return counts, state.used, state.reason, state.best, state.history
