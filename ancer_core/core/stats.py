"""Statistics of Cohen et al. (2019): the Clopper–Pearson bound and the PREDICT test. The gap that a
bound certifies depends on the noise: :meth:`ancer_core.core.noise.Noise.gap`."""

from __future__ import annotations

import numpy as np

from .validation import check_alpha

# scipy.stats and statsmodels are imported where they are used: together they take seconds to
# import, and only CERTIFY and PREDICT need them (not `optimize`, `analyze`, `--help`)


def lower_confidence_bound(n_a, n: int, alpha: float) -> np.ndarray:
    """One-sided (1 − α) Clopper–Pearson lower bound p̲A on a binomial proportion.

    Uses the two-sided interval at level 2α, as Cohen et al.: ``proportion_confint(nA, N,
    alpha=2α, method="beta")[0]``. Vectorized over ``n_a``.
    """
    from statsmodels.stats.proportion import proportion_confint

    check_alpha(alpha)
    return _per_distinct(lambda k: proportion_confint(k, n, alpha=2 * alpha, method="beta")[0], n_a, n, 0.0)


def upper_confidence_bound(n_a, n, alpha: float) -> np.ndarray:
    """One-sided (1 − α) Clopper–Pearson upper bound on a binomial proportion (the mirror of
    :func:`lower_confidence_bound`); vectorized over ``n_a`` and ``n``."""
    from statsmodels.stats.proportion import proportion_confint

    check_alpha(alpha)
    return _per_distinct(lambda k: proportion_confint(k, n, alpha=2 * alpha, method="beta")[1], n_a, n, 1.0)


def _per_distinct(bound, n_a, n, at_edge: float) -> np.ndarray:
    """``bound`` evaluated once per distinct count when every count shares one ``n`` (a batch of simulated or
    sampled counts repeats many), else once per count; NaN (nA = 0 for the lower bound, nA = n for the upper)
    replaced by ``at_edge``."""
    n_a = np.asarray(n_a, dtype=np.float64)
    if n_a.ndim == 0 or n_a.size < 64 or np.ndim(n) > 0:
        return np.nan_to_num(np.asarray(bound(n_a), dtype=np.float64), nan=at_edge)
    distinct, where = np.unique(n_a, return_inverse=True)
    return np.nan_to_num(np.asarray(bound(distinct), dtype=np.float64), nan=at_edge)[where.reshape(n_a.shape)]


def samples_to_certify(p_hat, alpha: float, limit: int = 10**9) -> np.ndarray:
    """About how many samples CERTIFY would need to certify (p̲A > ½ at level α) if the observed rate
    ``p_hat`` held: the smallest n with the Clopper–Pearson lower bound of p̂·n hits in n above ½.
    ``inf`` where p̂ ≤ ½ (no number of samples is enough) or beyond ``limit``. Vectorized."""
    check_alpha(alpha)
    p = np.atleast_1d(np.asarray(p_hat, dtype=np.float64))
    out = np.full(p.shape, np.inf)
    ok = p > 0.5
    if not ok.any():
        return out.reshape(np.shape(p_hat))

    def certifies(n):
        return lower_confidence_bound(p[ok] * n, n, alpha) > 0.5

    lo, hi = np.zeros(ok.sum()), np.ones(ok.sum())  # certifies(hi) will hold, certifies(lo) does not
    while True:  # the bound rises with n at fixed p̂ > ½: double until it certifies
        grow = ~certifies(hi) & (hi < limit)
        if not grow.any():
            break
        lo, hi = np.where(grow, hi, lo), np.where(grow, hi * 2, hi)
    hi = np.minimum(hi, limit)
    while np.any(hi - lo > 1):
        mid = np.floor((lo + hi) / 2)
        c = certifies(np.maximum(mid, 1))
        lo, hi = np.where(c, lo, mid), np.where(c, mid, hi)
    found = certifies(hi)
    out[ok] = np.where(found, hi, np.inf)
    return out.reshape(np.shape(p_hat))


def predict_pvalue(n_a, n_b) -> np.ndarray:
    """Two-sided binomial test p-value of nA vs nB under p = ½ (Cohen et al.'s PREDICT).

    Equals ``scipy.stats.binomtest(nA, nA + nB, 0.5).pvalue`` but is vectorized: the
    distribution is symmetric, so the p-value is min(1, 2·P[X ≤ min(nA, nB)]).
    """
    from scipy.stats import binom

    n_a = np.asarray(n_a, dtype=np.int64)
    n_b = np.asarray(n_b, dtype=np.int64)
    total = n_a + n_b
    p = 2.0 * binom.cdf(np.minimum(n_a, n_b), total, 0.5)
    p = np.where(n_a == n_b, 1.0, p)
    return np.minimum(p, 1.0)
