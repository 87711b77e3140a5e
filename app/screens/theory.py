"""Theory page: randomized smoothing and ANCER's certificates, with small live widgets."""

from __future__ import annotations

import numpy as np
import streamlit as st
from scipy.special import gammaln

from ancer_app.ui import display, figures
from ancer_core.core import lower_confidence_bound
from ancer_core.core.certificate import Certificate
from ancer_core.core.noise import GAUSSIAN


def main() -> None:
    """The page's outline: six sections, each with live numbers."""
    st.title("Theory of randomized smoothing and ANCER")
    st.caption(
        "Formulas as in Eiras, Alfarra et al. (TMLR 2022), §4–5, and Cohen et al. (2019). Every number below is "
        "computed live by the ancer_core library."
    )
    smoothed_classifier()
    clopper_pearson()
    anisotropic_certificates()
    volume_and_proxy_radius()
    supersets()
    input_dependent_theta()


def smoothed_classifier() -> None:
    """§1: the smoothed classifier g and its noise, isotropic or per pixel."""
    st.header("1. The smoothed classifier")
    st.markdown(
        "A base classifier f maps an image to class scores. Randomized smoothing classifies the *noisy* "
        "neighbourhood of x instead of x itself:"
    )
    st.latex(
        r"g(x) = \arg\max_c \; \mathbb{P}_{\varepsilon}\big[f(x + \varepsilon) = c\big], \qquad "
        r"\varepsilon \sim \mathcal{N}(0, \Sigma)\ \text{or}\ \varepsilon \sim \mathcal{U}[-\lambda, \lambda]^n"
    )
    st.markdown(
        "With Σ = σ²I (or λ the same for every pixel) the noise is *isotropic*; ANCER lets every pixel and "
        "channel have its own θᵢ (σᵢ or λᵢ): Σ = diag(σ²), Λ = diag(λ)."
    )


def clopper_pearson() -> None:
    """§2: p_A estimated from N votes with the Clopper–Pearson bound, live."""
    st.header("2. Estimating p_A: Clopper–Pearson")
    st.markdown(
        "p_A = P[f(x+ε) = c_A] is unknown; CERTIFY draws N noisy copies, counts n_A votes for the top class and "
        "uses the one-sided (1 − α) Clopper–Pearson lower bound:"
    )
    st.latex(r"\underline{p_A} = B(\alpha;\, n_A,\, N - n_A + 1)\quad\text{(the α-quantile of a Beta distribution)}")
    c1, c2, c3 = st.columns(3)
    n = int(c1.select_slider("N (samples)", [100, 1_000, 10_000, 100_000, 1_000_000], 100_000))
    alpha = float(c2.select_slider("α", [0.1, 0.05, 0.01, 0.001, 0.0001], 0.001))
    frac = c3.slider("observed fraction n_A / N", 0.5, 1.0, 0.99, 0.001)
    p_low = float(lower_confidence_bound(int(round(frac * n)), n, alpha))
    gap2 = float(GAUSSIAN.gap(p_low))
    st.markdown(
        f"p̲A = **{p_low:.5f}**; with σ = 0.25 the ℓ2 radius is σ·Φ⁻¹(p̲A) = **{0.25 * gap2:.4f}**. "
        f"Even when every sample votes for c_A the bound is $\\alpha^{{1/N}}$ = {alpha ** (1 / n):.6f}, which caps the "
        f"radius at σ·{GAUSSIAN.gap(alpha ** (1 / n)):.2f}."
    )
    st.markdown(
        "**Fewer samples, same guarantee.** CERTIFY may also draw its samples in *looks* (128, 256, … up to N) "
        "and stop as soon as the answer is known — to abstain when the top class is clearly no majority, or when "
        "more samples would add little to the radius. Looking more than once is only safe if α is shared between "
        "the looks (each gets a part, the parts sum to α): re-using the full α at every look would certify "
        "wrongly more often than α. Stopping to abstain costs nothing, since an abstention claims nothing. On "
        "the live page: *advanced settings → CERTIFY's sampling*."
    )
    fr = np.linspace(0.5, 1.0, 201)
    curves = {
        f"N = {m:,}": 0.25 * GAUSSIAN.gap(lower_confidence_bound(np.round(fr * m).astype(int), m, alpha))
        for m in (100, 1_000, 10_000, 100_000)
    }
    display.show(
        figures.line_figure(fr, curves, "observed n_A / N", f"certified ℓ2 radius (σ = 0.25, α = {alpha})", height=300),
        key="cp_curves",
    )


def anisotropic_certificates() -> None:
    """§3: the certified regions of Corollaries 1 and 2."""
    st.header("3. Anisotropic certificates (Corollaries 1 and 2)")
    st.markdown(
        "**Corollary 1 (Gaussian, $\\ell_2^\\Sigma$ ellipsoid).** With ε ~ 𝒩(0, Σ), Σ = diag(σ²), g's prediction is "
        "constant on"
    )
    st.latex(
        r"\mathcal{R} = \{\delta:\ \|\Sigma^{-1/2}\delta\|_2 \le r\},\qquad "
        r"r = \tfrac12\big(\Phi^{-1}(\underline{p_A}) - \Phi^{-1}(\overline{p_B})\big) \;\ge\; "
        r"\Phi^{-1}(\underline{p_A})\quad\text{since } \overline{p_B} \le 1-\underline{p_A}"
    )
    st.markdown(
        "CERTIFY bounds only the top class and takes $\\overline{p_B} = 1-\\underline{p_A}$, where the bound is "
        "tight: $r = \\Phi^{-1}(\\underline{p_A})$, the **gap** of the tables."
    )
    st.markdown(
        "**Corollary 2 (uniform, $\\ell_1^\\Lambda$ generalized cross-polytope).** With ε ~ 𝒰[−λ, λ] per coordinate:"
    )
    st.latex(
        r"\mathcal{R} = \{\delta:\ \|\Lambda^{-1}\delta\|_1 \le r\},\qquad r = \underline{p_A} - \overline{p_B} "
        r"= 2\big(\underline{p_A} - \tfrac12\big)"
    )
    st.markdown(
        "Both are centred at x with semi-axes θᵢ·r along pixel i: a ball or a diamond when all θᵢ are equal. "
        "The largest isotropic ball inside has radius min θᵢ · r — the **radius** column of the tables."
    )


