"""Generic pose files: npz with self-describing keys <-> :class:`PoseSet`.

Keys read by :func:`load_pose_npz`:

* ``poses_3d`` (N, 17, 3) in mm, H36M-17 order. Required. May be stored as integers together
  with ``poses_3d_scale_mm`` (mm per integer step), as the bundled dataset is.
* ``subject``, ``action``, ``take`` (N,) str, ``frame`` (N,) int, ``split`` (N,) 'train'/'test'.
  Optional; defaults: the file's stem, 'unknown', the file's stem, 0..N-1, and for a file without
  split labels 'all': every row is used for training and for testing (a warning says so).
* ``keypoints_2d`` (N, 17, 2) px, optional. If present the set is camera-frame
  (``frame_kind='camera'``) and ``image_size`` (N, 2) or (2,) (w, h) px is used, defaulting to
  1000 x 1000 (the H36M-like virtual camera of :mod:`gfpose.data.cameras`).
* ``up_axis`` 'z' (default) or 'y' for world poses; Y-up poses are rotated to +z up.
* Any other (N,) array is kept as a per-frame label in ``PoseSet.extra`` (e.g. ``style``).
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import numpy as np

from gfpose.atomic import atomic_write
from gfpose.data.poseset import EVERY_SPLIT, PoseSet
from gfpose.errors import InputError
from gfpose.validation import as_numbers, as_pose_array, check_2d_input, positive_scalar

DEFAULT_IMAGE_SIZE = (1000.0, 1000.0)
LOG = logging.getLogger(__name__)
_READ = {"poses_3d", "poses_3d_scale_mm", "subject", "action", "take", "frame", "split",
         "keypoints_2d", "image_size", "up_axis"}


def y_up_to_z_up(x: np.ndarray) -> np.ndarray:
    """Rotate ``(..., 3)`` points +90 deg about x, (x, y, z) -> (x, -z, y): Y-up becomes +z up."""
    return np.stack([x[..., 0], -x[..., 2], x[..., 1]], axis=-1)


def read_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an npz file (no pickles); InputError naming the file if it is unreadable."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise InputError(f"{path}: not a readable npz file, truncated or corrupt? "
                         f"({type(e).__name__}: {e})") from e


def load_pose_npz(path: str | Path) -> PoseSet:
    """Read a pose npz (keys in the module docstring) into a :class:`PoseSet`."""
    path = Path(path)
    z = read_npz(path)
    if "poses_3d" not in z:
        raise InputError(f"{path}: no 'poses_3d' array; found keys {sorted(z)}; "
                         "expected poses_3d (N, 17, 3) in mm")
    scale = 1.0
    if "poses_3d_scale_mm" in z:
        scale = positive_scalar(z["poses_3d_scale_mm"], f"{path}: poses_3d_scale_mm")
    raw = as_numbers(z["poses_3d"], f"{path}: poses_3d")
    poses = as_pose_array(raw * np.float32(scale), f"{path}: poses_3d", 3)
    up = str(z.get("up_axis", "z"))
    if up not in ("y", "z"):
        raise InputError(f"{path}: up_axis is {up!r}; expected 'z' or 'y'")
    if up == "y":
        poses = y_up_to_z_up(poses)
    n = len(poses)
    kp = size = None
    if "keypoints_2d" in z:
        kp, size = check_2d_input(z["keypoints_2d"], z.get("image_size", np.array(DEFAULT_IMAGE_SIZE)),
                                  where=f"{path}: ")
    per_frame = {k: v for k, v in z.items() if k not in _READ and v.shape == (n,)}
    try:
        poseset = PoseSet(
            poses_3d=poses,
            subject=z.get("subject", np.full(n, path.stem)),
            action=z.get("action", np.full(n, "unknown")),
            take=z.get("take", np.full(n, path.stem)),
            frame=z.get("frame", np.arange(n)),
            split=z.get("split", np.full(n, EVERY_SPLIT)),
            keypoints_2d=kp,
            image_size=size,
            frame_kind="world" if kp is None else "camera",
            extra=per_frame,
        )
    except InputError as e:
        raise InputError(f"{path}: {e}") from None
    if "split" not in z:
        LOG.warning("%s: no 'split' labels; all %d poses are used for training and for testing", path, n)
    return poseset


def save_pose_npz(path: str | Path, compress: bool = True, **arrays) -> Path:
    """Write arrays to ``path`` (npz, compressed by default) with :func:`gfpose.atomic.atomic_write`."""
    savez = np.savez_compressed if compress else np.savez

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:  # a handle, so numpy adds no '.npz' to other suffixes
            savez(handle, **arrays)

    return atomic_write(path, write)
