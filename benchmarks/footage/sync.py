"""Frame offsets between cameras that were not started together, found by triangulation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from triangulate import triangulate

from gfpose.errors import InputError
from gfpose.media.calibration import Camera


def frame_offsets(cameras: Sequence[Camera], keypoints: np.ndarray, confidence: np.ndarray,
                  *, max_offset: int = 5, max_rounds: int = 5) -> np.ndarray:
    """Integer offsets (V,), 0 for camera 0: frame t of camera 0 shows the instant of frame t + o[v]
    of camera v. Keypoints (V, T, J, 2) px, confidence (V, T, J).

    The error of a trial is the median reprojection error of a plain triangulation over camera 0's
    frames [max_offset, T - max_offset). Each offset in [-max_offset, max_offset] starts where camera
    v alone best agrees with camera 0, then coordinate descent over all views (until nothing
    changes, at most ``max_rounds`` passes) refines them together, since two views constrain time
    only through the epipolar line.
    """
    keypoints, confidence = np.asarray(keypoints), np.asarray(confidence)
    frames = np.arange(max_offset, keypoints.shape[1] - max_offset)
    if len(frames) < 1:
        raise InputError(f"keypoints: {keypoints.shape[1]} frames; frame_offsets needs more than "
                         f"2 * max_offset = {2 * max_offset}")
    shifts = range(-max_offset, max_offset + 1)

    def error(views: np.ndarray, trial: np.ndarray) -> float:
        taken = (views[:, None], frames + trial[views, None])
        result = triangulate([cameras[v] for v in views], keypoints[taken], confidence[taken],
                             max_error_px=np.inf)
        return float(np.nanmedian(np.where(result.used, result.reprojection_error, np.nan)))

    def with_offset(offsets: np.ndarray, v: int, shift: int) -> np.ndarray:
        return np.where(np.arange(len(cameras)) == v, shift, offsets)

    offsets = np.zeros(len(cameras), dtype=int)
    for v in range(1, len(cameras)):
        offsets = min((with_offset(offsets, v, s) for s in shifts), key=lambda o: error(np.array([0, v]), o))
    every = np.arange(len(cameras))
    for _ in range(max_rounds):
        start = offsets
        for v in range(1, len(cameras)):
            offsets = min((with_offset(offsets, v, s) for s in shifts), key=lambda o: error(every, o))
        if (offsets == start).all():
            break
    return offsets


def align(array: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-camera arrays (V, T, ...) -> the frames all cameras share (V, T', ...), and those
    frames' indices in camera 0 (T',); camera v contributes its frames t + offsets[v]."""
    array, offsets = np.asarray(array), np.asarray(offsets)
    frames = np.arange(max(0, -offsets.min()), array.shape[1] - max(0, offsets.max()))
    return array[np.arange(len(array))[:, None], frames + offsets[:, None]], frames
