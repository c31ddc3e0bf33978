"""Human3.6M in the VideoPose3D layout -> camera-frame :class:`PoseSet` (one row per frame and view).

Files (as made by VideoPose3D's ``prepare_data_h36m.py``):

* ``data_3d_h36m.npz``: ``positions_3d``, a pickled dict subject -> action -> (F, 32, 3) world
  positions in metres.
* optional ``data_2d_h36m_<name>.npz``: ``positions_2d``, subject -> action -> list of 4 arrays
  (F', 17, 2) px, one per camera (F' >= F; extra frames are cut), and ``metadata`` (a dict whose
  ``layout_name`` 'coco' marks COCO-ordered detections, converted to H36M-17 here).

These files hold pickles: load only files you trust.

Camera parameters are the published Human3.6M calibration as listed in VideoPose3D's
``common/h36m_dataset.py`` (https://github.com/facebookresearch/VideoPose3D): per camera the
intrinsics (focal length, principal point, radial k1-k3 and tangential p1, p2 distortion, image
size) and per subject the extrinsics: ``orientation`` (w, x, y, z), the camera-to-world rotation,
and ``translation``, the camera centre in world mm, so ``X_c = R(q)^T (X_w - translation)``.
The 32 -> 17 joint selection and the distortion model also follow VideoPose3D.
Splits: train S1, S5, S6, S7, S8; test S9, S11.
"""

from __future__ import annotations

import json
import zipfile
from importlib.resources import files
from pathlib import Path

import numpy as np

from gfpose.data.keypoints import coco_to_h36m
from gfpose.data.poseset import PoseSet
from gfpose.errors import InputError
from gfpose.geometry import root_center

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
DROPPED_JOINTS = (4, 5, 9, 10, 11, 16, 20, 21, 22, 23, 24, 28, 29, 30, 31)
KEPT_JOINTS = tuple(j for j in range(32) if j not in DROPPED_JOINTS)

# The published calibration (h36m_cameras.json): per camera (id, focal (fx, fy) px, centre (cx, cy)
# px, radial (k1, k2, k3), tangential (p1, p2), image (w, h) px); per subject and camera the
# (orientation quaternion (w, x, y, z), camera centre in world mm).
_CALIBRATION = json.loads((files("gfpose.data") / "h36m_cameras.json").read_text())
CAMERAS = tuple((c["id"], c["focal"], c["centre"], c["radial"], c["tangential"], tuple(c["image_size"]))
                for c in _CALIBRATION["cameras"])
EXTRINSICS = {subject: tuple((e["orientation"], e["centre"]) for e in views)
              for subject, views in _CALIBRATION["extrinsics"].items()}


def quaternion_to_matrix(q) -> np.ndarray:
    """Rotation matrix (3, 3) of a unit quaternion (w, x, y, z)."""
    w, x, y, z = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def world_to_camera(points_mm: np.ndarray, subject: str, camera: int) -> np.ndarray:
    """World points (..., 3) mm -> camera ``camera`` (0-3) of ``subject``, mm."""
    q, center = EXTRINSICS[subject][camera]
    return (points_mm - np.asarray(center)) @ quaternion_to_matrix(q)


def project_distorted(points_cam: np.ndarray, camera: int) -> np.ndarray:
    """Camera-frame points (..., 3) -> px (..., 2) with VideoPose3D's distortion model:
    ``x' = x (1 + k1 r^2 + k2 r^4 + k3 r^6 + p.x) + p r^2``, ``u = f x' + c``, with
    ``x = clip(X/Z, -1, 1)``."""
    _, f, c, k, p, _ = CAMERAS[camera]
    x = np.clip(points_cam[..., :2] / points_cam[..., 2:], -1, 1)
    r2 = (x ** 2).sum(-1, keepdims=True)
    radial = 1 + k[0] * r2 + k[1] * r2 ** 2 + k[2] * r2 ** 3
    tangential = (np.asarray(p) * x).sum(-1, keepdims=True)
    return np.asarray(f) * (x * (radial + tangential) + np.asarray(p) * r2) + np.asarray(c)


