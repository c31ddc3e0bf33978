"""Reverse-time samplers: pure functions of (score_fn, sde, x, times).

Each sampler integrates from times[0] (T) down to times[-1] (eps) and returns the final state.
They share one keyword interface:
    generator   torch.Generator for the noise, so runs repeat exactly;
    imputation  an Imputation: observed coordinates are replaced after every step by the
                observation perturbed to the current time (Song et al. 2021), and set exactly
                at the end; combine with a conditional score_fn for "conditioning + imputation";
    callback    called as callback(i, t, x) after each step, for trajectories.
A denoising run passes the noisy pose as x and a small start time as times[0] (Table 7).
The samplers only call the SDE's methods (drift, diffusion, alpha, sigma, log-SNR, Tweedie), never branch on its type.
"""

import math
from dataclasses import dataclass

import torch

from gfpose.sde import EPS, expand_like


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


def time_grid(steps: int, t_start: float = 1.0, t_end: float = EPS, schedule: str = "uniform", sde=None):
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


def dpm_solver(score_fn, sde, x, times, *, generator=None, imputation=None, callback=None,
               order: int = 2, eta: float = 0.0):
    """DPM-Solver++ multistep (Lu et al. 2022): an exponential integrator in log-SNR for the data
    prediction x0_hat = (x + sigma^2 s) / alpha, which the subVP kernel x(t) = alpha x0 + sigma z
    (Eq. 9) makes exact for a constant x0_hat. With h = lambda(t_next) - lambda(t), h_eta = (1 + eta) h:

        x <- sigma'/sigma e^(-eta h) x + alpha' phi_1 D + sigma' sqrt(1 - e^(-2 eta h)) z,
        phi_1 = 1 - e^(-h_eta),

    eta = 0 is the probability-flow ODE, eta = 1 the reverse SDE (Eq. 5); every eta in between
    has the same marginals. D is x0_hat (order 1, the first step), with the second-order multistep
    term phi_1 (x0_hat - x0_prev) / (2 r) (order 2, Lu et al.'s midpoint form), or with the
    third-order term phi_2 d1 - phi_3 d2 from the last three x0_hat (order 3), r = h_prev / h.
    """
    if order not in (1, 2, 3):
        raise ValueError(f"order must be 1, 2 or 3, got {order}")
    history = []  # (x0_hat, h) of earlier steps, newest last
    for i in range(len(times) - 1):
        t, t_next = (torch.full((1,), float(v), device=x.device) for v in times[i:i + 2])
        sigma = expand_like(sde.sigma(t), x)
        alpha_n, sigma_n = expand_like(sde.alpha(t_next), x), expand_like(sde.sigma(t_next), x)
        h = float(sde.log_snr(times[i + 1]) - sde.log_snr(times[i]))
        h_eta = (1 + eta) * h
        phi_1 = -math.expm1(-h_eta)
        x0 = sde.denoised_from_score(x, t, score_fn(x, t))
        x_next = sigma_n / sigma * math.exp(-eta * h) * x + alpha_n * phi_1 * x0
        used = min(order - 1, len(history))
        if used >= 1:
            d1 = (x0 - history[-1][0]) * (h / history[-1][1])
        if used == 1:
            x_next = x_next + alpha_n * (0.5 * phi_1) * d1
        elif used == 2:
            r0, r1 = history[-1][1] / h, history[-2][1] / h
            d1_prev = (history[-1][0] - history[-2][0]) / r1
            phi_2 = 1 - phi_1 / h_eta
            phi_3 = phi_2 / h_eta - 0.5
            d2 = (d1 - d1_prev) / (r0 + r1)
            x_next = x_next + alpha_n * (phi_2 * (d1 + d2 * r0) - phi_3 * d2)
        if eta > 0 and i < len(times) - 2:
            noise = torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            x_next = x_next + sigma_n * math.sqrt(-math.expm1(-2 * eta * h)) * noise
        history = (history + [(x0, h)])[-2:]
        x = _after_step(x_next, i, t_next[0], sde, imputation, generator, callback)
    return _finish(x, imputation)


def _dpm_solver_2m(score_fn, sde, x, times, **kwargs):
    return dpm_solver(score_fn, sde, x, times, order=2, eta=0.0, **kwargs)


def _sde_dpm_solver_2m(score_fn, sde, x, times, **kwargs):
    return dpm_solver(score_fn, sde, x, times, order=2, eta=1.0, **kwargs)


def _sde_dpm_solver_3m(score_fn, sde, x, times, **kwargs):
    """Third order on the reverse SDE (eta = 1): in benchmarks/sampling.py the most accurate few-step
    setting, with the spread of its hypotheses closest to Alg. 1's (eta = 0.6 and 0.8 widen it)."""
    return dpm_solver(score_fn, sde, x, times, order=3, eta=1.0, **kwargs)


def _predictor_corrector(score_fn, sde, x, times, **kwargs):
    return euler_maruyama(score_fn, sde, x, times, corrector_steps=1, **kwargs)


# The solvers of the reverse-time SDE / probability-flow ODE: name -> (function, network evaluations per step)
SOLVERS = {
    "em": (euler_maruyama, 1),
    "pc": (_predictor_corrector, 2),
    "ode-heun": (probability_flow_heun, 2),
    "dpm2m": (_dpm_solver_2m, 1),
    "sde-dpm2m": (_sde_dpm_solver_2m, 1),
    "sde-dpm3m": (_sde_dpm_solver_3m, 1),
}


def get_solver(name: str):
    """The solver function registered under `name` (see SOLVERS)."""
    try:
        return SOLVERS[name][0]
    except KeyError:
        raise ValueError(f"unknown sampler {name!r}; expected one of {', '.join(SOLVERS)}") from None
