"""The shipped models' cards (JSON beside each checkpoint in ``weights/``) and the architectures'
notes: read without loading any network code, so that listing the models is instant."""

from __future__ import annotations

import json
from pathlib import Path

MODEL_DIR = Path(__file__).parent / "weights"

ARCH_NOTES = {
    "small-cnn": "ours: 7 conv layers, 0.59 M params, 44 MFLOP/image; interactive on a CPU",
    "wide-cnn": "ours: the small CNN at 1.5× width (48→384 channels), 1.31 M params, 98 MFLOP/image",
    "resnet18-imagenet-style": "the paper's CIFAR-10 ResNet-18 (ImageNet stem on 32×32, 74 MFLOP = 37 M multiply-adds)",
    "cifar_resnet110": "Cohen et al.'s released CIFAR-10 models (load their checkpoint by path)",
    "cifar_resnet20": "Cohen et al.'s smaller CIFAR ResNet",
}


def shipped_models() -> dict[str, dict]:
    """Name → model card of every model shipped in ``ancer_core/models/weights``."""
    return {card.stem: json.loads(card.read_text()) for card in sorted(MODEL_DIR.glob("*.json"))}
