"""Temporal guidance: a window of frames sampled jointly, each frame's score corrected so that its
denoised estimate moves along a smooth track.

At each sampler call the frames' scores s give the denoised estimates (Tweedie, Eq. 9)
x0 = (x + sigma^2 s) / alpha. Their uncertainty is that of x(0) given x(t): for a Gaussian pose
distribution of per-coordinate std v, tau^2 = 1 / (1 / v^2 + alpha^2 / sigma^2). The guided estimate
x0' is the MAP track of {x0 ~ N(x0', tau^2), optional observations y ~ N(x0', obs^2), a Gaussian prior
on x0's time differences} (gfpose.sequences.smoothing), and the score returned is the one whose
Tweedie estimate is x0':  s' = s + alpha / sigma^2 (x0' - x0).  Early (tau large) the prior
dominates and the frames move together; at the end (tau -> 0) each frame's own score does, so the
2D condition and the pose prior have the last word.
"""

import numpy as np
import torch

from gfpose.errors import InputError
from gfpose.sde import expand_like
from gfpose.sequences.damage import DEFAULT_NOISE_MM
from gfpose.sequences.smoothing import TemporalPrior

POSE_STD_MM = 200.0  # per-coordinate spread of root-relative poses: caps tau at large t


class TemporalGuidance:
    """Wraps a score function of T x S rows (T frames, S tracks, frame-major) with temporal guidance.

    observed_mm: optional (T, J, 3) mm observations (NaN = none) of every track, with noise std
    observation_mm per coordinate (module docstring).
    """

    def __init__(self, sde, data_scale: float, frames: int, prior: TemporalPrior,
                 observed_mm: torch.Tensor | None = None, observation_mm: float = DEFAULT_NOISE_MM):
        self.sde, self.frames, self.prior = sde, frames, prior
        self.mm_per_unit = 1000.0 / data_scale
        self.observed, self.observation_weight = None, 0.0
        if observed_mm is not None:
            if observed_mm.shape[0] != frames:
                raise InputError(f"observations cover {observed_mm.shape[0]} frames, the window {frames}")
            self.observed = observed_mm.double().cpu().numpy().reshape(frames, -1)
            self.observation_weight = observation_mm ** -2

    def estimate_weight(self, t: torch.Tensor) -> float:
        """1 / tau^2 (1/mm^2): the precision of the denoised estimate at time t."""
        noise_mm = float(self.sde.sigma(t) / self.sde.alpha(t)) * self.mm_per_unit
        return POSE_STD_MM ** -2 + noise_mm ** -2

    def guide(self, x0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """The guided denoised estimate x0' of rows (T * S, J, 3) in model units."""
        shape = x0.shape
        values = x0.double().cpu().numpy().reshape(self.frames, -1, shape[-2] * shape[-1]) * self.mm_per_unit
        weights = np.full(values.shape, self.estimate_weight(t))
        if self.observed is not None:
            seen = np.isfinite(self.observed)[:, None] * self.observation_weight
            values = (weights * values + seen * np.nan_to_num(self.observed)[:, None]) / (weights + seen)
            weights = weights + seen
        guided = self.prior.smooth(values.reshape(self.frames, -1), weights.reshape(self.frames, -1))
        return torch.from_numpy(guided / self.mm_per_unit).to(x0).reshape(shape)

    def wrap(self, score_fn):
        """s'(x, t) = s + alpha / sigma^2 (x0' - x0) (module docstring)."""
        def guided(x, t):
            score = score_fn(x, t)
            x0 = self.sde.denoised_from_score(x, t, score)
            shift = self.guide(x0, t) - x0
            return score + expand_like(self.sde.alpha(t) / self.sde.sigma(t) ** 2, x) * shift
        return guided
