"""Reverse-time samplers: pure functions of (score_fn, sde, x, times).

Each sampler integrates from times[0] (T) down to times[-1] (eps) and returns the final state.
They share one keyword interface:
    generator   torch.Generator for the noise, so runs repeat exactly;
    imputation  an Imputation: observed coordinates are replaced after every step by the
                observation perturbed to the current time (Song et al. 2021), and set exactly
                at the end; combine with a conditional score_fn for "conditioning + imputation";
    callback    called as callback(i, t, x) after each step, for trajectories.
A denoising run passes the noisy pose as x and a small start time as times[0] (Table 7).
The samplers only call sde.drift / diffusion / alpha / sigma / log_snr, never branch on its type.
"""

from dataclasses import dataclass

import torch

from gfpose.sde import expand_like


@dataclass
class Imputation:
    """Observed coordinates: values (B, J, 3) in model units and mask (B, J, 3) bool (True = observed)."""

    values: torch.Tensor
    mask: torch.Tensor

    def apply(self, x, sde, t, generator=None) -> torch.Tensor:
        """Replace observed entries of x by a sample of x(t) given x(0) = observation (Eq. 11)."""
        t = torch.as_tensor(t, dtype=torch.float32, device=x.device)
        noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
        observed_t = sde.perturb(self.values, t, noise)
        return torch.where(self.mask, observed_t, x)

    def finish(self, x) -> torch.Tensor:
        return torch.where(self.mask, self.values, x)


def time_grid(steps: int, t_start: float = 1.0, t_end: float = 1e-3, schedule: str = "uniform", sde=None):
    """steps + 1 decreasing times from t_start to t_end: uniform in t (Alg. 1), uniform in
    sqrt(t) ('quadratic', denser near t_end) or uniform in log-SNR ('logsnr', densest there)."""
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    if not 0 < t_end < t_start <= 1:
        raise ValueError(f"need 0 < t_end < t_start <= 1, got t_start={t_start}, t_end={t_end}")
    if schedule == "uniform":
        return torch.linspace(t_start, t_end, steps + 1, dtype=torch.float64)
    if schedule == "quadratic":
        return torch.linspace(t_start**0.5, t_end**0.5, steps + 1, dtype=torch.float64) ** 2
    if schedule == "logsnr":
        ends = torch.tensor([t_start, t_end], dtype=torch.float64)
        lam = sde.log_snr(ends)
        return sde.t_from_log_snr(torch.linspace(lam[0].item(), lam[1].item(), steps + 1, dtype=torch.float64))
    raise ValueError(f"unknown time schedule {schedule!r}; expected 'uniform', 'quadratic' or 'logsnr'")


def _finish(x, imputation):
    return imputation.finish(x) if imputation is not None else x


def _after_step(x, i, t_next, sde, imputation, generator, callback):
    if imputation is not None:
        x = imputation.apply(x, sde, t_next, generator)
    if callback is not None:
        callback(i, t_next, x)
    return x


def euler_maruyama(score_fn, sde, x, times, *, generator=None, imputation=None, callback=None,
                   corrector_steps: int = 0, snr: float = 0.16):
    """Alg. 1: Euler-Maruyama on the reverse SDE (Eq. 5), optionally with Langevin correctors (PC).

    The step is the actual spacing of `times` (Alg. 1 line 3 uses 1/N, which equals it when T = 1),
    and the last step returns the mean without noise. With corrector_steps > 0, each step first runs
    Langevin MCMC at time t with step size set by the signal-to-noise ratio `snr` (Song et al. 2021).
    """
    for i in range(len(times) - 1):
        t, t_next = float(times[i]), float(times[i + 1])
        t_vec = torch.full((1,), t, device=x.device)
        for _ in range(corrector_steps):
            x = _langevin_step(score_fn, x, t_vec, snr, generator)
        h = t - t_next
        g = sde.diffusion(t_vec)
        x = x + (expand_like(g**2, x) * score_fn(x, t_vec) - sde.drift(x, t_vec)) * h
        if i < len(times) - 2:
            noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            x = x + expand_like(g, x) * h**0.5 * noise
        x = _after_step(x, i, t_next, sde, imputation, generator, callback)
    return _finish(x, imputation)


