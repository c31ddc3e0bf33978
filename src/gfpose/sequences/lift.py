"""A take's 2D keypoints -> S hypotheses per frame (GFPose Sec. 5.3.1) and one coherent 3D track.

This is the one way gfpose lifts a take, whichever door it comes in by: ``PosePrior.lift_take``,
``gfpose lift`` (gfpose.media.lift, which adds files), ``gfpose estimate --sequence`` and the
footage benchmarks.

Hypotheses: the frames are lifted in chains of ``chain_frames`` frames (gfpose.sequences.propagate):
a chain's first frame is drawn from the prior at T = 1, each later frame warm-started from the frame
before in one network evaluation, about 7 times faster than drawing every frame from T = 1 and
smoother (docs/RESULTS.md, Real footage). A warm step returns about the posterior mean given the
perturbed predecessor, so warm-started hypotheses spread less than independent ones (``spread_mm``
is smaller); ``chain_frames=1`` draws every frame independently, the right choice for images that
need not show one motion.

Track: the coherent path through each frame's hypotheses (gfpose.sequences.methods.placed_path_through:
Viterbi on reprojection and motion costs, then smoothed under a temporal prior), placed in the camera
frame with its feet held still while they touch the ground (gfpose.sequences.contacts): the root path
(camera-frame mm) and the contacts come with it. Frames without a person (every keypoint missing)
stay NaN.

Camera and focal length. The model has no focal-length input: it learned 2D as its training camera
sees it (gfpose.data.cameras: a focal length of 1.145 x the image width, 47.2 degrees across,
principal point at the centre). For a camera of focal length ``focal_px`` the keypoints are
rescaled about the image centre to the rays the training camera would image
(``to_training_camera``). ``focal_px=None`` takes the training camera's. A wrong focal length
turns the pose by roughly the error in the ray angle (about 11 degrees at the edge of a 70-degree
image lifted with the default) and mis-scales its depth cues; Procrustes-aligned errors hide most
of it, root-aligned ones show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gfpose.data.cameras import to_training_camera, training_focal
from gfpose.data.keypoints import Keypoints2D
from gfpose.errors import InputError
from gfpose.geometry import root_center
from gfpose.sequences.contacts import PlacedTrack
from gfpose.sequences.methods import placed_path_through
from gfpose.sequences.paths import root_translation
from gfpose.sequences.propagate import (
    DETECTOR_START_NOISE_MM,
    Propagation,
    hypotheses_from_starts,
    propagate_hypotheses,
)
from gfpose.skeleton import NUM_JOINTS
from gfpose.tasks import estimate_request
from gfpose.validation import as_numbers, check_2d_input, check_count, check_poses_mm, check_seed, positive_scalar

DEFAULT_FPS = 30.0  # the frame rate of a take that does not say
CHAIN_FRAMES = Propagation().chain_frames  # the default for a video or keypoint track


@dataclass(frozen=True)
class TakeLift(PlacedTrack):
    """A lifted take: the placed track (PlacedTrack: the root-relative track (T, 17, 3) mm, its
    camera-frame root path (T, 3) mm and its feet's contacts (T, 2) bool, right and left), the
    hypotheses (T, S, 17, 3) mm, each frame's central answer (T, 17, 3) mm (central_take), spread_mm
    (T, 17), residual_mm (T,): how far the hypotheses' mean misses the 2D (placement_residual), the
    frames without a person (NaN in the arrays) and the focal length (T,) px the keypoints were read
    with."""

    hypotheses: np.ndarray
    central: np.ndarray
    spread_mm: np.ndarray
    residual_mm: np.ndarray
    missing_frames: np.ndarray
    focal_px: np.ndarray


def hypothesis_spread(hypotheses: np.ndarray) -> np.ndarray:
    """(T, S, 17, 3) -> (T, 17) RMS distance in mm of the hypotheses from their mean, per joint."""
    deviation = hypotheses - hypotheses.mean(axis=1, keepdims=True)
    return np.sqrt((deviation ** 2).sum(axis=-1).mean(axis=1))


def frames_with_person(keypoints: Keypoints2D) -> np.ndarray:
    """(T,) True where a frame has at least one keypoint; InputError when none has."""
    present = np.isfinite(keypoints.keypoints).any(axis=(1, 2))
    if not present.any():
        raise InputError(f"keypoints: no person in any of the {len(present)} frames; nothing to lift")
    return present


def estimate_take(sampler, keypoints: Keypoints2D, num_hypotheses: int, seed: int = 0,
                  focal_px: float | None = None, chain_frames: int = 1, start_3d_mm: np.ndarray | None = None,
                  start_noise_mm: float = DETECTOR_START_NOISE_MM) -> np.ndarray:
    """(T, S, 17, 3) mm hypotheses of every frame with a person, drawn by ``sampler`` (the model
    serving estimation for ``keypoints.joints``, ``PosePrior.sampler_for``); NaN for the others.
    ``start_3d_mm`` (T, 17, 3): another estimator's root-relative 3D in the camera's axes (the detector's
    own); a frame where it is complete starts from it (propagate.hypotheses_from_starts), the others
    are drawn from the prior."""
    count = check_count(num_hypotheses, "num_hypotheses")
    present, points, sizes = training_camera_input(keypoints, focal_px)
    started = np.zeros(len(points), dtype=bool)
    if start_3d_mm is not None:
        starts = check_starts(start_3d_mm, len(present))[present]
        started = np.isfinite(starts).all(axis=(1, 2))
    hyps = np.full((len(present), count, points.shape[1], 3), np.nan, dtype=np.float32)
    drawn = np.empty((len(points), count, points.shape[1], 3), dtype=np.float32)
    if started.any():
        drawn[started] = hypotheses_from_starts(sampler, points[started], sizes[started], count,
                                                torch.from_numpy(starts[started]), start_noise_mm,
                                                check_seed(seed)).numpy()
    if not started.all():
        drawn[~started] = propagate_hypotheses(sampler, points[~started], sizes[~started], count,
                                               Propagation(chain_frames=chain_frames), check_seed(seed),
                                               frame_index=np.flatnonzero(present)[~started]).numpy()
    hyps[present] = drawn
    return hyps


def training_camera_input(keypoints: Keypoints2D, focal_px: float | None):
    """(present (T,) bool, keypoints (P, 17, 2), image sizes (P, 2)) of the P frames with a person, the
    keypoints moved to the training camera's rays (to_training_camera), missing ones NaN."""
    present = frames_with_person(keypoints)
    focal = None if focal_px is None else positive_scalar(focal_px, "focal_px")
    kp = to_training_camera(keypoints.keypoints[present], keypoints.image_size[present], focal)
    conf = None if keypoints.confidence is None else keypoints.confidence[present]
    points, sizes = (torch.from_numpy(a) for a in check_2d_input(kp, keypoints.image_size[present], conf))
    return present, points, sizes


def central_take(sampler, keypoints: Keypoints2D, focal_px: float | None = None) -> np.ndarray:
    """(T, 17, 3) mm: the central answer of every frame with a person (Sampler.central: one deterministic
    draw, as close to the truth as the mean of many hypotheses); NaN for the others."""
    present, points, sizes = training_camera_input(keypoints, focal_px)
    central = np.full((len(present), points.shape[1], 3), np.nan, dtype=np.float32)
    central[present] = sampler.central(estimate_request(points, sizes)).numpy()
    return central


def placement_residual(poses_mm: np.ndarray, keypoints: Keypoints2D, focal_px: float | None = None) -> np.ndarray:
    """(T,) mm: how far each frame's root-relative pose (T, 17, 3) misses its own 2D, NaN for frames
    without a person: the pose placed on the keypoints (paths.root_translation, in the training
    camera's rays), the median over the seen joints of the image-plane distance between its
    projection and the keypoint, in mm at the joint's depth. A pose the prior can explain lands
    within the 2D's noise; poses it has not learned (other motions, other bodies) miss by more, and
    their errors grow faster than the hypotheses' spread (gfpose.uncertainty)."""
    present, points, sizes = training_camera_input(keypoints, focal_px)
    poses = torch.from_numpy(np.asarray(poses_mm, dtype=np.float64)[present])
    points, sizes = points.double(), sizes.double()
    focal, center = training_focal(sizes), sizes / 2
    placed = poses + root_translation(poses, points, focal, center)[:, None]
    projected = focal[:, None, None] * placed[..., :2] / placed[..., 2:] + center[:, None]
    miss_mm = (projected - points).norm(dim=-1) * placed[..., 2] / focal[:, None]
    residual = np.full(len(present), np.nan)
    residual[present] = np.nanmedian(miss_mm.numpy(), axis=1)
    return residual


def check_starts(start_3d_mm, frames: int) -> np.ndarray:
    """A take's start poses: (T, 17, 3) mm, T = ``frames``, root-centred; NaN joints (or a whole frame,
    where the detector gave no 3D) are allowed and leave that frame to the prior."""
    starts = np.array(as_numbers(start_3d_mm, "start_3d_mm"), dtype=np.float32)
    if starts.ndim != 3 or starts.shape[1:] != (NUM_JOINTS, 3) or len(starts) != frames:
        raise InputError(f"start_3d_mm: shape {starts.shape}; expected ({frames}, {NUM_JOINTS}, 3) mm, one pose "
                         "per frame of keypoints")
    given = ~np.isnan(starts).all(axis=(1, 2))
    if given.any():
        starts[given] = check_poses_mm(starts[given], "start_3d_mm")
    return root_center(starts)


def select_track(hypotheses: np.ndarray, keypoints: Keypoints2D, fps: float,
                 focal_px: float | None = None) -> PlacedTrack:
    """(T, S, 17, 3) hypotheses of ``keypoints`` -> the placed track: the coherent path through the
    hypotheses of the frames with a person, its root path and contacts; NaN (contacts False) for the
    frames without one."""
    present = np.isfinite(hypotheses).all(axis=(1, 2, 3))
    frames, joints = len(hypotheses), hypotheses.shape[2]
    placed = PlacedTrack(np.full((frames, joints, 3), np.nan, dtype=np.float32),
                         np.full((frames, 3), np.nan, dtype=np.float32), np.zeros((frames, 2), dtype=bool))
    if present.any():
        kp = to_training_camera(keypoints.keypoints[present], keypoints.image_size[present], focal_px)
        arrays = (hypotheses[present], kp, keypoints.image_size[present])
        path = placed_path_through(*(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in arrays),
                                   positive_scalar(fps, "fps"))
        placed.track[present], placed.root[present], placed.contacts[present] = path.track, path.root, path.contacts
    return placed


def lift_take(sampler, keypoints: Keypoints2D, fps: float = DEFAULT_FPS, num_hypotheses: int = 50, seed: int = 0,
              focal_px: float | None = None, chain_frames: int = CHAIN_FRAMES) -> TakeLift:
    """A take's 2D -> its hypotheses and track (see the module docstring)."""
    hyps = estimate_take(sampler, keypoints, num_hypotheses, seed, focal_px, chain_frames)
    placed = select_track(hyps, keypoints, fps, focal_px)
    focal = training_focal(keypoints.image_size) if focal_px is None else np.full(len(hyps), focal_px)
    missing = np.flatnonzero(np.isnan(placed.track).all(axis=(1, 2)))
    return TakeLift(placed.track, placed.root, placed.contacts, hyps, central_take(sampler, keypoints, focal_px),
                    hypothesis_spread(hyps), placement_residual(hyps.mean(axis=1), keypoints, focal_px), missing,
                    focal.astype(np.float32))
