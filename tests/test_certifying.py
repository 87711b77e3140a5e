"""The one precision decision (models.certifying): which network CERTIFY samples, its sampling
configuration and the optimizers' autocast, asked by every caller instead of comparing names."""

import pytest
import torch

import ancer_core as ac
from ancer_core.models import certifying


class _Net(torch.nn.Module):
    def forward(self, x):
        return x


def test_fp32_and_bf16_sample_the_model_itself_with_their_autocast():
    model = _Net()
    for precision, dtype in (("fp32", None), ("bf16", torch.bfloat16)):
        d = certifying("m", precision, "fp32", "cpu", load=lambda name: pytest.fail("loaded an int8 network"))
        assert d.network is None and d.sampled(model) is model
        assert d.config.autocast_dtype is dtype and d.optimizer_autocast is None
        assert d.run_options() == {"config": d.config, "certify_model": None, "optimizer_autocast": None}


def test_int8_samples_the_loaded_int8_network_channels_last_and_defaults_its_optimizers():
    model, q, asked = _Net(), _Net(), []
    d = certifying("small-gaussian-0.25", "int8", device="cpu", load=lambda name: asked.append(name) or q)
    assert asked == ["small-gaussian-0.25"] and d.network is q and d.sampled(model) is q
    assert d.config.channels_last and d.config.autocast_dtype is None
    assert d.optimizer_precision == ac.core.default_optimizer_precision("int8", "cpu")


@pytest.mark.parametrize(
    "precision, optimizer, said",
    [("fp16", None, "needs a CUDA device"), ("int4", "fp32", "precision='int4'"), ("fp32", "int8", "optimizer")],
)
def test_what_the_device_cannot_run_is_refused_before_anything_loads(precision, optimizer, said):
    with pytest.raises(ac.AncerInputError, match=said):
        certifying("m", precision, optimizer, "cpu", load=lambda name: pytest.fail("loaded before refusing"))
