"""Input Hessian of f^y and its eigen-decomposition (paper Appendix A, Figure 7).

f^y(x) = softmax(model(x))_y. The Hessian ∇²ₓf^y (n × n, n = 3,072 for CIFAR-10) is computed
exactly, as batched Hessian–vector products H·eᵢ (see :func:`input_hessian`), then symmetrized
and decomposed with ``scipy.linalg.eigh``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.linalg import eigh

from ..core.validation import AncerInputError


def input_hessian(
    model: torch.nn.Module,
    x: torch.Tensor,
    cls: int,
    chunk: int = 128,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """∇²ₓ softmax(model(x))_cls for one input x (shape C×H×W, or 1×C×H×W, or d); (n, n) float64.

    Reverse-over-reverse Hessian–vector products, ``chunk`` basis vectors at a time: the input is
    copied ``chunk`` times (the model must be in eval mode so the copies are independent), the
    gradient g of Σ f(copies) is taken with a graph, and ∂(Σᵢ gᵢ·eᵢ)/∂copies gives row i = H eᵢ."""
    if model.training:
        raise AncerInputError("put the model in eval mode: batch-norm statistics must not mix the copies")
    x = x.detach()
    shape = tuple(x.shape[1:]) if x.dim() == 4 else tuple(x.shape)
    n = int(np.prod(shape))
    rows = []
    with torch.enable_grad():
        for s in range(0, n, chunk):
            m = min(chunk, n - s)
            xb = x.reshape(1, *shape).expand(m, *shape).clone().requires_grad_(True)
            f = torch.softmax(model(xb), 1)[:, cls].sum()
            (g,) = torch.autograd.grad(f, xb, create_graph=True)
            basis = torch.zeros(m, n, device=x.device, dtype=x.dtype)
            basis[torch.arange(m), torch.arange(s, s + m)] = 1.0
            (hv,) = torch.autograd.grad((g.reshape(m, n) * basis).sum(), xb)
            rows.append(hv.reshape(m, n).double().cpu())
            if progress is not None:
                progress(s + m, n)
    h = torch.cat(rows).numpy()
    return 0.5 * (h + h.T)


def eigen_decomposition(h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and eigenvectors (columns) of a symmetric matrix, ordered by |eigenvalue|,
    largest first (the paper's ν1 … νn)."""
    w, v = eigh(h)
    order = np.argsort(-np.abs(w), kind="stable")
    return w[order], v[:, order]


@torch.inference_mode()
def plane_landscape(
    model: torch.nn.Module,
    x: torch.Tensor,
    cls: int,
    u: np.ndarray,
    v: np.ndarray,
    coords: np.ndarray,
    batch: int = 1024,
) -> np.ndarray:
    """f^cls(x + a·u + b·v) for a, b over ``coords``; (len(coords), len(coords)) indexed [b, a]."""
    x = x.reshape(1, -1)
    uu = torch.as_tensor(np.asarray(u).reshape(1, -1), dtype=x.dtype, device=x.device)
    vv = torch.as_tensor(np.asarray(v).reshape(1, -1), dtype=x.dtype, device=x.device)
    a, b = np.meshgrid(coords, coords)
    ab = torch.as_tensor(np.stack([a.ravel(), b.ravel()], 1), dtype=x.dtype, device=x.device)
    out = []
    for s in range(0, ab.shape[0], batch):
        p = x + ab[s : s + batch, :1] * uu + ab[s : s + batch, 1:] * vv
        out.append(torch.softmax(model(p.view(-1, *model_input_shape(model, x))), 1)[:, cls].cpu())
    return torch.cat(out).numpy().reshape(a.shape)


def model_input_shape(model: torch.nn.Module, x_flat: torch.Tensor) -> tuple[int, ...]:
    """The input shape a model expects: ``model.input_shape`` if set, else CIFAR's 3×32×32 when
    the size fits, else flat."""
    shape = getattr(model, "input_shape", None)
    if shape is not None:
        return tuple(shape)
    return (3, 32, 32) if x_flat.shape[-1] == 3072 else (x_flat.shape[-1],)
