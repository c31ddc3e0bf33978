"""What the network's output means: the one place that turns it into a score, a denoised pose and a
training loss (in the spirit of k-diffusion's denoiser wrappers and EDM's preconditioning classes).

The paper's parametrisation, "noise" (Eq. 10-11): the network predicts -z, the negated noise of
x(t) = alpha(t) x(0) + sigma(t) z, so

    score     s(x, t | c) = out / sigma(t)
    denoised  E[x(0) | x(t)] = (x + sigma^2 s) / alpha          (Tweedie, SubVPSDE.denoised_from_score)
    loss      lambda(t) ||s + z / sigma||^2 with lambda = sigma^2, i.e. ||out + z||^2  (Eq. 10)

The "edm" preconditioning (Karras et al. 2022, Table 1) on the subVP kernel: x / alpha = x(0) + s n
with the noise level s = sigma / alpha, so with the data's std d per coordinate

    D(x, t) = c_skip x / alpha + c_out F(c_in x),  c_skip = d^2 / (s^2 + d^2),
              c_out = s d / sqrt(s^2 + d^2),  c_in = 1 / (alpha sqrt(s^2 + d^2))
    score   = (alpha D - x) / sigma^2                                   (Tweedie, inverted)
    loss    = ||D - x(0)||^2 / c_out^2 = ||F - (x(0) - c_skip x / alpha) / c_out||^2

The network sees inputs and targets of unit variance at every t and predicts x(0) itself at high
noise, where -z / alpha amplifies its error. Its weight 1/c_out^2 = 1/s^2 + 1/d^2 is the paper's
(sigma^2 ||s + z/sigma||^2 = ||D - x(0)||^2 / s^2) plus a constant. Both give an exact score of the
same SDE, so every sampler holds.

Samplers see only `score_fn`; the trainer only `loss`; the posterior-mean denoiser only `denoised`. A
model file's config names its parametrisation (model.preconditioning), so `ScoreModel.for_config` rebuilds
the wrapper the weights were trained in.
"""

from abc import ABC, abstractmethod

import torch

from gfpose.conditions import Condition
from gfpose.sde import SubVPSDE, expand_like

T_MIN_TRAIN = 1e-5  # t ~ U(T_MIN_TRAIN, 1): sigma(0) = 0 would make the score target singular


class ScoreModel(ABC):
    """A network (any callable net(x, t, values, keep, is_3d)) with its SDE, read through one of the
    parametrisations below (the model file's config names it: `for_config`).

    `dtype` is the precision of the network's weights (bfloat16 for a copy made with
    net.to(torch.bfloat16)): x and the condition are cast to it for the call and the output back,
    so the SDE arithmetic around the network stays in the dtype of x.
    """

    def __init__(self, net, sde, dtype: torch.dtype = torch.float32):
        self.net, self.sde, self.dtype = net, sde, dtype

    @staticmethod
    def for_config(net, model_config, dtype: torch.dtype = torch.float32, sde=None) -> "ScoreModel":
        """The parametrisation a gfpose.config.ModelConfig names, with its SDE unless `sde` is given."""
        sde = sde or SubVPSDE(model_config.beta_min, model_config.beta_max)
        if model_config.preconditioning == "edm":
            return EDMPreconditioning(net, sde, dtype, model_config.sigma_data)
        return NoisePrediction(net, sde, dtype)

    @abstractmethod
    def score(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        """s(x, t | c) for x (B, J, 3) at t (B,) or (1,) shared by the batch."""

    @abstractmethod
    def _output_and_target(self, x0, xt, t, t_rows, z, cond, t_index):
        """The network's output for x(t) = xt and what it is trained to output (the loss's two sides)."""

    def loss(self, x0: torch.Tensor, cond: Condition, t: torch.Tensor, z: torch.Tensor,
             t_index: torch.Tensor | None = None) -> torch.Tensor:
        """Mean over the batch of sigma(t)^2 ||s(x(t), t | c) + z / sigma(t)||^2 summed over
        coordinates (Eq. 10), with x(t) = alpha x0 + sigma z (Eq. 11), up to the weight each
        parametrisation gives. t is (B,), or (K,) distinct times with t_index (B,) giving each row's
        (gfpose.network)."""
        t_rows = t if t_index is None else t[t_index]
        out, target = self._output_and_target(x0, self.sde.perturb(x0, t_rows, z), t, t_rows, z, cond, t_index)
        return (out.float() - target).pow(2).reshape(x0.shape[0], -1).sum(dim=1).mean()

    def denoised(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        """The posterior mean E[x(0) | x(t) = x, c]: one network evaluation."""
        t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
        return self.sde.denoised_from_score(x, t, self.score(x, t, cond))

    def score_fn(self, cond: Condition):
        """s(x, t) for the samplers (gfpose.sampling), the condition bound."""
        return lambda x, t: self.score(x, t, cond)

    def _call(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        """The raw network output for x in the network's dtype, returned in x's."""
        out = self.net(x.to(self.dtype), t, cond.values.to(self.dtype), cond.keep, cond.is_3d)
        return out.to(x.dtype)


class NoisePrediction(ScoreModel):
    """The paper's parametrisation (Eq. 10-11): the network predicts -z, the score is out / sigma(t)."""

    def score(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
        return self._call(x, t, cond) / expand_like(self.sde.sigma(t), x)

    def _output_and_target(self, x0, xt, t, t_rows, z, cond, t_index):
        """||out + z||^2: the paper's loss with lambda = sigma^2."""
        return self.net(xt, t, cond.values, cond.keep, cond.is_3d, t_index), -z


class EDMPreconditioning(ScoreModel):
    """The EDM preconditioning (Karras et al. 2022, Table 1) with the data's std per coordinate
    `sigma_data` in model units (module docstring)."""

    def __init__(self, net, sde, dtype: torch.dtype = torch.float32, sigma_data: float = 2.6):
        super().__init__(net, sde, dtype)
        self.sigma_data = sigma_data

    def score(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        """(alpha D - x) / sigma^2 with the c's substituted, = (d F / s - x / (alpha n)) / (alpha n)
        with n = sqrt(s^2 + d^2): no difference of near-equal terms at small t."""
        t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
        alpha, level, norm = self._terms(t, x)
        out = self._call(x / (alpha * norm), t, cond)
        return (self.sigma_data * out / level - x / (alpha * norm)) / (alpha * norm)

    def _output_and_target(self, x0, xt, t, t_rows, z, cond, t_index):
        """The target (x0 - c_skip x / alpha) / c_out, simplified with x / alpha = x0 + s z."""
        alpha, level, norm = self._terms(t_rows, x0)
        out = self.net(xt / (alpha * norm), t, cond.values, cond.keep, cond.is_3d, t_index)
        return out, (level * x0 / self.sigma_data - self.sigma_data * z) / norm

    def _terms(self, t: torch.Tensor, like: torch.Tensor):
        """alpha, the noise level s = sigma / alpha and sqrt(s^2 + d^2) at t (rows), shaped like `like`."""
        alpha, sigma = self.sde.alpha(t), self.sde.sigma(t)
        level = sigma / alpha
        norm = torch.sqrt(level**2 + self.sigma_data**2)
        return expand_like(alpha, like), expand_like(level, like), expand_like(norm, like)
