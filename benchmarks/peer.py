"""The authors' own package doing the end-to-end work, for the benchmark's peer row.

``ancer-python`` and ``ddsmoothing-python`` 1.0.0 (the published packages of the paper's authors),
installed by hand for benchmarking only — ``pip install --no-deps ancer-python==1.0.0
ddsmoothing-python==1.0.0 tqdm`` (tqdm: the one dependency of theirs this project lacks) — and never
a requirement of the library or its tests. They import
``scipy.stats.binom_test``, which current SciPy removed; :func:`load` puts the equivalent
``binomtest(…).pvalue`` back under that name, in this process only.

The work is the paper's protocol as the packages run it: Isotropic DD (``optimize_isotropic_dds``)
and ANCER (``optimize_ancer``) on the whole batch, then ``Smooth.certify`` one image at a time. The
packages' optimizers take the model's outputs as probabilities, so the network is given a softmax
on top (the same computation our optimizers do explicitly).
"""

from __future__ import annotations

import time

import torch

VERSION = "1.0.0"


def load():
    """The packages' modules (ancer, ddsmoothing.optimization, ddsmoothing.smooth, ddsmoothing.certificate),
    or None when they are not installed."""
    import scipy.stats

    if not hasattr(scipy.stats, "binom_test"):

        def binom_test(k, n=None, p=0.5, alternative="two-sided"):
            return scipy.stats.binomtest(int(k), int(n), p, alternative=alternative).pvalue

        scipy.stats.binom_test = binom_test
    try:
        import ancer
        from ddsmoothing import certificate, optimization, smooth
    except ImportError:
        return None
    return ancer, optimization, smooth, certificate


def end_to_end(model: torch.nn.Module, x: torch.Tensor, sigma: float, st, device, certify_images: int) -> dict:
    """Stage wall times (s) of fixed σ, Isotropic DD and ANCER on the batch ``x``, as the authors'
    packages run them. CERTIFY runs on the first ``certify_images`` images and is scaled to the
    batch (each image costs the same)."""
    ancer, optimization, smooth, certificate = load()
    probs = torch.nn.Sequential(model, torch.nn.Softmax(dim=1)).eval()
    dev = str(device)
    b = len(x)
    k = min(b, certify_images)

    def sync():
        if torch.device(device).type == "cuda":
            torch.cuda.synchronize(device)

    def certify_each(thetas) -> float:
        sync()
        t = time.perf_counter()
        for i in range(k):
            g = smooth.Smooth(probs, 10, thetas[i], certificate.L2Certificate(1, device=dev))
            g.certify(x[i], st.n0, st.n, st.alpha, batch_size=1000, device=device)
        sync()
        return (time.perf_counter() - t) * b / k

    times = {"certify fixed": certify_each([torch.tensor(sigma, device=device)] * b)}
    sync()
    t = time.perf_counter()
    iso = optimization.optimize_isotropic_dds(
        probs,
        x,
        certificate.L2Certificate(b, device=dev),
        st.iso_lr,
        torch.full((b,), sigma, device=device),
        st.iso_iterations,
        st.iso_samples,
        device=dev,
    )
    sync()
    times["isotropic-dd optimization"] = time.perf_counter() - t
    iso = iso.detach()
    times["certify isotropic-dd"] = certify_each([iso[i] for i in range(b)])
    t = time.perf_counter()
    theta = ancer.optimize_ancer(
        probs,
        x,
        certificate.L2Certificate(b, device=dev),
        st.ancer_lr,
        iso.view(b, 1, 1, 1).expand_as(x).clone(),
        st.ancer_iterations,
        st.ancer_samples,
        st.kappa,
        device=dev,
    )
    sync()
    times["ancer optimization"] = time.perf_counter() - t
    theta = theta.detach()
    times["certify ancer"] = certify_each([theta[i] for i in range(b)])
    for p in model.parameters():
        p.requires_grad_(False)
    return times
