"""S hypotheses for every frame of a take, each frame warm-started from the one before.

Consecutive video frames show nearly the same pose, so a frame's hypotheses need not be drawn from
the prior at T = 1 (the sampler's full run, 25 network evaluations). The take is cut into chains of
at most ``chain_frames`` consecutive frames; a chain's first frame gets the full run, and every later
frame starts from the previous frame's S hypotheses perturbed to the noise level
``start_noise_mm`` (Eq. 9) and drawn back under its own 2D in ``steps`` sampler steps
(gfpose.tasks.propagate_request, SDEdit along time). Hypothesis s of a frame is then a sample near
hypothesis s of the frame before: the S hypotheses become S tracks. The reverse SDE from x(t0)
samples p(x(0) | x(t0), 2D); with one step it returns about its mean (Tweedie).

All chains advance together, one batched call per position in the chain, so a take of T frames
costs T / chain_frames full runs plus (T - T / chain_frames) x steps evaluations per hypothesis.
A chain breaks at a frame whose predecessor has no person. Measured in docs/RESULTS.md: accuracy
in Sequences (benchmarks/sequences/evaluate_sequences.py, the warm-started path row); speed
(benchmarks/footage/lift_speed.py) and how the chain length and start noise were chosen in Real footage.

Another estimator's answer can be the start instead (``hypotheses_from_starts``): each frame's one 3D
pose, e.g. the detector's own 3D (mediapipe's world landmarks), perturbed to ``start_noise_mm`` and
drawn back under the frame's 2D in a full sampler run from that time. The prior then corrects the
start where the 2D and the learned poses disagree with it, and keeps what both support.
"""

from dataclasses import dataclass

import numpy as np
import torch

from gfpose.errors import InputError
from gfpose.seeding import derived_seed
from gfpose.tasks import estimate_request, propagate_request

# The noise a detector-3D start is perturbed to (t0 about 0.3 under the shipped models' SDE): chosen on
# the one-person footage clip, checked on the two-person one (docs/RESULTS.md, Real footage).
DETECTOR_START_NOISE_MM = 60.0


@dataclass(frozen=True)
class Propagation:
    """Chains of warm-started frames: their length, the start's noise level and the sampler steps."""

    chain_frames: int = 12
    start_noise_mm: float = 48.0
    steps: int = 1

    def __post_init__(self):
        if int(self.chain_frames) != self.chain_frames or self.chain_frames < 1:
            raise InputError(f"chain_frames must be a positive integer, got {self.chain_frames!r}")
        if not self.start_noise_mm > 0:
            raise InputError(f"start_noise_mm must be positive, got {self.start_noise_mm!r}")
        if int(self.steps) != self.steps or self.steps < 1:
            raise InputError(f"steps must be a positive integer, got {self.steps!r}")


def chain_positions(frame_index: np.ndarray, chain_frames: int) -> np.ndarray:
    """(T,) position of each frame in its chain (0 = a full run) for frames at increasing indices
    ``frame_index``: chains hold at most ``chain_frames`` frames and break where an index is skipped."""
    positions = np.zeros(len(frame_index), dtype=np.int64)
    for i in range(1, len(frame_index)):
        follows = frame_index[i] == frame_index[i - 1] + 1 and positions[i - 1] + 1 < chain_frames
        positions[i] = positions[i - 1] + 1 if follows else 0
    return positions


def propagate_hypotheses(sampler, keypoints_px: torch.Tensor, image_size: torch.Tensor, hypotheses: int,
                         propagation: Propagation = Propagation(), seed: int = 0,
                         frame_index: np.ndarray | None = None) -> torch.Tensor:
    """(T, S, J, 3) mm root-relative hypotheses of a 2D track (T, J, 2) px in images (T, 2).

    frame_index: the frames' indices in the take (default 0..T-1); a gap starts a new chain.
    Positions 0 are drawn as ``sampler.run`` draws them with ``seed``; position p from its own
    stream (seed, p)."""
    frames = len(keypoints_px)
    index = np.arange(frames) if frame_index is None else np.asarray(frame_index)
    positions = chain_positions(index, propagation.chain_frames)
    t_start = sampler.start_time_for_noise(propagation.start_noise_mm)
    warm = sampler.with_settings(steps=propagation.steps)
    out = torch.empty(frames, hypotheses, keypoints_px.shape[1], 3)
    for position in range(positions.max() + 1):
        rows = torch.from_numpy(np.flatnonzero(positions == position))
        if position == 0:
            out[rows] = sampler.run(estimate_request(keypoints_px[rows], image_size[rows], hypotheses), seed)
        else:
            request = propagate_request(keypoints_px[rows], image_size[rows], out[rows - 1], t_start)
            out[rows] = warm.run(request, derived_seed(seed, position))
    return out


def hypotheses_from_starts(sampler, keypoints_px: torch.Tensor, image_size: torch.Tensor, hypotheses: int,
                           starts_mm: torch.Tensor, start_noise_mm: float = DETECTOR_START_NOISE_MM,
                           seed: int = 0) -> torch.Tensor:
    """(T, S, J, 3) mm: every frame's S hypotheses drawn under its 2D (T, J, 2) px from its own start
    pose (T, J, 3) mm (root-relative, camera axes), perturbed to ``start_noise_mm`` (Eq. 9; SDEdit)."""
    if not start_noise_mm > 0:
        raise InputError(f"start_noise_mm must be positive, got {start_noise_mm!r}")
    starts = starts_mm[:, None].expand(-1, hypotheses, -1, -1)
    request = propagate_request(keypoints_px, image_size, starts, sampler.start_time_for_noise(start_noise_mm))
    return sampler.run(request, seed)
