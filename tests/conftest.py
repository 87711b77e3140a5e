import os
import tempfile

import pytest
import torch

# never touch the user's cache from the tests
os.environ.setdefault("ANCER_CACHE", os.path.join(tempfile.gettempdir(), "ancer-test-cache"))
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


class Linear2Class(torch.nn.Module):
    """f(x) = 1 if w·x + b > 0 else 0, as logits [0, w·x + b]; inputs of any shape B×…"""

    def __init__(self, w, b):
        super().__init__()
        self.w = torch.as_tensor(w, dtype=torch.float32)
        self.b = float(b)

    def forward(self, x):
        s = x.flatten(1) @ self.w + self.b
        return torch.stack([torch.zeros_like(s), s], 1)


@pytest.fixture
def linear_model():
    return Linear2Class