def _load_pickled(path: Path, key: str) -> dict:
    try:
        with np.load(path, allow_pickle=True) as z:
            if key not in z.files:
                raise InputError(f"{path}: no {key!r} entry; found {z.files}; expected the "
                                 "VideoPose3D layout")
            out = {key: z[key].item()}
            if "metadata" in z.files:
                out["metadata"] = z["metadata"].item()
            return out
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as e:
        raise InputError(f"{path}: not a readable VideoPose3D npz, truncated or corrupt? "
                         f"({type(e).__name__}: {e})") from e


def _keypoints_2d(path_2d: Path | None, table: dict | None, layout: str, subject: str,
                  action: str, camera: int, frames: int):
    if table is None:
        return None
    try:
        kp = np.asarray(table[subject][action][camera], dtype=np.float32)
    except (KeyError, IndexError):
        raise InputError(f"{path_2d}: no 2D keypoints for {subject} / {action} / camera {camera}") from None
    if kp.ndim != 3 or kp.shape[1:] != (17, 2) or len(kp) < frames:
        raise InputError(f"{path_2d}: {subject} / {action} / camera {camera} has shape {kp.shape}; "
                         f"expected (>= {frames}, 17, 2) px")
    kp = kp[:frames]
    return coco_to_h36m(kp)[0] if layout == "coco" else kp


def load_h36m(path_3d: str | Path, path_2d: str | Path | None = None,
              subjects=TRAIN_SUBJECTS + TEST_SUBJECTS, cameras=(0, 1, 2, 3)) -> PoseSet:
    """Human3.6M as a camera-frame PoseSet: root-relative 3D (mm) and 2D (px) per frame and view.

    2D comes from ``path_2d`` if given, else from projecting the ground truth with the
    distortion model. ``action`` is the action without its take number ("Walking 1" ->
    "Walking"); ``take`` is "subject/action/camera id".
    """
    path_3d = Path(path_3d)
    data = _load_pickled(path_3d, "positions_3d")["positions_3d"]
    table, layout = None, "h36m"
    if path_2d is not None:
        path_2d = Path(path_2d)
        loaded = _load_pickled(path_2d, "positions_2d")
        table = loaded["positions_2d"]
        layout = str(loaded.get("metadata", {}).get("layout_name", "h36m"))
    rows = {k: [] for k in ("poses_3d", "keypoints_2d", "image_size", "action", "subject",
                            "take", "frame", "split")}
    for subject in subjects:
        if subject not in data or subject not in EXTRINSICS:
            raise InputError(f"{path_3d}: subject {subject!r} not found or uncalibrated; file has "
                             f"{sorted(data)}, calibrated: {sorted(EXTRINSICS)}")
        for action, positions in data[subject].items():
            positions = np.asarray(positions, dtype=np.float64)
            if positions.ndim != 3 or positions.shape[1:] != (32, 3):
                raise InputError(f"{path_3d}: {subject} / {action} has shape {positions.shape}; "
                                 "expected (F, 32, 3) metres")
            world = positions[:, KEPT_JOINTS] * 1000.0
            frames = len(world)
            for cam in cameras:
                points = world_to_camera(world, subject, cam)
                kp = _keypoints_2d(path_2d, table, layout, subject, action, cam, frames)
                rows["poses_3d"].append(root_center(points))
                rows["keypoints_2d"].append(project_distorted(points, cam) if kp is None else kp)
                rows["image_size"].append(np.tile(CAMERAS[cam][5], (frames, 1)))
                rows["frame"].append(np.arange(frames))
                for key, value in (("action", action.split(" ")[0]), ("subject", subject),
                                   ("take", f"{subject}/{action}/{CAMERAS[cam][0]}"),
                                   ("split", "train" if subject in TRAIN_SUBJECTS else "test")):
                    rows[key].append(np.full(frames, value))
    try:
        return PoseSet(**{k: np.concatenate(v) for k, v in rows.items()}, frame_kind="camera")
    except InputError as e:
        raise InputError(f"{path_3d}: {e}") from None
