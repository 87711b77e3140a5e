"""Input Hessian against central finite differences of the gradient (float64, smooth network)."""

import numpy as np
import pytest
import torch

from ancer_core.teaching.hessian import eigen_decomposition, input_hessian, plane_landscape


def _net():
    torch.manual_seed(0)
    m = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    return m.double().eval()


def test_hessian_matches_finite_differences():
    model = _net()
    x = torch.rand(3, 2, 2, dtype=torch.float64)
    h = input_hessian(model, x, cls=1, chunk=5)  # chunks that do not divide n = 12

    def grad_at(z):
        z = z.clone().requires_grad_(True)
        torch.softmax(model(z[None]), 1)[0, 1].backward()
        return z.grad.reshape(-1)

    eps = 1e-5
    fd = np.stack(
        [
            ((grad_at(x + eps * e.view(3, 2, 2)) - grad_at(x - eps * e.view(3, 2, 2))) / (2 * eps)).numpy()
            for e in torch.eye(12, dtype=torch.float64)
        ]
    )
    np.testing.assert_allclose(h, 0.5 * (fd + fd.T), atol=1e-8)
    assert np.abs(h).max() > 1e-3  # not trivially zero


def test_eigen_order_and_reconstruction():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((20, 20))
    h = a + a.T
    w, v = eigen_decomposition(h)
    assert np.all(np.diff(np.abs(w)) <= 1e-12)
    np.testing.assert_allclose(v @ np.diag(w) @ v.T, h, atol=1e-10)


def test_plane_landscape_at_the_origin_is_f():
    model = _net().float()
    model.input_shape = (3, 2, 2)
    x = torch.rand(3, 2, 2)
    u, v = np.eye(12)[0], np.eye(12)[5]
    land = plane_landscape(model, x, 2, u, v, np.array([-0.1, 0.0, 0.1]))
    with torch.no_grad():
        f0 = torch.softmax(model(x[None]), 1)[0, 2].item()
    assert land[1, 1] == pytest.approx(f0, rel=1e-6)
    with pytest.raises(ValueError, match="eval"):
        input_hessian(model.train(), x, 0)
