"""Samplers against the exact score of a Gaussian: N(m, diag(v)) has p_t = N(alpha m, alpha^2 v + sigma^2)."""

import pytest
import torch

from gfpose.sampling import SOLVERS, Imputation, get_solver, time_grid
from gfpose.sde import SubVPSDE

SDE = SubVPSDE()
MEAN = torch.tensor([2.0, -1.0, 0.5, 0.0])
VAR = torch.tensor([0.25, 1.0, 4.0, 0.01])


def exact_score(x, t):
    alpha, sigma = SDE.alpha(t)[:, None], SDE.sigma(t)[:, None]
    return -(x - alpha * MEAN) / (alpha**2 * VAR + sigma**2)


CASES = [("em", 500, "uniform"), ("pc", 300, "uniform"), ("ode-heun", 12, "uniform"),
         ("dpm2m", 20, "logsnr"), ("sde-dpm2m", 25, "logsnr"), ("sde-dpm3m", 20, "quadratic")]


@pytest.mark.parametrize("name, steps, schedule", CASES)
def test_sampler_reproduces_the_gaussian(name, steps, schedule):
    gen = torch.Generator().manual_seed(0)
    x = SDE.prior_sample((20000, 4), generator=gen)
    out = get_solver(name)(exact_score, SDE, x, time_grid(steps, 1.0, 1e-3, schedule, SDE), generator=gen)
    assert torch.allclose(out.mean(0), MEAN, atol=0.06), out.mean(0)
    # A wrong factor on g^2 * score (e.g. 1 instead of 1/2 in the ODE) changes the variance grossly.
    assert torch.allclose(out.var(0), VAR, rtol=0.12, atol=0.01), out.var(0)


@pytest.mark.parametrize("name, steps, schedule", [("ode-heun", 12, "uniform"), ("sde-dpm3m", 20, "quadratic")])
def test_wrong_score_factor_is_detected(name, steps, schedule):
    """The same check fails for an ODE that uses g^2 * score without the factor 1/2, and for the
    few-step default sampler given a score off by the same factor."""
    gen = torch.Generator().manual_seed(0)
    x = SDE.prior_sample((20000, 4), generator=gen)
    def doubled(x, t):
        return 2 * exact_score(x, t)  # f - g^2 s == f - 1/2 g^2 (2 s)

    out = get_solver(name)(doubled, SDE, x, time_grid(steps, 1.0, 1e-3, schedule, SDE), generator=gen)
    assert not torch.allclose(out.var(0), VAR, rtol=0.12, atol=0.01)


@pytest.mark.parametrize("name", list(SOLVERS))
def test_imputation_keeps_observations_and_samples_the_rest(name):
    # Independent coordinates: imputing coordinate 0 leaves the others' distribution unchanged.
    gen = torch.Generator().manual_seed(1)
    x = SDE.prior_sample((8000, 4), generator=gen)
    observed = torch.zeros(8000, 4)
    observed[:, 0] = torch.linspace(-3, 3, 8000)
    mask = torch.zeros(8000, 4, dtype=torch.bool)
    mask[:, 0] = True
    steps = 200 if name in ("em", "pc") else 20
    times = time_grid(steps, 1.0, 1e-3, "logsnr" if steps == 20 else "uniform", SDE)
    out = get_solver(name)(exact_score, SDE, x, times, generator=gen, imputation=Imputation(observed, mask))
    assert torch.equal(out[:, 0], observed[:, 0])
    assert torch.allclose(out[:, 1:].mean(0), MEAN[1:], atol=0.1)


def test_seeded_runs_repeat_and_callback_sees_every_step():
    seen = []
    runs = []
    for _ in range(2):
        gen = torch.Generator().manual_seed(5)
        x = SDE.prior_sample((10, 4), generator=gen)
        runs.append(get_solver("em")(exact_score, SDE, x, time_grid(30), generator=gen,
                                      callback=lambda i, t, x: seen.append(i)))
    assert torch.equal(runs[0], runs[1])
    assert seen == list(range(30)) * 2


def test_denoising_start_time_moves_a_sample_only_a_little():
    # From t0 = 0.05 the reverse SDE only removes noise of scale sigma(0.05) ~ 0.03.
    gen = torch.Generator().manual_seed(2)
    start = MEAN + VAR.sqrt() * torch.randn(5000, 4, generator=gen)
    out = get_solver("em")(exact_score, SDE, start.clone(), time_grid(50, 0.05, 1e-3), generator=gen)
    assert (out - start).abs().mean() < 0.1
    assert torch.allclose(out.var(0), VAR, rtol=0.15, atol=0.01)


def test_time_grid_rejects_bad_arguments():
    with pytest.raises(ValueError, match="steps"):
        time_grid(0)
    with pytest.raises(ValueError, match="t_start"):
        time_grid(10, 1e-4, 1e-3)
    with pytest.raises(ValueError, match="schedule"):
        time_grid(10, schedule="cosine")
    with pytest.raises(ValueError, match="sampler"):
        get_solver("rk45")


def test_reverse_sde_from_a_perturbed_sample_draws_the_posterior_given_it():
    # SDEdit (gfpose.tasks.propagate_request): a sample x0 of the data perturbed to t0, x(t0) =
    # alpha x0 + sigma z, and run back by the reverse SDE is a sample of p(x0' | x(t0)); for
    # N(m, v) per coordinate that keeps N(m, v) and correlates x0' with x0 by a^2 v / (a^2 v + sigma^2).
    gen = torch.Generator().manual_seed(3)
    t0 = torch.tensor([0.3])
    alpha, sigma = SDE.alpha(t0), SDE.sigma(t0)
    start = MEAN + VAR.sqrt() * torch.randn(20000, 4, generator=gen)
    x = SDE.perturb(start, t0.expand(20000), torch.randn(20000, 4, generator=gen))
    out = get_solver("em")(exact_score, SDE, x, time_grid(300, 0.3, 1e-3), generator=gen)
    assert torch.allclose(out.mean(0), MEAN, atol=0.05), out.mean(0)
    assert torch.allclose(out.var(0), VAR, rtol=0.1, atol=0.01), out.var(0)
    correlation = ((start - MEAN) * (out - MEAN)).mean(0) / VAR
    expected = alpha**2 * VAR / (alpha**2 * VAR + sigma**2)
    assert torch.allclose(correlation, expected, atol=0.04), (correlation, expected)
