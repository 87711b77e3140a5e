"""Statistics of Cohen et al. (2019): Clopper–Pearson bounds, gaps and the PREDICT test."""
from __future__ import annotations

import numpy as np
from scipy.stats import binom
from scipy.stats import norm as std_normal
from statsmodels.stats.proportion import proportion_confint

from .validation import check_alpha, check_norm


def lower_confidence_bound(n_a, n: int, alpha: float) -> np.ndarray:
    """One-sided (1 − α) Clopper–Pearson lower bound p̲A on a binomial proportion.

    Uses the two-sided interval at level 2α, as Cohen et al.: ``proportion_confint(nA, N,
    alpha=2α, method="beta")[0]``. Vectorized over ``n_a``.
    """
    check_alpha(alpha)
    n_a = np.asarray(n_a, dtype=np.float64)
    low = proportion_confint(n_a, n, alpha=2 * alpha, method="beta")[0]
    return np.nan_to_num(np.asarray(low, dtype=np.float64), nan=0.0)  # nA = 0 → bound 0


def gap_from_p_lower(norm: str, p_lower) -> np.ndarray:
    """Certified gap r^p from p̲A, assuming p̄B = 1 − p̲A (Cohen et al.'s single bound).

    ``l2`` (Corollary 1): ½(Φ⁻¹(p̲A) − Φ⁻¹(1 − p̲A)) = Φ⁻¹(p̲A).
    ``l1`` (Corollary 2): p̲A − (1 − p̲A) = 2(p̲A − ½).
    Returns 0 where p̲A ≤ ½ (abstention: no certificate).
    """
    check_norm(norm)
    p = np.asarray(p_lower, dtype=np.float64)
    gap = std_normal.ppf(p) if norm == "l2" else 2.0 * (p - 0.5)
    return np.where(p > 0.5, gap, 0.0)


def p_lower_for_gap(norm: str, gap: float) -> float:
    """Inverse of :func:`gap_from_p_lower` for gap ≥ 0: Φ(gap) for ℓ2, ½ + gap/2 (at most 1) for ℓ1."""
    check_norm(norm)
    return float(std_normal.cdf(gap)) if norm == "l2" else min(1.0, 0.5 + gap / 2)


def predict_pvalue(n_a, n_b) -> np.ndarray:
    """Two-sided binomial test p-value of nA vs nB under p = ½ (Cohen et al.'s PREDICT).

    Equals ``scipy.stats.binomtest(nA, nA + nB, 0.5).pvalue`` but is vectorized: the
    distribution is symmetric, so the p-value is min(1, 2·P[X ≤ min(nA, nB)]).
    """
    n_a = np.asarray(n_a, dtype=np.int64)
    n_b = np.asarray(n_b, dtype=np.int64)
    total = n_a + n_b
    p = 2.0 * binom.cdf(np.minimum(n_a, n_b), total, 0.5)
    p = np.where(n_a == n_b, 1.0, p)
    return np.minimum(p, 1.0)