def _langevin_step(score_fn, x, t_vec, snr, generator):
    grad = score_fn(x, t_vec)
    noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    grad_norm = grad.reshape(x.shape[0], -1).norm(dim=1).mean()
    noise_norm = noise.reshape(x.shape[0], -1).norm(dim=1).mean()
    step = 2 * (snr * noise_norm / grad_norm) ** 2
    return x + step * grad + (2 * step) ** 0.5 * noise


def probability_flow_heun(score_fn, sde, x, times, *, generator=None, imputation=None, callback=None):
    """Heun's method on the probability-flow ODE dx/dt = f(x, t) - 1/2 g(t)^2 s(x, t) (2 NFE per step)."""
    def velocity(x, t_vec):
        return sde.drift(x, t_vec) - 0.5 * expand_like(sde.diffusion(t_vec) ** 2, x) * score_fn(x, t_vec)

    for i in range(len(times) - 1):
        t, t_next = float(times[i]), float(times[i + 1])
        t_vec = torch.full((1,), t, device=x.device)
        t_next_vec = torch.full_like(t_vec, t_next)
        v = velocity(x, t_vec)
        x_euler = x + v * (t_next - t)
        x = x + 0.5 * (v + velocity(x_euler, t_next_vec)) * (t_next - t)
        x = _after_step(x, i, t_next, sde, imputation, generator, callback)
    return _finish(x, imputation)


def dpm_solver_2m(score_fn, sde, x, times, *, generator=None, imputation=None, callback=None,
                  stochastic: bool = False):
    """DPM-Solver++(2M), an exponential integrator in log-SNR for the data prediction (Lu et al. 2022).

    The subVP kernel x(t) = alpha x0 + sigma z (Eq. 9) makes the SDE a Gaussian-kernel diffusion,
    so with x0_hat = (x + sigma^2 s) / alpha and h = lambda(t_next) - lambda(t):
        deterministic:  x <- sigma'/sigma x - alpha' expm1(-h) D
        stochastic:     x <- sigma'/sigma e^-h x - alpha' expm1(-2h) D + sigma' sqrt(-expm1(-2h)) z
    where D is x0_hat (first step) or its second-order multistep extrapolation. The stochastic
    form solves the reverse SDE (Eq. 5), the deterministic one the probability-flow ODE.
    """
    x0_prev, h_prev = None, None
    for i in range(len(times) - 1):
        t, t_next = (torch.full((1,), float(v), device=x.device) for v in times[i:i + 2])
        alpha, sigma = expand_like(sde.alpha(t), x), expand_like(sde.sigma(t), x)
        alpha_n, sigma_n = expand_like(sde.alpha(t_next), x), expand_like(sde.sigma(t_next), x)
        h = float(sde.log_snr(times[i + 1]) - sde.log_snr(times[i]))
        x0 = (x + sigma**2 * score_fn(x, t)) / alpha
        d = x0
        if x0_prev is not None:
            r = h_prev / h
            d = x0 + (x0 - x0_prev) / (2 * r)
        if stochastic:
            decay = torch.exp(torch.tensor(-h))
            x = sigma_n / sigma * decay * x - alpha_n * torch.expm1(torch.tensor(-2 * h)) * d
            if i < len(times) - 2:
                noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
                x = x + sigma_n * torch.sqrt(-torch.expm1(torch.tensor(-2 * h))) * noise
        else:
            x = sigma_n / sigma * x - alpha_n * torch.expm1(torch.tensor(-h)) * d
        x0_prev, h_prev = x0, h
        x = _after_step(x, i, t_next[0], sde, imputation, generator, callback)
    return _finish(x, imputation)


def _sde_dpm_solver_2m(score_fn, sde, x, times, **kwargs):
    return dpm_solver_2m(score_fn, sde, x, times, stochastic=True, **kwargs)


def _predictor_corrector(score_fn, sde, x, times, **kwargs):
    return euler_maruyama(score_fn, sde, x, times, corrector_steps=1, **kwargs)


# name -> (function, network evaluations per step)
SAMPLERS = {
    "em": (euler_maruyama, 1),
    "pc": (_predictor_corrector, 2),
    "ode-heun": (probability_flow_heun, 2),
    "dpm2m": (dpm_solver_2m, 1),
    "sde-dpm2m": (_sde_dpm_solver_2m, 1),
}


def get_sampler(name: str):
    """The sampler function registered under `name` (see SAMPLERS)."""
    try:
        return SAMPLERS[name][0]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; expected one of {', '.join(SAMPLERS)}") from None
