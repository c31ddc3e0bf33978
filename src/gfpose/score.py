"""Where the network, the SDE and the condition meet: a score function s(x, t) for the samplers.

The network predicts -z, the negated noise of Eq. 11, so the score is its output divided by
sigma(t); with lambda(t) = sigma(t)^2 the loss of Eq. 10 is then ||output + z||^2.
"""

from dataclasses import dataclass

import torch

from gfpose.sde import expand_like


@dataclass
class Condition:
    """A batch of conditions in model units: values (B, J, 3), keep (B, J) bool, is_3d (B,) bool."""

    values: torch.Tensor
    keep: torch.Tensor
    is_3d: torch.Tensor

    @classmethod
    def empty(cls, batch: int, num_joints: int, device=None, dtype=torch.float32) -> "Condition":
        """The fully masked condition (the unconditional prior p(x | empty))."""
        return cls(torch.zeros(batch, num_joints, 3, device=device, dtype=dtype),
                   torch.zeros(batch, num_joints, dtype=torch.bool, device=device),
                   torch.zeros(batch, dtype=torch.bool, device=device))

    def repeat_interleave(self, repeats: int) -> "Condition":
        """Each condition repeated for `repeats` hypotheses, (B, ...) -> (B * repeats, ...)."""
        return Condition(*(v.repeat_interleave(repeats, dim=0) for v in (self.values, self.keep, self.is_3d)))

    def __getitem__(self, index) -> "Condition":
        return Condition(self.values[index], self.keep[index], self.is_3d[index])

    def __len__(self) -> int:
        return self.values.shape[0]


def network_score_fn(net, sde, cond: Condition, dtype: torch.dtype = torch.float32):
    """s(x, t) = net(x, t | c) / sigma(t); t is (B,) or (1,), one time shared by the batch.

    `dtype` is the precision of the network's weights (e.g. bfloat16 for a copy made with
    net.to(torch.bfloat16)): x and the condition are cast to it for the call, and the output back,
    so the SDE arithmetic around the network stays in the dtype of x.
    """
    values = cond.values.to(dtype)

    def score(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
        out = net(x.to(dtype), t, values, cond.keep, cond.is_3d)
        return out.to(x.dtype) / expand_like(sde.sigma(t), x)
    return score