def volume_and_proxy_radius() -> None:
    """§4: a region's volume and the proxy radius, live."""
    st.header("4. Volume and the proxy radius")
    st.latex(
        r"\mathrm{Vol}(\ell_2^\Sigma) = \frac{r^n\,\pi^{n/2}}{\Gamma(n/2+1)}\prod_i \sigma_i,\qquad "
        r"\mathrm{Vol}(\ell_1^\Lambda) = \frac{(2r)^n}{n!}\prod_i \lambda_i"
    )
    st.markdown("Up to a constant that depends only on n, the n-th root of the volume is the **proxy radius**")
    st.latex(r"\tilde R = r\,\Big(\prod_i \theta_i\Big)^{1/n} = r \cdot \mathrm{GM}(\theta),")
    st.markdown(
        "the radius of the isotropic region with the same volume. ANCER maximizes it (plus κ·r·min θ, which "
        "keeps the enclosed ball from shrinking). Try it: n values of θ, half of them doubled."
    )
    dim = st.select_slider("dimension n", [2, 10, 100, 3072], 3072)
    theta = np.full(dim, 0.25)
    theta[: dim // 2] = 0.5
    iso = Certificate.from_bound("l2", 0.25, 0, 0.99, dim=dim)
    an = Certificate.from_bound("l2", theta, 0, 0.99)
    st.markdown(
        f"Isotropic σ = 0.25: proxy radius {iso.proxy_radius:.4f}, ln Vol = {iso.log_volume:.1f}. "
        f"Half the σᵢ at 0.5: proxy radius **{an.proxy_radius:.4f}** (× {an.proxy_radius / iso.proxy_radius:.3f} "
        f"= $2^{{1/2}}$), ln Vol = {an.log_volume:.1f}: the volume is "
        f"$10^{{{(an.log_volume - iso.log_volume) / np.log(10):.1f}}}$ times "
        f"larger ($2^{{n/2}}$), while the enclosed ball (radius {an.radius:.4f}) is unchanged. ln Γ(n/2+1) = "
        f"{gammaln(dim / 2 + 1):.1f}: in 3,072 dimensions volumes are only comparable in log space."
    )


def supersets() -> None:
    """§5: Definition 1, when one region contains another."""
    st.header("5. Definition 1: supersets")
    st.markdown(
        "ANCER's region should *contain* the isotropic one, so it certifies everything the isotropic "
        "certificate does, and more. For axis-aligned regions of the same family centred at x:"
    )
    st.latex(
        r"\mathcal{R}_{\text{ANCER}} \supseteq \mathcal{R}_{\text{iso}} \iff \theta_i\, r_{\text{ANCER}} \ge "
        r"\sigma\, r_{\text{iso}}\ \ \forall i"
    )
    st.markdown(
        "ANCER enforces θᵢ ≥ θ_iso during optimization, but the gap r is re-estimated at the end, so the "
        "superset property is checked after certification (the ⊇ column on the live page, Tables 4/5)."
    )


def input_dependent_theta() -> None:
    """§6: what a per-input θ costs, and the two sound answers."""
    st.header("6. When every input picks its own θ")
    st.markdown(
        "A certificate is a statement about **one** smoothed classifier $g_\\theta$. With a fixed σ every "
        "certificate describes the same $g_\\sigma$, and $g_\\sigma$ has one answer at every point, so two "
        "certificates can never contradict each other: if they overlap, they name the same class."
    )
    st.latex(r"h(x) = g_{\theta(x)}(x)\qquad\text{(each input smoothed with its own }\theta\text{)}")
    st.markdown(
        "Isotropic DD and ANCER choose θ per input. The certificate at x is true of $g_{\\theta(x)}$, but a "
        "neighbour x′ is answered by $g_{\\theta(x')}$, another classifier. So two inputs can hold certificates "
        "that overlap and name different classes; at a point z in both, h(z) is one class, and at least one "
        "certificate is wrong — however many samples were drawn. Súkeník et al. (ICML 2022) show how slowly "
        "θ(x) would have to vary for such certificates to hold. Two sound ways out:"
    )
    st.markdown(
        "- **Memory** (Alfarra et al.; the ANCER paper): certify inputs in order and remember every region. A new "
        "input inside an earlier region of another class takes that class; a new region that would meet one is "
        "cut back. The answers become one function again. *Cost:* the answer depends on the order, and later "
        "regions shrink — on CIFAR-10 the results explorer's *with memory* reading shows by how much.\n"
        "- **A certified selector** (Dual Randomized Smoothing, ICLR 2026): θ is one of a few levels, chosen by a "
        "selector that is itself smoothed with noise τ and certified: within $R_\\sigma$ it keeps its level. "
        "The classifier at that level certifies $R_c$, and the region is the ball of radius "
        "$\\min(R_\\sigma, R_c)$. The two statements share α ($\\alpha_\\sigma + \\alpha_c$, by a union "
        "bound). *Cost:* the selector's own samples, and a radius capped by $R_\\sigma$."
    )
    st.page_link(
        "screens/toy.py",
        label="See all three on the toy plane: contradicting certificates, memory step by step, the certified "
        "selector (Toy 2D, at the bottom)",
        icon="🎯",
    )


main()
