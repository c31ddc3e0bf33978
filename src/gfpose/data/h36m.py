"""Human3.6M in the VideoPose3D layout -> camera-frame :class:`PoseSet` (one row per frame and view).

Files (as made by VideoPose3D's ``data/prepare_data_h36m.py`` and ``prepare_data_2d_h36m_generic.py``,
or downloaded from its instructions, see docs/H36M.md):

* ``data_3d_h36m.npz``: ``positions_3d``, a pickled dict subject (S1, S5, S6, S7, S8, S9, S11) ->
  action (the take's name, e.g. 'Directions 1', 'Directions', 'SittingDown 2', 'Photo') ->
  (F, 32, 3) float32 world positions in metres.
* optional ``data_2d_h36m_<name>.npz``: ``positions_2d``, subject -> action -> list of 4 arrays
  (F', 17, 2) px, one per camera in the order of :data:`CAMERAS`, and ``metadata``, a dict with
  ``layout_name`` ('h36m', or 'coco' for COCO-ordered detections, converted to H36M-17 here; the
  ground-truth file ``data_2d_h36m_gt.npz`` has no ``layout_name`` and is H36M-ordered) and
  ``num_joints`` (17; the 16-joint Stacked Hourglass files are refused).

Real-data quirks handled (each as VideoPose3D's own loader does, see docs/H36M.md):

* a video may have more frames than the motion capture (F' > F): the extra 2D frames at the
  end are cut; fewer 2D frames than 3D frames is an error;
* S11 'Directions': one of its videos is corrupted, so VideoPose3D's files leave the take out;
  a 3D file that has it with a 2D file that lacks it loses the take, with a warning;
* the original file names 'TakingPhoto' and 'WalkingDog' (S1) are 'Photo' and 'WalkDog' in
  VideoPose3D's files: either spelling is accepted and matched, and labelled 'Photo' / 'WalkDog';
* 2D files may hold subjects without 3D (S2, S3, S4 in the detection files): ignored.

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
import logging
import zipfile
from importlib.resources import files
from pathlib import Path

import numpy as np

from gfpose.data.keypoints import coco_to_h36m
from gfpose.data.poseset import PoseSet
from gfpose.errors import InputError
from gfpose.geometry import root_center

LOG = logging.getLogger(__name__)

TRAIN_SUBJECTS = ("S1", "S5", "S6", "S7", "S8")
TEST_SUBJECTS = ("S9", "S11")
DROPPED_JOINTS = (4, 5, 9, 10, 11, 16, 20, 21, 22, 23, 24, 28, 29, 30, 31)
KEPT_JOINTS = tuple(j for j in range(32) if j not in DROPPED_JOINTS)
# Original Human3.6M spellings (S1's files) -> the names VideoPose3D's files use.
LEGACY_ACTION_NAMES = {"TakingPhoto": "Photo", "WalkingDog": "WalkDog"}
# Takes VideoPose3D's files leave out (a corrupted video): dropped if the 2D file lacks them.
CORRUPTED_TAKES = {("S11", "Directions")}
LAYOUTS_2D = ("h36m", "coco")

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


def canonical_action(name: str) -> str:
    """A take name in VideoPose3D's spelling: 'TakingPhoto 1' -> 'Photo 1', 'WalkingDog' -> 'WalkDog';
    other names unchanged."""
    base, space, number = str(name).partition(" ")
    return LEGACY_ACTION_NAMES.get(base, base) + space + number


def _load_pickled(path: Path, key: str) -> dict:
    """The pickled dict under ``key`` (and ``metadata`` if present) of a VideoPose3D npz."""
    try:
        with np.load(path, allow_pickle=True) as z:
            if key not in z.files:
                raise InputError(f"{path}: no {key!r} entry; found {z.files}; expected the "
                                 "VideoPose3D layout")
            out = {key: z[key].item()}
            if "metadata" in z.files:
                out["metadata"] = z["metadata"].item()
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, AttributeError) as e:
        raise InputError(f"{path}: not a readable VideoPose3D npz, truncated or corrupt? "
                         f"({type(e).__name__}: {e})") from e
    if not isinstance(out[key], dict) or not all(isinstance(v, dict) for v in out[key].values()):
        raise InputError(f"{path}: {key!r} holds {type(out[key]).__name__}; expected a dict "
                         "subject -> action -> data")
    return out


def _layout_2d(path: Path, metadata) -> str:
    """The keypoint order of a 2D file from its ``metadata`` ('h36m' when it names none, as in the
    ground-truth file); an InputError for layouts other than 17-joint 'h36m' or 'coco'."""
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise InputError(f"{path}: 'metadata' holds {type(metadata).__name__}; expected a dict")
    layout, joints = metadata.get("layout_name"), metadata.get("num_joints", 17)
    if layout not in (None, *LAYOUTS_2D) or joints != 17:
        raise InputError(f"{path}: metadata says layout_name={layout!r}, num_joints={joints}; expected "
                         f"17 joints in layout {' or '.join(map(repr, LAYOUTS_2D))} (or none, meaning "
                         "'h36m'), as in the cpn_ft_h36m_dbb, detectron_ft_h36m, detectron_pt_coco and gt "
                         "files; the 16-joint Stacked Hourglass (sh_*) files are not supported")
    return layout or "h36m"


def _actions_2d(path_2d: Path, table: dict, subject: str) -> dict:
    """The 2D file's takes of ``subject`` by canonical name."""
    if subject not in table:
        raise InputError(f"{path_2d}: no 2D keypoints for subject {subject}; the file has "
                         f"{sorted(table)}")
    return {canonical_action(name): views for name, views in table[subject].items()}


