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

With feet at rest (FeetAtRest: the contacts and root path of a take placed in the world), the MAP
track also holds every contacting ankle still in the world: a term (a[t+1] - a[t] + r[t+1] - r[t])^2
/ contact_mm^2 per coordinate for each foot in contact at t and t + 1 (a the root-relative ankle, r
the root), so the sampler prefers poses whose feet stay put (issue 30, feet that stay put).
"""

from dataclasses import dataclass

import numpy as np
import torch

from gfpose.errors import InputError
from gfpose.sde import expand_like
from gfpose.sequences.contacts import FEET
from gfpose.sequences.damage import DEFAULT_NOISE_MM
from gfpose.sequences.smoothing import TemporalPrior

POSE_STD_MM = 200.0  # per-coordinate spread of root-relative poses: caps tau at large t


@dataclass(frozen=True)
class FeetAtRest:
    """Feet held still in the world while in contact: contacts (T, 2) bool (gfpose.sequences.contacts.FEET
    order), the root path root_mm (T, 3) in the frame of the sampled root-relative poses, and the std
    contact_mm (mm per coordinate) of a contacting ankle's step in the world."""

    contacts: np.ndarray
    root_mm: np.ndarray
    contact_mm: float = 1.0

    def __post_init__(self):
        frames = len(self.contacts)
        if np.shape(self.contacts) != (frames, 2) or np.shape(self.root_mm) != (frames, 3):
            raise InputError(f"feet at rest: contacts (T, 2) and root_mm (T, 3) expected, got "
                             f"{np.shape(self.contacts)} and {np.shape(self.root_mm)}")
        if not np.isfinite(self.root_mm).all() or not self.contact_mm > 0:
            raise InputError("feet at rest: root_mm must be finite and contact_mm > 0")

    def terms(self, tracks: int, joints: int) -> tuple[np.ndarray, np.ndarray]:
        """Rest weights and offsets (T - 1, tracks * joints * 3) of the smoother's columns (frame-major
        rows of `tracks` poses): the root's step d = r[t+1] - r[t] on the ankles' coordinates of the
        frame pairs where the foot is in contact at both."""
        contacts = np.asarray(self.contacts, dtype=bool)
        weights, offsets = np.zeros((len(contacts) - 1, joints, 3)), np.zeros((len(contacts) - 1, joints, 3))
        step = np.diff(np.asarray(self.root_mm, dtype=np.float64), axis=0)
        for foot, joint in enumerate(FEET):
            held = contacts[1:, foot] & contacts[:-1, foot]
            weights[held, joint] = self.contact_mm ** -2
            offsets[:, joint] = step
        return (np.tile(weights.reshape(len(weights), -1), (1, tracks)),
                np.tile(offsets.reshape(len(offsets), -1), (1, tracks)))


class TemporalGuidance:
    """Wraps a score function of T x S rows (T frames, S tracks, frame-major) with temporal guidance.

    observed_mm: optional (T, J, 3) mm observations (NaN = none) of every track, with noise std
    observation_mm per coordinate; feet: optional FeetAtRest (module docstring).
    """

    def __init__(self, sde, data_scale: float, frames: int, prior: TemporalPrior,
                 observed_mm: torch.Tensor | None = None, observation_mm: float = DEFAULT_NOISE_MM,
                 feet: FeetAtRest | None = None):
        self.sde, self.frames, self.prior, self.feet = sde, frames, prior, feet
        if feet is not None and len(feet.contacts) != frames:
            raise InputError(f"feet at rest cover {len(feet.contacts)} frames, the window {frames}")
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
        rest = (None, None) if self.feet is None else self.feet.terms(values.shape[1], shape[-2])
        guided = self.prior.smooth(values.reshape(self.frames, -1), weights.reshape(self.frames, -1), *rest)
        return torch.from_numpy(guided / self.mm_per_unit).to(x0).reshape(shape)

    def wrap(self, score_fn):
        """s'(x, t) = s + alpha / sigma^2 (x0' - x0) (module docstring)."""
        def guided(x, t):
            score = score_fn(x, t)
            x0 = self.sde.denoised_from_score(x, t, score)
            shift = self.guide(x0, t) - x0
            return score + expand_like(self.sde.alpha(t) / self.sde.sigma(t) ** 2, x) * shift
        return guided
