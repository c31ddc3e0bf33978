"""Checks on user input at every public entry point: shapes, dtypes, NaN/inf, units.

Each check returns a float32 numpy array with a batch dimension, or raises InputError naming
the argument, what was found and what was expected. NaN marks a missing joint (allowed); a
row with every joint missing, an inf, or a value in the wrong units is an error.
"""

import numpy as np

from gfpose.errors import InputError
from gfpose.skeleton import BONES, NUM_JOINTS

MIN_BONE_MM = 10.0      # a median bone shorter than 1 cm means metres or normalised units
MIN_EXTENT_PX = 4.0     # keypoints all within a few pixels look normalised, not pixels


def as_pose_array(value, name: str, dims: int, allow_missing: bool = True) -> np.ndarray:
    """(J, dims) or (N, J, dims) numeric array-like -> float32 (N, J, dims)."""
    try:
        array = np.asarray(value)
    except Exception as err:  # ragged lists and the like
        raise InputError(f"{name}: cannot be read as an array ({err})") from None
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise InputError(f"{name}: expected numbers, got dtype {array.dtype}")
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1] != NUM_JOINTS or array.shape[2] != dims:
        raise InputError(f"{name}: expected shape (N, {NUM_JOINTS}, {dims}) or ({NUM_JOINTS}, {dims}) "
                         f"in H36M-17 joint order, got {tuple(np.shape(value))}")
    if array.shape[0] == 0:
        raise InputError(f"{name}: empty (0 poses)")
    array = array.astype(np.float32)
    if np.isinf(array).any():
        raise InputError(f"{name}: contains inf; use NaN to mark a missing joint")
    if np.abs(np.nan_to_num(array)).max() > 1e6:
        raise InputError(f"{name}: values up to {np.nanmax(np.abs(array)):.3g}, implausibly large")
    missing = np.isnan(array).any(axis=-1)
    if not allow_missing and missing.any():
        raise InputError(f"{name}: {int(missing.sum())} joints are NaN; this task needs every joint "
                         "(use complete() for missing joints)")
    empty_rows = np.flatnonzero(missing.all(axis=1))
    if len(empty_rows):
        raise InputError(f"{name}: every joint is missing in pose(s) {empty_rows[:5].tolist()}")
    array[missing] = np.nan
    return array


def check_poses_mm(value, name: str = "poses", allow_missing: bool = True) -> np.ndarray:
    """3D poses in millimetres, (N, 17, 3); rejects metres."""
    poses = as_pose_array(value, name, 3, allow_missing)
    parent, child = np.array(BONES).T
    bones = np.linalg.norm(poses[:, child] - poses[:, parent], axis=-1)
    if np.isfinite(bones).any() and np.nanmedian(bones) < MIN_BONE_MM:
        raise InputError(f"{name}: median bone length {np.nanmedian(bones):.3g} looks like metres; "
                         "gfpose expects millimetres (multiply by 1000)")
    return poses


def check_keypoints_px(value, name: str = "keypoints_2d", confidence=None) -> np.ndarray:
    """2D keypoints in pixels, (N, 17, 2); confidence (N, 17) of 0 marks a joint missing."""
    keypoints = as_pose_array(value, name, 2)
    if confidence is not None:
        conf = np.asarray(confidence, dtype=np.float32).reshape(keypoints.shape[:2]) \
            if np.size(confidence) == keypoints.shape[0] * NUM_JOINTS else None
        if conf is None:
            raise InputError(f"confidence: expected shape ({keypoints.shape[0]}, {NUM_JOINTS}), "
                             f"got {np.shape(confidence)}")
        keypoints[~(conf > 0)] = np.nan
        keypoints = as_pose_array(keypoints, name, 2)
    extent = np.nanmax(keypoints, axis=1) - np.nanmin(keypoints, axis=1)
    if np.nanmax(extent) < MIN_EXTENT_PX:
        raise InputError(f"{name}: keypoints span at most {np.nanmax(extent):.3g} units; expected pixels "
                         "(normalised coordinates must be multiplied by the image size)")
    return keypoints


def check_image_size(value, count: int) -> np.ndarray:
    """(w, h) or (N, 2) positive pixel sizes -> float32 (N, 2)."""
    size = np.asarray(value, dtype=np.float32)
    if size.shape == (2,):
        size = np.broadcast_to(size, (count, 2)).copy()
    if size.shape != (count, 2) or not np.isfinite(size).all() or (size <= 0).any():
        raise InputError(f"image_size: expected (w, h) or ({count}, 2) positive pixels, got {np.shape(value)}")
    return size


def check_count(value, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise InputError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    return int(value)


def check_start_time(value) -> float:
    if not isinstance(value, (int, float)) or not 1e-3 < value <= 1.0:
        raise InputError(f"t0: expected a start time in (0.001, 1], got {value!r}")
    return float(value)
