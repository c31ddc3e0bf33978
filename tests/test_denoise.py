"""Denoising against the closed-form Gaussian posterior, and the start time matched to the noise.

For a prior x0 ~ N(m, v) per coordinate and a noisy pose y = x0 + s n, starting the reverse SDE at
t0 with sigma(t0) / alpha(t0) = s from x(t0) = alpha(t0) y must draw from the posterior
N(m + v / (v + s^2) (y - m), v s^2 / (v + s^2)).
"""

import math

import pytest
import torch
from conftest import NOISE_PREDICTION
from torch import nn

from gfpose.sde import EPS, SubVPSDE
from gfpose.tasks import Sampler, SamplerSettings, denoise_request, generate_request

SDE = SubVPSDE()
JOINTS = 17
DATA_SCALE = 10.0  # model units per metre: 1 unit = 100 mm


class ExactGaussianNet(nn.Module):
    """A 'network' whose output / sigma(t) is the exact score of N(mean, var) diffused by the SDE."""

    def __init__(self, mean: torch.Tensor, var: torch.Tensor):
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("var", var)
        self.dummy = nn.Parameter(torch.zeros(1))  # the Sampler reads the device from a parameter

    def forward(self, x, t, cond, keep, cond_is_3d):
        alpha, sigma = SDE.alpha(t).reshape(-1, 1, 1), SDE.sigma(t).reshape(-1, 1, 1)
        return -sigma * (x - alpha * self.mean) / (alpha**2 * self.var + sigma**2)


def gaussian_case(noise_mm, seed=0):
    """A sampler with the exact score of N(mean, var), a noisy pose y and its exact posterior."""
    gen = torch.Generator().manual_seed(seed)
    mean = torch.randn(JOINTS, 3, generator=gen) * 3  # model units
    var = torch.full((JOINTS, 3), 0.2**2)  # 20 mm prior spread per coordinate
    sampler = Sampler(ExactGaussianNet(mean, var), SDE, DATA_SCALE,
                      SamplerSettings(name="em", steps=400, schedule="uniform"), config=NOISE_PREDICTION)
    s = noise_mm * DATA_SCALE / 1000  # noise in model units
    y = mean + var.sqrt() * torch.randn(JOINTS, 3, generator=gen) + s * torch.randn(JOINTS, 3, generator=gen)
    post_mean = mean + var / (var + s**2) * (y - mean)
    post_var = var * s**2 / (var + s**2)
    return sampler, y, post_mean, post_var


@pytest.mark.parametrize("noise_mm", [5.0, 20.0])
def test_denoising_draws_from_the_gaussian_posterior(noise_mm):
    sampler, y, post_mean, post_var = gaussian_case(noise_mm)
    t0 = sampler.start_time_for_noise(noise_mm)
    out = sampler.run(denoise_request((y * 100).expand(20000, JOINTS, 3), t0))[:, 0] / 100  # mm -> model units
    # the sampler returns root-relative poses: independent coordinates, so means subtract, variances add
    expected_mean = post_mean - post_mean[:1]
    expected_var = post_var + post_var[:1]
    expected_var[0] = 0
    assert torch.allclose(out.mean(0), expected_mean, atol=4 * math.sqrt(post_var.max() * 2 / 20000) + 2e-3)
    assert torch.allclose(out.var(0)[1:], expected_var[1:], rtol=0.08)


def test_start_time_matches_the_noise_level():
    for noise in (0.01, 0.05, 0.2, 1.0):  # model units
        t0 = torch.tensor(SDE.t_for_noise(noise), dtype=torch.float64)
        assert float(SDE.sigma(t0) / SDE.alpha(t0)) == pytest.approx(noise, rel=1e-6)
    # larger noise needs a later start; no noise clamps to the earliest start the grid allows
    assert SDE.t_for_noise(0.05) < SDE.t_for_noise(0.2)
    assert SDE.t_for_noise(0.0) == pytest.approx(2e-3)
    assert SDE.t_for_noise(1e4) == 1.0
    # the sampler converts millimetres to model units (DATA_SCALE per metre) first
    sampler, *_ = gaussian_case(5.0)
    assert sampler.start_time_for_noise(20.0) == SDE.t_for_noise(20.0 * DATA_SCALE / 1000)


@pytest.mark.parametrize("noise_mm", [5.0, 20.0])
def test_posterior_mean_denoiser_is_tweedies_closed_form(noise_mm):
    sampler, y, post_mean, _ = gaussian_case(noise_mm)
    request = denoise_request((y * 100)[None], sampler.start_time_for_noise(noise_mm), method="mean")
    out = sampler.run(request)[0, 0] / 100
    assert torch.allclose(out, post_mean - post_mean[:1], atol=1e-4)


def test_central_answer_follows_the_ode_from_the_prior_centre():
    """The probability-flow ODE keeps a point's standardised coordinate u = (x - alpha m) / sqrt(alpha^2 v +
    sigma^2) for Gaussian data; from x(1) = 0, u = -alpha(1) m / sqrt(alpha(1)^2 v + sigma(1)^2), so the
    central answer is alpha(e) m + sqrt(alpha(e)^2 v + sigma(e)^2) u at the last time e = EPS: the mean
    m up to 0.7% of sqrt(v) m, whatever the seed."""
    sampler, *_ = gaussian_case(5.0)
    one, e = torch.tensor([1.0]), torch.tensor([EPS])
    m, v = sampler.net.mean, sampler.net.var
    u = -SDE.alpha(one) * m / torch.sqrt(SDE.alpha(one) ** 2 * v + SDE.sigma(one) ** 2)
    expected = SDE.alpha(e) * m + torch.sqrt(SDE.alpha(e) ** 2 * v + SDE.sigma(e) ** 2) * u
    out = sampler.central(generate_request(3, JOINTS)) / 100  # mm -> model units, root-relative
    torch.testing.assert_close(out, (expected - expected[:1]).expand(3, JOINTS, 3), atol=2e-3, rtol=0)
    assert (expected - m).abs().max() > 1e-3  # the closed form is not the mean itself: the test can tell
