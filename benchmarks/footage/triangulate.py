"""Multi-view triangulation: confidence-weighted linear least squares (DLT) on undistorted keypoints,
re-solved without low-confidence views and without views whose reprojection error is an outlier;
and the correction of views whose detector exchanged a person's left and right limbs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gfpose.errors import InputError
from gfpose.media.calibration import Camera
from gfpose.skeleton import BODY_PARTS, NUM_JOINTS

# H36M-17 joints of each limb pair, right side then left side.
LIMB_PAIRS = {"legs": BODY_PARTS["r_leg"] + BODY_PARTS["l_leg"],
              "arms": BODY_PARTS["r_arm"] + BODY_PARTS["l_arm"]}


@dataclass
class Triangulation:
    """``points`` (..., 3) world mm (NaN where under two views were usable); ``reprojection_error``
    (V, ...) px of every view with a keypoint, used or not (NaN otherwise); ``used`` (V, ...) bool,
    the views each point was solved from."""

    points: np.ndarray
    reprojection_error: np.ndarray
    used: np.ndarray


def triangulate(cameras: Sequence[Camera], keypoints: np.ndarray, confidence: np.ndarray | None = None,
                *, min_confidence: float = 0.3, max_error_px: float = 80.0) -> Triangulation:
    """Triangulate keypoints (V, ..., 2) distorted px seen by V ``cameras``, weighted by confidence (V, ...).

    Views with confidence below ``min_confidence`` (or a NaN keypoint) are not used. While a point's
    largest reprojection error over its views exceeds ``max_error_px`` and it has more than two
    views, the view whose removal leaves the smallest largest error is dropped and the point re-solved.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim < 2 or keypoints.shape[0] != len(cameras) or keypoints.shape[-1] != 2:
        raise InputError(f"keypoints: expected (V={len(cameras)}, ..., 2) px, got shape {keypoints.shape}")
    shape = keypoints.shape[1:-1]
    pixels = keypoints.reshape(len(cameras), -1, 2)
    weights = (np.ones(pixels.shape[:2]) if confidence is None
               else np.asarray(confidence, dtype=np.float64).reshape(pixels.shape[:2]))
    seen = ~np.isnan(pixels).any(axis=-1)
    used = seen & (weights >= min_confidence)
    normal = np.stack([cam.normalise(np.where(seen[v, :, None], pixels[v], 0.0))
                       for v, cam in enumerate(cameras)])
    extrinsics = np.stack([np.hstack([cam.R, cam.t[:, None]]) for cam in cameras])

    def solve(views: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        points = _weighted_dlt(extrinsics, normal, np.where(views, weights, 0.0))
        error = _reprojection_error(cameras, points, pixels)
        return points, np.where(views, error, -np.inf).max(axis=0)

    points, worst = solve(used)
    for _ in range(len(cameras) - 2):
        redo = (worst > max_error_px) & (used.sum(axis=0) > 2)
        if not redo.any():
            break
        trials = [solve(used & (np.arange(len(cameras)) != v)[:, None])[1] for v in range(len(cameras))]
        trials = np.where(used, np.nan_to_num(np.stack(trials), nan=np.inf), np.inf)  # only used views
        drop = np.argmin(trials, axis=0)
        used[drop[redo], np.flatnonzero(redo)] = False
        points, worst = solve(used)
    error = _reprojection_error(cameras, points, pixels)
    return Triangulation(points.reshape(*shape, 3), error.reshape(len(cameras), *shape),
                         used.reshape(len(cameras), *shape))


def correct_left_right(cameras: Sequence[Camera], keypoints: np.ndarray, confidence: np.ndarray,
                       *, min_confidence: float = 0.3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undo left/right confusions of single views in H36M-17 keypoints (V, T, 17, 2), confidence (V, T, 17).

    Detectors facing an ambiguous view sometimes label the left leg (or arm) as the right one. For
    legs and arms separately, each frame keeps the labelling, as detected or with one view's left
    and right exchanged, whose triangulation has the smallest mean reprojection error. Returns the
    corrected keypoints and confidence, and ``swapped`` (V, T, 2) bool (legs, arms).
    """
    keypoints, confidence = np.array(keypoints, dtype=np.float64), np.array(confidence, dtype=np.float64)
    if keypoints.ndim != 4 or keypoints.shape[2:] != (NUM_JOINTS, 2):
        raise InputError(f"keypoints: expected (V, T, {NUM_JOINTS}, 2) px, got shape {keypoints.shape}")
    swapped = np.zeros((*keypoints.shape[:2], len(LIMB_PAIRS)), dtype=bool)
    for pair, joints in enumerate(LIMB_PAIRS.values()):
        joints = np.array(joints)
        mirrored = np.roll(joints, len(joints) // 2)
        scores = [_mean_error(cameras, keypoints[:, :, joints], confidence[:, :, joints], min_confidence)]
        for v in range(len(cameras)):
            kp, conf = keypoints[:, :, joints].copy(), confidence[:, :, joints].copy()
            kp[v], conf[v] = keypoints[v][:, mirrored], confidence[v][:, mirrored]
            scores.append(_mean_error(cameras, kp, conf, min_confidence))
        choice = np.argmin(np.stack(scores), axis=0)
        for v in range(len(cameras)):
            frames = np.flatnonzero(choice == v + 1)
            swapped[v, frames, pair] = True
            keypoints[v][np.ix_(frames, joints)] = keypoints[v][np.ix_(frames, mirrored)]
            confidence[v][np.ix_(frames, joints)] = confidence[v][np.ix_(frames, mirrored)]
    return keypoints, confidence, swapped


def _mean_error(cameras, keypoints, confidence, min_confidence) -> np.ndarray:
    """(T,) mean reprojection error px over the used views and joints of a plain triangulation."""
    result = triangulate(cameras, keypoints, confidence, min_confidence=min_confidence,
                         max_error_px=np.inf)
    error = np.where(result.used, np.nan_to_num(result.reprojection_error), 0.0)
    return error.sum(axis=(0, 2)) / np.maximum(result.used.sum(axis=(0, 2)), 1)


def _weighted_dlt(extrinsics: np.ndarray, normal: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Least-squares X (N, 3) of w * (x * P3 - P1) . [X, 1] = 0 and w * (y * P3 - P2) . [X, 1] = 0
    over views, for extrinsics (V, 3, 4), normalised points (V, N, 2) and weights (V, N)."""
    rows = normal[..., None] * extrinsics[:, None, 2:3, :] - extrinsics[:, None, :2, :]  # (V, N, 2, 4)
    rows = (weights[..., None, None] * rows).transpose(1, 0, 2, 3).reshape(normal.shape[1], -1, 4)
    A, b = rows[..., :3], -rows[..., 3]
    enough = (weights > 0).sum(axis=0) >= 2
    gram = np.where(enough[:, None, None], A.transpose(0, 2, 1) @ A, np.eye(3))
    points = np.linalg.solve(gram, (A.transpose(0, 2, 1) @ b[..., None]))[..., 0]
    points[~enough] = np.nan
    return points


def _reprojection_error(cameras: Sequence[Camera], points: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """(V, N) px between each camera's projection of points (N, 3) and its keypoints (V, N, 2)."""
    finite = np.nan_to_num(points)
    error = np.stack([np.linalg.norm(cam.project(finite) - pixels[v], axis=-1)
                      for v, cam in enumerate(cameras)])
    error[:, np.isnan(points[:, 0])] = np.nan
    return error
