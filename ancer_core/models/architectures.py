"""Architectures and the registry of their names.

Every model is ``nn.Sequential(NormalizeLayer, network)``: it takes images in [0, 1] pixel space
(noise is added there) and returns logits. That is also the layout of Cohen et al.'s released
checkpoints (``{'arch': 'cifar_resnet110', 'state_dict': {'1.conv1.weight': …}}``), which load
unchanged by giving their path to :func:`ancer_core.models.load_model`.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from ..core.validation import AncerInputError

CIFAR_MEAN = (0.4914, 0.4822, 0.4465)  # as in Cohen et al. and the original ANCER code
CIFAR_STD = (0.2023, 0.1994, 0.2010)
INPUT_SHAPE = (3, 32, 32)  # every architecture here is a CIFAR-10 network: 3×32×32 images in [0, 1]


class NormalizeLayer(nn.Module):
    """(x − μ)/s per channel, inside the model so that noise lives in [0, 1] pixel space."""

    def __init__(self, mean=CIFAR_MEAN, std=CIFAR_STD):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def _conv_bn(cin: int, cout: int, stride: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SmallCNN(nn.Sequential):
    """Seven 3×3 conv-BN-ReLU layers (32→256 channels, three stride-2 steps), global average
    pooling and a linear layer: 0.59 M parameters, 22 M multiply-adds per 32×32 image
    (44 MFLOP = 2 × multiply-adds, 1/13 of a CIFAR-style ResNet-18), chosen so that ANCER runs live on a laptop CPU."""

    def __init__(self, num_classes: int = 10, width: int = 32):
        w = width
        super().__init__(
            *_conv_bn(3, w),
            *_conv_bn(w, w, 2),
            *_conv_bn(w, 2 * w),
            *_conv_bn(2 * w, 2 * w, 2),
            *_conv_bn(2 * w, 4 * w),
            *_conv_bn(4 * w, 4 * w, 2),
            *_conv_bn(4 * w, 8 * w),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(8 * w, num_classes),
        )


def resnet18_imagenet_style(num_classes: int = 10) -> nn.Module:
    """The paper's CIFAR-10 "ResNet-18": torchvision's ImageNet ResNet-18 (7×7 stride-2 stem and
    max-pool, so 8×8 feature maps after the stem on 32×32 inputs; 37 M multiply-adds = 74 MFLOP per image) with its
    first BatchNorm removed, as in the original code (see reference-implementation notes)."""
    import torchvision  # only this architecture needs it, and it is slow to import (torch._dynamo)

    net = torchvision.models.resnet18(weights=None, num_classes=num_classes)
    net.bn1 = nn.Identity()
    return net


class _CifarBasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, downsample: nn.Module | None = None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class CifarResNet(nn.Module):
    """The CIFAR ResNet (depth 6n+2, 16/32/64 channels) of Cohen et al.'s ``cifar_resnet110``,
    with the same parameter names so that their released checkpoints load."""

    def __init__(self, depth: int = 110, num_classes: int = 10):
        super().__init__()
        if (depth - 2) % 6:
            raise ValueError("depth must be 6n+2")
        n = (depth - 2) // 6
        self.inplanes = 16
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._make_layer(16, n)
        self.layer2 = self._make_layer(32, n, 2)
        self.layer3 = self._make_layer(64, n, 2)
        self.avgpool = nn.AvgPool2d(8)
        self.fc = nn.Linear(64, num_classes)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        down = None
        if stride != 1 or self.inplanes != planes:
            down = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [_CifarBasicBlock(self.inplanes, planes, stride, down)]
        self.inplanes = planes
        layers += [_CifarBasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(self.avgpool(x), 1))


ARCHITECTURES: dict[str, Callable[[], nn.Module]] = {
    "small-cnn": SmallCNN,
    "wide-cnn": lambda: SmallCNN(width=48),
    "resnet18-imagenet-style": resnet18_imagenet_style,
    "cifar_resnet110": lambda: CifarResNet(110),
    "cifar_resnet20": lambda: CifarResNet(20),
}


def build_model(arch: str) -> nn.Sequential:
    """A fresh (randomly initialized) model of architecture ``arch``, with its normalization."""
    if arch not in ARCHITECTURES:
        raise AncerInputError(f"unknown architecture {arch!r}; use one of {', '.join(ARCHITECTURES)}")
    model = nn.Sequential(NormalizeLayer(), ARCHITECTURES[arch]())
    model.input_shape = INPUT_SHAPE  # what the library checks images against (core.validation.check_model_input)
    return model


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
