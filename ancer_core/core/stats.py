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
    n_a = np.asarray(n_a, dtype=np.float64)
    low = proportion_confint(n_a, n, alpha=2 * alpha, method="beta")[0]
    return np.nan_to_num(np.asarray(low, dtype=np.float64), nan=0.0)  # nA = 0 → bound 0


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
