"""Detector-like noise for clean 2D keypoints (training augmentation and robustness tests)."""

from __future__ import annotations

import torch
from torch import Tensor


def detector_noise(keypoints: Tensor, generator: torch.Generator | None = None,
                   sigma_px: float = 5.0, outlier_prob: float = 0.02, outlier_sigma_px: float = 50.0,
                   drop_prob: float = 0.0) -> Tensor:
    """Noisy copy of ``keypoints`` (..., J, 2) px.

    Every joint gets Gaussian jitter N(0, sigma_px^2) per coordinate; with probability
    ``outlier_prob`` a joint is an outlier and gets an extra N(0, outlier_sigma_px^2) offset (a
    detector latching onto the wrong limb); with probability ``drop_prob`` it is missing (NaN).
    Draws are made on the generator's device (the CPU without one) and moved to the keypoints', so
    a CPU generator gives the same noise on every device.
    """
    device = generator.device if generator is not None else torch.device("cpu")

    def draw(fn, shape):
        return fn(shape, generator=generator, dtype=keypoints.dtype, device=device).to(keypoints.device)

    joints = keypoints.shape[:-1]
    noisy = keypoints + sigma_px * draw(torch.randn, keypoints.shape)
    outlier = draw(torch.rand, joints) < outlier_prob
    noisy = noisy + outlier[..., None] * outlier_sigma_px * draw(torch.randn, keypoints.shape)
    dropped = draw(torch.rand, joints) < drop_prob
    return noisy.masked_fill(dropped[..., None], float("nan"))
