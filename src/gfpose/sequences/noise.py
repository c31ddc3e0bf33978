"""Correlated initial noise across frames: x(T) of frame t+1 = rho x(T) of frame t + sqrt(1 - rho^2) z,
a stationary AR(1) process along time with unit variance, so every frame still starts from the
prior N(0, I) of Alg. 1 (line 4) while neighbouring frames start close together. rho = 1 gives
every frame the same start; rho = 0 independent starts."""

import torch

from gfpose.errors import InputError


def correlated_normal(shape, correlation: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal draws of `shape` (T, ...), on the generator's device, whose first axis is an
    AR(1) process with lag-1 correlation `correlation` in [0, 1] (0: exactly torch.randn's draws)."""
    from scipy.signal import lfilter  # imported here: training needs no scipy (see gfpose.train)

    if not 0.0 <= correlation <= 1.0:
        raise InputError(f"noise correlation must be in [0, 1], got {correlation}")
    z = torch.randn(shape, generator=generator, device=generator.device if generator is not None else None)
    if correlation == 0.0:
        return z
    if correlation == 1.0:
        return z[:1].expand(shape).clone()
    gain = (1.0 - correlation ** 2) ** 0.5
    white = z.cpu().double().numpy()
    white[0] /= gain  # the filtered first frame is then exactly z[0]: the process starts stationary
    return torch.from_numpy(lfilter([gain], [1.0, -correlation], white, axis=0)).to(z)
