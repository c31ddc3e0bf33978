"""Denoising score matching under the subVP SDE (Eq. 6, 10, 11)."""

import torch

T_MIN_TRAIN = 1e-5  # t ~ U(T_MIN_TRAIN, 1): sigma(0) = 0 would make the score target singular


def dsm_loss(net, sde, x0, cond, t, z) -> torch.Tensor:
    """Mean over the batch of ||sigma(t) s(x(t), t | c) + z||^2 summed over coordinates (Eq. 10).

    With lambda(t) = sigma(t)^2 and the score parametrised as net / sigma (gfpose.score), the
    weighted loss is ||net(x(t), t | c) + z||^2 with x(t) = alpha(t) x0 + sigma(t) z (Eq. 11).
    """
    out = net(sde.perturb(x0, t, z), t, cond.values, cond.keep, cond.is_3d)
    return (out.float() + z).pow(2).reshape(x0.shape[0], -1).sum(dim=1).mean()
