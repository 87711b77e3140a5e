"""Published reference points shown beside our curves (never used in any computation).

CERTIFY output of ResNet-110 models on the 500 CIFAR-10 test images 0:10000:20 with N = 100,000,
α = 0.001, trained with Gaussian augmentation (Cohen et al. 2019) or with consistency
regularization (Jeong & Shin 2020), as published by their authors: certified accuracy (as a share)
at ℓ2 radius 0 (the smoothed accuracy), 0.25, 0.5 and 1.0, per training σ.
"""

RESNET110_RADII = (0.0, 0.25, 0.5, 1.0)

RESNET110 = {
    "ResNet-110, Gaussian augmentation, published CERTIFY output, N = 100,000": {
        0.25: (0.79, 0.65, 0.49, 0.0),
        0.5: (0.66, 0.54, 0.45, 0.25),
        1.0: (0.49, 0.40, 0.35, 0.25),
    },
    "ResNet-110, consistency regularization, published CERTIFY output, N = 100,000": {
        0.25: (0.75, 0.66, 0.55, 0.0),
        0.5: (0.64, 0.58, 0.49, 0.34),
        1.0: (0.47, 0.43, 0.39, 0.29),
    },
}
