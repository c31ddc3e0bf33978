"""Damage to a clean mocap take, for the cleaning benchmark: Gaussian jitter on every coordinate
and gaps where one limb (arm or leg, gfpose.skeleton.BODY_PARTS) is missing for several frames."""

from dataclasses import dataclass

import numpy as np

from gfpose.errors import InputError
from gfpose.skeleton import BODY_PARTS

LIMBS = tuple(part for part in BODY_PARTS if part != "torso")
# Mocap jitter, std per coordinate (mm): this damage's default, and what cleaning assumes of a take
# whose noise is not given.
DEFAULT_NOISE_MM = 20.0


@dataclass(frozen=True)
class MocapDamage:
    """N(0, noise_mm^2) jitter per coordinate, and a gap of `gap_frames` frames of one random limb
    starting every `gap_every` frames (from a random offset)."""

    noise_mm: float = DEFAULT_NOISE_MM
    gap_frames: int = 10
    gap_every: int = 30

    def __post_init__(self):
        if self.noise_mm < 0 or self.gap_frames < 0 or self.gap_every <= self.gap_frames:
            raise InputError(f"damage: need noise_mm >= 0, gap_frames >= 0 and gap_every > gap_frames, got {self}")

    def apply(self, track: np.ndarray, seed: int = 0) -> np.ndarray:
        """A damaged copy of a (T, 17, 3) mm track: jitter, NaN in the gaps (the root never jitters:
        tracks are root-relative)."""
        rng = np.random.default_rng(seed)
        damaged = track + rng.normal(0.0, self.noise_mm, track.shape)
        damaged[:, 0] = track[:, 0]
        if self.gap_frames:
            for start in range(int(rng.integers(self.gap_every)), len(track), self.gap_every):
                limb = BODY_PARTS[LIMBS[rng.integers(len(LIMBS))]]
                damaged[start:start + self.gap_frames, list(limb)] = np.nan
        return damaged