def _keypoints_2d(path_2d: Path, views, layout: str, subject: str, action: str, camera: int,
                  frames: int) -> np.ndarray:
    """Camera ``camera``'s H36M-17 keypoints (frames, 17, 2) px of a take: the first ``frames``
    of the file's (F', 17, 2) array (F' >= frames), COCO order converted."""
    where = f"{path_2d}: {subject} / {action} / camera {camera} ({CAMERAS[camera][0]})"
    if not isinstance(views, (list, tuple, np.ndarray)):
        raise InputError(f"{path_2d}: {subject} / {action} holds {type(views).__name__}; expected a "
                         "list of 4 camera arrays")
    if len(views) <= camera:
        raise InputError(f"{path_2d}: {subject} / {action} has {len(views)} camera arrays; expected a "
                         "list of 4, one per camera")
    if views[camera] is None:
        raise InputError(f"{where}: no keypoints (None: the file was made without this camera's video)")
    kp = np.asarray(views[camera], dtype=np.float32)
    if kp.ndim != 3 or kp.shape[1:] != (17, 2):
        raise InputError(f"{where}: keypoints have shape {kp.shape}; expected (F, 17, 2) px")
    if len(kp) < frames:
        raise InputError(f"{where}: {len(kp)} frames of 2D keypoints but {frames} of 3D; expected at "
                         "least as many (extra 2D frames at the end are cut)")
    kp = kp[:frames]
    return coco_to_h36m(kp)[0] if layout == "coco" else kp


def load_h36m(path_3d: str | Path, path_2d: str | Path | None = None,
              subjects=TRAIN_SUBJECTS + TEST_SUBJECTS, cameras=(0, 1, 2, 3)) -> PoseSet:
    """Human3.6M as a camera-frame PoseSet: root-relative 3D (mm) and 2D (px) per frame and view.

    2D comes from ``path_2d`` if given, else from projecting the ground truth with the
    distortion model. ``action`` is the action without its take number, in VideoPose3D's
    spelling ("Walking 1" -> "Walking", "TakingPhoto 1" -> "Photo"); ``take`` is
    "subject/take name/camera id"; ``frame`` the frame index within the take. Rows are in the
    file's order: subject, take, camera, frame. Quirks of the real files: see the module docstring.
    """
    path_3d = Path(path_3d)
    data = _load_pickled(path_3d, "positions_3d")["positions_3d"]
    table, layout = None, "h36m"
    if path_2d is not None:
        path_2d = Path(path_2d)
        loaded = _load_pickled(path_2d, "positions_2d")
        table, layout = loaded.pop("positions_2d"), _layout_2d(path_2d, loaded.get("metadata"))
    rows = {k: [] for k in ("poses_3d", "keypoints_2d", "image_size", "action", "subject",
                            "take", "frame", "split")}
    for subject in subjects:
        if subject not in data or subject not in EXTRINSICS:
            raise InputError(f"{path_3d}: subject {subject!r} not found or uncalibrated; file has "
                             f"{sorted(data)}, calibrated: {sorted(EXTRINSICS)}")
        views_2d = None if table is None else _actions_2d(path_2d, table, subject)
        for action, positions in data[subject].items():
            name = canonical_action(action)
            if views_2d is not None and name not in views_2d:
                if (subject, name) in CORRUPTED_TAKES:
                    LOG.warning("%s: %s / %s left out: the 2D file %s lacks it (a corrupted video; "
                                "VideoPose3D leaves it out too)", path_3d, subject, action, path_2d)
                    continue
                raise InputError(f"{path_2d}: no 2D keypoints for {subject} / {action!r}; its "
                                 f"{subject} takes are {sorted(views_2d)}")
            positions = np.asarray(positions, dtype=np.float64)
            if positions.ndim != 3 or positions.shape[1:] != (32, 3):
                raise InputError(f"{path_3d}: {subject} / {action} has shape {positions.shape}; "
                                 "expected (F, 32, 3) metres")
            world = positions[:, KEPT_JOINTS] * 1000.0
            frames = len(world)
            for cam in cameras:
                points = world_to_camera(world, subject, cam)
                rows["poses_3d"].append(root_center(points).astype(np.float32))
                kp = (project_distorted(points, cam) if views_2d is None else
                      _keypoints_2d(path_2d, views_2d[name], layout, subject, action, cam, frames))
                rows["keypoints_2d"].append(np.asarray(kp, dtype=np.float32))
                rows["image_size"].append(np.tile(np.float32(CAMERAS[cam][5]), (frames, 1)))
                rows["frame"].append(np.arange(frames))
                for key, value in (("action", name.split(" ")[0]), ("subject", subject),
                                   ("take", f"{subject}/{action}/{CAMERAS[cam][0]}"),
                                   ("split", "train" if subject in TRAIN_SUBJECTS else "test")):
                    rows[key].append(np.full(frames, value))
    data = table = views_2d = None  # free the files' dicts, and each column's pieces once joined:
    columns = {key: np.concatenate(rows.pop(key)) for key in list(rows)}  # a lower peak of memory
    try:
        return PoseSet(**columns, frame_kind="camera")
    except InputError as e:
        raise InputError(f"{path_3d}: {e}") from None
