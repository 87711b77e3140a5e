"""Sequential CERTIFY: the estimation samples drawn in looks, stopping as soon as the answer is known,
with the guarantee of Cohen et al.'s CERTIFY (each certificate wrong with probability ≤ α).

Why it is sound. A certificate is wrong only if its lower bound p̲A exceeds the true pA. The looks are
fixed sample counts n₁ < … < n_K = N (doubling); at look k the bound L_k is Clopper–Pearson at level
α_k, with Σ α_k = α. Whatever decides when to stop — even a rule that looks at the counts — the bound
returned is the largest L_k seen so far, so P(wrong) ≤ P(∃k: L_k > pA) ≤ Σ_k α_k = α (a union bound;
each L_k is a valid bound at its own fixed n). Stopping to *abstain* certifies nothing and costs no α:
the rule may abstain early whenever it likes. Re-testing at the full α at every look (as a fixed-N
bound would be used) is *not* sound: :func:`unsound_rule` builds that rule so the tests can show it fail.

Two ways to stop early besides abstaining (``SequentialRule``):

* **radius** (``tolerance``): stop once more samples could add less than ``tolerance`` (relative) to
  the radius — the radius now, from the best L_k, against the one the full N is projected to give if
  the observed rate p̂A held (Clopper–Pearson of p̂A·N hits in N at the last look's α). The looks before
  the last share ``early_share`` of α; the last look gets the rest (1 − share, close to fixed CERTIFY's).
* **radii** (table mode): for each radius rⱼ of a certified-accuracy table, decide whether the
  certificate reaches it — yes once the certified radius ≥ rⱼ; no once even a pA as large as its upper
  bound (level α) would give fixed sampling's bound at N a radius < rⱼ, so that drawing on to N is not
  expected to reach rⱼ — and stop when every radius is decided. The looks before the last share half of
  α (by default; an even split over the looks left images near a threshold that ran to N short of fixed
  sampling's bound more often, docs/performance.md).

Both stop to abstain when the Clopper–Pearson *upper* bound on pA at level α is ≤ ½ (this p̂A would
not certify at N, with confidence 1 − α; costs no α, see above).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .noise import Noise, noise_for
from .stats import lower_confidence_bound, upper_confidence_bound
from .validation import AncerInputError, check_alpha, check_count

# why a sequential certificate stopped (the TSV's ``stop`` column; "fixed" for fixed sampling)
STOP_REASONS = {
    "abstain": "stopped early to abstain: the upper bound on pA was ≤ ½",
    "tolerance": "stopped early: more samples could have added less than the tolerance to the radius",
    "radii": "stopped early: every radius of the table was decided",
    "N": "drew the full N",
    "fixed": "fixed sampling: drew the full N",
}


def check_tolerance(value: float | None) -> float | None:
    """A radius rule's tolerance: a relative radius gain ≥ 0, or None (stop early only to abstain)."""
    if value is not None and not (np.isfinite(value) and value >= 0):
        raise AncerInputError(f"tolerance {value!r}: use a relative radius gain ≥ 0 (e.g. 0.03), or none")
    return value


def check_radii(values) -> tuple[float, ...]:
    """Table mode's radii: one or more finite radii ≥ 0, as given (in order, repeats kept)."""
    try:
        r = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        r = ()
    if not r or not all(np.isfinite(v) and v >= 0 for v in r):
        raise AncerInputError(f"radii {values!r}: give one or more finite radii ≥ 0, e.g. 0,0.25,0.5")
    return r


@dataclass(frozen=True)
class SequentialRule:
    """When sequential CERTIFY stops (module docstring). ``tolerance``: relative radius gain below which
    the radius rule stops (None: only the early abstain); ``radii``: decide these radii instead (table
    mode); ``early_share``: the part of α the looks before the last share (None: 0.1 for the radius rule,
    ½ for the radii, 0 when only abstaining); ``first_look``: samples at the first look (the
    looks double from there to N); ``stop_early``: False draws every look to N whatever the counts say
    (each look's count recorded, so that rules can be replayed offline on the same draws)."""

    tolerance: float | None = 0.03
    radii: tuple[float, ...] | None = None
    early_share: float | None = None
    first_look: int = 128
    stop_early: bool = True

    def __post_init__(self):
        check_tolerance(self.tolerance)
        if self.radii is not None:
            object.__setattr__(self, "radii", tuple(sorted(set(check_radii(self.radii)))))
        if self.early_share is not None and not (0 <= self.early_share < 1):
            raise AncerInputError(f"early_share={self.early_share!r}; use a share of α in [0, 1)")
        check_count("first_look", self.first_look)

    @property
    def mode(self) -> str:
        return "radii" if self.radii is not None else ("radius" if self.tolerance is not None else "abstain")

    def looks(self, n: int) -> list[int]:
        """The sample counts at which the bound is computed: doubling from ``first_look``, ending at N."""
        check_count("N", n)
        out, k = [], self.first_look
        while k < n:
            out.append(k)
            k *= 2
        return [*out, n]

    def look_alphas(self, alpha: float, looks: int) -> np.ndarray:
        """α_k of each look; they sum to α."""
        check_alpha(alpha)
        if looks == 1:
            return np.array([alpha])
        share = self.early_share
        if share is None:
            share = {"abstain": 0.0, "radius": 0.1, "radii": 0.5}[self.mode]
        return np.array([alpha * share / (looks - 1)] * (looks - 1) + [alpha * (1 - share)])

    def start(
        self, size: int, n: int, alpha: float, norm: str | Noise, scale=1.0, record: bool = True
    ) -> SequentialState:
        """The state of ``size`` images at N = ``n``; ``scale``: each image's min θ (radius = min θ · gap);
        ``record``: keep each image's (n, nA) at every look."""
        looks = self.looks(n)
        size_scale = np.broadcast_to(np.asarray(scale, np.float64), (size,)).copy()
        return SequentialState(
            self, noise_for(norm), looks, self.look_alphas(alpha, len(looks)), alpha, size_scale, record
        )


