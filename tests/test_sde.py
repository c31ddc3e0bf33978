"""The subVP SDE against its closed forms and a Monte-Carlo simulation of Eq. 7."""

import torch

from gfpose.sde import SubVPSDE


def test_marginal_mean_and_std_match_monte_carlo_of_forward_sde():
    sde = SubVPSDE()
    gen = torch.Generator().manual_seed(0)
    x0 = torch.tensor([2.0, -1.0, 0.5])
    x = x0.repeat(20000, 1)
    steps, t_end = 2000, 0.6
    dt = t_end / steps
    checkpoints = {500: None, 1000: None, 2000: None}
    for i in range(steps):
        t = torch.tensor([i * dt])
        x = x + sde.drift(x, t) * dt + sde.diffusion(t) * dt**0.5 * torch.randn(x.shape, generator=gen)
        if i + 1 in checkpoints:
            checkpoints[i + 1] = x.clone()
    for n, samples in checkpoints.items():
        t = torch.tensor(n * dt)
        expected_mean = sde.alpha(t) * x0
        expected_std = sde.sigma(t)
        assert torch.allclose(samples.mean(0), expected_mean, atol=0.03), (n, samples.mean(0), expected_mean)
        assert torch.allclose(samples.std(0), expected_std.expand(3), rtol=0.03), (n, samples.std(0), expected_std)


def test_variance_obeys_its_ode():
    # For a linear SDE the kernel variance satisfies dVar/dt = -beta Var + g^2 (Sarkka & Solin, Eq. 5.51).
    sde = SubVPSDE()
    t = torch.linspace(0.05, 0.95, 19, dtype=torch.float64)
    h = 1e-6
    def var(s):
        return sde.sigma(s) ** 2

    derivative = (var(t + h) - var(t - h)) / (2 * h)
    assert torch.allclose(derivative, -sde.beta(t) * var(t) + sde.diffusion(t) ** 2, rtol=1e-5)


def test_closed_forms_at_hand_worked_points():
    sde = SubVPSDE(0.1, 20.0)
    t = torch.tensor(1.0, dtype=torch.float64)
    big_b = 0.1 + 0.5 * 19.9  # int_0^1 beta = 10.05
    assert torch.isclose(sde.integral_beta(t), torch.tensor(big_b, dtype=torch.float64))
    assert torch.isclose(sde.alpha(t), torch.exp(torch.tensor(-big_b / 2, dtype=torch.float64)))
    assert torch.isclose(sde.sigma(t), 1 - torch.exp(torch.tensor(-big_b, dtype=torch.float64)))
    assert float(sde.sigma(torch.tensor(0.0))) == 0.0


def test_log_snr_inverse():
    sde = SubVPSDE()
    t = torch.linspace(1e-3, 1.0, 50, dtype=torch.float64)
    assert torch.allclose(sde.t_from_log_snr(sde.log_snr(t)), t, atol=1e-9)
