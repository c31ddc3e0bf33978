"""The sub-variance-preserving SDE of the paper (App. A, Eq. 7-9); no neural network here.

    dx = -1/2 beta(t) x dt + sqrt(beta(t) (1 - exp(-2 B(t)))) dw,   B(t) = int_0^t beta(s) ds,
    beta(t) = beta_min + t (beta_max - beta_min)                                  (Eq. 8)

Its perturbation kernel is Gaussian (Eq. 9): x(t) = alpha(t) x(0) + sigma(t) z with
alpha(t) = exp(-B/2) and sigma(t) = 1 - exp(-B). The samplers only use the methods below,
so any SDE with the same interface (a Gaussian kernel with affine drift) plugs in.
"""

import math

import torch

EPS = 1e-3  # sampling end time (App. D)


class SubVPSDE:
    """subVP SDE on t in [0, 1] with a linear beta schedule (Eq. 7-8)."""

    def __init__(self, beta_min: float = 0.1, beta_max: float = 20.0):
        if not 0 < beta_min < beta_max:
            raise ValueError(f"need 0 < beta_min < beta_max, got {beta_min}, {beta_max}")
        self.beta_min = float(beta_min)
        self.beta_max = float(beta_max)

    def beta(self, t: torch.Tensor) -> torch.Tensor:
        """beta(t) of Eq. 8."""
        return self.beta_min + t * (self.beta_max - self.beta_min)

    def integral_beta(self, t: torch.Tensor) -> torch.Tensor:
        """B(t) = int_0^t beta(s) ds."""
        return self.beta_min * t + 0.5 * (self.beta_max - self.beta_min) * t**2

    def drift(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """f(x, t) = -1/2 beta(t) x; t broadcasts over the leading (batch) dimension of x."""
        return -0.5 * expand_like(self.beta(t), x) * x

    def diffusion(self, t: torch.Tensor) -> torch.Tensor:
        """g(t) = sqrt(beta(t) (1 - exp(-2 B(t)))) of Eq. 7."""
        return torch.sqrt(self.beta(t) * -torch.expm1(-2.0 * self.integral_beta(t)))

    def alpha(self, t: torch.Tensor) -> torch.Tensor:
        """Mean coefficient of the perturbation kernel, exp(-B(t)/2) (Eq. 9)."""
        return torch.exp(-0.5 * self.integral_beta(t))

    def sigma(self, t: torch.Tensor) -> torch.Tensor:
        """Standard deviation of the perturbation kernel, 1 - exp(-B(t)) (Eq. 9)."""
        return -torch.expm1(-self.integral_beta(t))

    def perturb(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """x(t) = alpha(t) x(0) + sigma(t) z (Eq. 11)."""
        return expand_like(self.alpha(t), x0) * x0 + expand_like(self.sigma(t), x0) * noise

    def log_snr(self, t: torch.Tensor) -> torch.Tensor:
        """lambda(t) = log(alpha(t) / sigma(t)), decreasing in t (used by exponential integrators)."""
        return torch.log(self.alpha(t)) - torch.log(self.sigma(t))

    def t_from_log_snr(self, lam: torch.Tensor) -> torch.Tensor:
        """Inverse of log_snr: with s = alpha = exp(-B/2), s / (1 - s^2) = e^lambda is a quadratic in s."""
        e = torch.exp(lam)
        s = (torch.sqrt(1 + 4 * e**2) - 1) / (2 * e)
        big_b = -2 * torch.log(s)
        a = 0.5 * (self.beta_max - self.beta_min)
        return (-self.beta_min + torch.sqrt(self.beta_min**2 + 4 * a * big_b)) / (2 * a)

    def denoised_from_score(self, x: torch.Tensor, t: torch.Tensor, score: torch.Tensor) -> torch.Tensor:
        """Tweedie's formula for the Gaussian kernel of Eq. 9: E[x(0) | x(t) = x] = (x + sigma^2 s) / alpha."""
        return (x + expand_like(self.sigma(t), x) ** 2 * score) / expand_like(self.alpha(t), x)

    def t_for_noise(self, noise: float) -> float:
        """The time whose kernel noise matches Gaussian noise of std `noise` (model units) added to a
        clean pose: sigma(t) / alpha(t) = noise, i.e. log-SNR = -log(noise) (Eq. 9), so the noisy
        pose scaled by alpha(t) is distributed like x(t). Kept within [2 EPS, 1]."""
        lam = -math.log(max(noise, 1e-9))
        t = float(self.t_from_log_snr(torch.tensor(lam, dtype=torch.float64)))
        return min(max(t, 2 * EPS), 1.0)

    def prior_sample(self, shape, generator=None, device=None, dtype=torch.float32) -> torch.Tensor:
        """x(T) ~ N(0, I), the prior of Alg. 1 line 4."""
        return torch.randn(shape, generator=generator, device=device, dtype=dtype)

    def __repr__(self):
        return f"SubVPSDE(beta_min={self.beta_min}, beta_max={self.beta_max})"

def expand_like(coeff: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape a per-sample coefficient (B,) or scalar to broadcast against (B, ...)."""
    coeff = torch.as_tensor(coeff, dtype=like.dtype, device=like.device)
    return coeff.reshape(coeff.shape + (1,) * (like.dim() - coeff.dim()))