@dataclass
class SequentialState:
    """The per-image state of a sequential CERTIFY: which images are still drawing, and for those that
    stopped, the samples used, why, and the best lower bound. Shared by :func:`~.smoothing.certify` (counts
    from the network) and :func:`simulate` (binomial draws), so the tests check the code that runs."""

    rule: SequentialRule
    noise: Noise
    looks: list[int]
    alphas: np.ndarray
    alpha: float
    scale: np.ndarray
    record: bool = True
    k: int = 0
    n_a: np.ndarray = field(init=False)
    best: np.ndarray = field(init=False)
    used: np.ndarray = field(init=False)
    reason: np.ndarray = field(init=False)
    active: np.ndarray = field(init=False)
    history: list[list[tuple[int, int]]] = field(init=False)

    def __post_init__(self):
        b = len(self.scale)
        self.n_a = np.zeros(b, np.int64)
        self.best = np.zeros(b)
        self.used = np.zeros(b, np.int64)
        self.reason = np.full(b, "", dtype=object)
        self.active = np.arange(b)
        self.history = [[] for _ in range(b)]

    @property
    def done(self) -> bool:
        return self.k >= len(self.looks) or len(self.active) == 0

    def next_draw(self) -> int:
        """Samples each active image draws before the next look."""
        return self.looks[self.k] - (self.looks[self.k - 1] if self.k else 0)

    def look(self, hits) -> None:
        """Record the next look: ``hits`` (one per active image) are the new draws that named ĉA."""
        a, n, last = self.active, self.looks[self.k], self.k == len(self.looks) - 1
        self.n_a[a] += np.asarray(hits, np.int64)
        low = lower_confidence_bound(self.n_a[a], n, self.alphas[self.k]) if self.alphas[self.k] > 0 else 0.0
        self.best[a] = np.maximum(self.best[a], low)
        if self.record:
            for i in a:
                self.history[i].append((n, int(self.n_a[i])))
        if last or not self.rule.stop_early:
            stop, why = np.full(len(a), last), np.full(len(a), "N", dtype=object)
        else:
            stop, why = self._early(a, n)
        gone = a[stop]
        self.used[gone], self.reason[gone] = n, why[stop]
        quit_ = gone[why[stop] == "abstain"]  # for the reader: p̲A at level α where it stopped (≤ ½, so it abstains)
        self.best[quit_] = np.maximum(self.best[quit_], lower_confidence_bound(self.n_a[quit_], n, self.alpha))
        self.active = a[~stop]
        self.k += 1

    def _early(self, a: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        upper = upper_confidence_bound(self.n_a[a], n, self.alpha)
        stop, why = upper <= 0.5, np.full(len(a), "abstain", dtype=object)
        gap_now = self.noise.gap(self.best[a])
        if self.rule.mode == "radius":
            full = self.looks[-1]
            projected = self.noise.gap(lower_confidence_bound(self.n_a[a] / n * full, full, self.alphas[-1]))
            enough = (self.best[a] > 0.5) & (gap_now * (1 + self.rule.tolerance) >= projected)
            why[~stop & enough], stop = "tolerance", stop | enough
        elif self.rule.mode == "radii":
            r = np.asarray(self.rule.radii)[None, :]
            scale = self.scale[a][:, None]
            yes = (self.best[a] > 0.5)[:, None] & (scale * gap_now[:, None] >= r)
            # no: even a pA as large as its upper bound would leave fixed sampling's bound at N short of r, so
            # more samples are not expected to reach it (a "no" certifies nothing: it costs no α)
            full = self.looks[-1]
            reach = lower_confidence_bound(np.floor(upper * full), full, self.alpha)
            no = (reach <= 0.5)[:, None] | (scale * self.noise.gap(reach)[:, None] < r)
            decided = (yes | no).all(1)
            why[~stop & decided], stop = "radii", stop | decided
        return stop, why


def simulate(
    rule: SequentialRule,
    p_a: float,
    n: int,
    alpha: float,
    paths: int,
    rng: np.random.Generator,
    norm: str = "l2",
    scale: float = 1.0,
) -> SequentialState:
    """Run ``rule`` on ``paths`` simulated binomial paths with true pA = ``p_a`` (no network): the
    soundness tests and the measurements of docs/performance.md use it."""
    state = rule.start(paths, n, alpha, norm, scale, record=False)
    while not state.done:
        state.look(rng.binomial(state.next_draw(), p_a, size=len(state.active)))
    return state


def unsound_rule(tolerance: float | None = 0.03, radii=None) -> SequentialRule:
    """A rule that re-tests at the full α at every look (every early look gets α, not a share): the
    mistake a sequential CERTIFY must not make. Only for the tests, which show it fails."""

    class _Unsound(SequentialRule):
        def look_alphas(self, alpha, looks):
            return np.full(looks, alpha)

    return _Unsound(tolerance=tolerance, radii=radii)
