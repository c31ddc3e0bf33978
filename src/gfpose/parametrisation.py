"""What the network's output means: the one place that turns it into a score, a denoised pose and a
training loss (in the spirit of k-diffusion's denoiser wrappers and EDM's preconditioning classes).

The paper's parametrisation (Eq. 10-11): the network predicts -z, the negated noise of
x(t) = alpha(t) x(0) + sigma(t) z, so

    score     s(x, t | c) = out / sigma(t)
    denoised  E[x(0) | x(t)] = (x + sigma^2 s) / alpha          (Tweedie, SubVPSDE.denoised_from_score)
    loss      lambda(t) ||s + z / sigma||^2 with lambda = sigma^2, i.e. ||out + z||^2  (Eq. 10)

Samplers see only `score_fn`; the trainer only `loss`; the posterior-mean denoiser only `denoised`.
"""

import torch

from gfpose.conditions import Condition
from gfpose.sde import expand_like

T_MIN_TRAIN = 1e-5  # t ~ U(T_MIN_TRAIN, 1): sigma(0) = 0 would make the score target singular


class ScoreModel:
    """A network (any callable net(x, t, values, keep, is_3d)) with its SDE.

    `dtype` is the precision of the network's weights (bfloat16 for a copy made with
    net.to(torch.bfloat16)): x and the condition are cast to it for the call and the output back,
    so the SDE arithmetic around the network stays in the dtype of x.
    """

    def __init__(self, net, sde, dtype: torch.dtype = torch.float32):
        self.net, self.sde, self.dtype = net, sde, dtype

    def output(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        """The raw network output for x (B, J, 3) at t (B,) or (1,) shared by the batch."""
        t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
        out = self.net(x.to(self.dtype), t, cond.values.to(self.dtype), cond.keep, cond.is_3d)
        return out.to(x.dtype)

    def score(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        """s(x, t | c) = out / sigma(t)."""
        t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
        return self.output(x, t, cond) / expand_like(self.sde.sigma(t), x)

    def denoised(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        """The posterior mean E[x(0) | x(t) = x, c]: one network evaluation."""
        t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
        return self.sde.denoised_from_score(x, t, self.score(x, t, cond))

    def score_fn(self, cond: Condition):
        """s(x, t) for the samplers (gfpose.sampling), the condition bound."""
        return lambda x, t: self.score(x, t, cond)

    def loss(self, x0: torch.Tensor, cond: Condition, t: torch.Tensor, z: torch.Tensor,
             t_index: torch.Tensor | None = None) -> torch.Tensor:
        """Mean over the batch of sigma(t)^2 ||s(x(t), t | c) + z / sigma(t)||^2 summed over
        coordinates (Eq. 10), with x(t) = alpha x0 + sigma z (Eq. 11): ||out + z||^2 here.
        t is (B,), or (K,) distinct times with t_index (B,) giving each row's (gfpose.network)."""
        t_rows = t if t_index is None else t[t_index]
        out = self.net(self.sde.perturb(x0, t_rows, z), t, cond.values, cond.keep, cond.is_3d, t_index)
        return (out.float() + z).pow(2).reshape(x0.shape[0], -1).sum(dim=1).mean()
