"""Draw a request (gfpose.tasks) for a window of T frames in one batch, so the frames can be coupled:
temporal guidance on the score (gfpose.sequences.guidance) and correlated starts (gfpose.sequences.noise),
as a `Coupling` of the one sampling driver, `Sampler.run`.

Rows are frame-major: S tracks per frame, like Sampler.run. Without guidance and with independent
starts this draws what Sampler.run draws for one chunk.
"""

from functools import partial

import torch

from gfpose.sequences.guidance import TemporalGuidance
from gfpose.sequences.noise import correlated_normal
from gfpose.tasks import Coupling


def draw_window(sampler, request, seed: int = 0, guidance: TemporalGuidance | None = None,
                noise_correlation: float = 0.0, stop_noise_mm: float | None = None) -> torch.Tensor:
    """(T, S, J, 3) mm root-relative: the request's T inputs as frames of one window, S tracks each.

    stop_noise_mm: stop the reverse process where its noise is this large (Sampler.start_time_for_noise)
    and return the denoised estimate there, E[x(0) | x(t), c] (Tweedie): the mean over the detail
    finer than that noise, instead of one sample of it. A start at or below that noise (denoising)
    returns the denoised estimate of the start, like request.method 'mean'."""
    start_noise = partial(_correlated_start, noise_correlation) if noise_correlation else None
    coupling = Coupling(None if guidance is None else guidance.wrap, start_noise, stop_noise_mm)
    return sampler.run(request, seed, coupling)


def _correlated_start(correlation: float, shape, generator) -> torch.Tensor:
    return correlated_normal(shape, correlation, generator)
