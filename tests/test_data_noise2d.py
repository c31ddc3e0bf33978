"""Detector-like 2D noise: its statistics and its seeding."""

import torch

from gfpose.data.noise2d import detector_noise


def test_gaussian_sigma_and_seed():
    kp = torch.zeros(4000, 17, 2)
    a = detector_noise(kp, torch.Generator().manual_seed(0), sigma_px=5.0, outlier_prob=0.0)
    b = detector_noise(kp, torch.Generator().manual_seed(0), sigma_px=5.0, outlier_prob=0.0)
    torch.testing.assert_close(a, b)
    assert abs(a.std().item() - 5.0) < 0.1 and abs(a.mean().item()) < 0.1


def test_outliers_and_drops_at_their_rates():
    kp = torch.full((5000, 17, 2), 100.0)
    out = detector_noise(kp, torch.Generator().manual_seed(1), sigma_px=0.0, outlier_prob=0.1,
                         outlier_sigma_px=50.0, drop_prob=0.2)
    dropped = out.isnan().all(-1)
    assert abs(dropped.float().mean().item() - 0.2) < 0.01
    moved = ((out - kp).abs() > 0).any(-1) & ~dropped
    assert abs(moved.float().mean().item() - 0.1 * 0.8) < 0.01
    assert (out.isnan().any(-1) == dropped).all()  # a joint is missing as a whole
