"""Whole takes at a fixed frame rate (benchmarks/data/sequences.npz, made by
benchmarks/sequences/make_sequences.py) and their views through a fixed virtual camera."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gfpose.data.cameras import Cameras, camera_views, fixed_test_cameras
from gfpose.data.posefile import load_pose_npz
from gfpose.errors import InputError


@dataclass(frozen=True)
class Take:
    """One take: world poses (T, 17, 3) mm (+z up, root-relative) at `fps`, its action and source."""

    name: str
    action: str
    source: str
    fps: float
    poses: np.ndarray


@dataclass(frozen=True)
class TakeView:
    """A take seen by one fixed camera: the true track (T, 17, 3) mm root-relative in the camera
    frame, exact 2D keypoints (T, 17, 2) px and the image size (2,) px (w, h)."""

    take: Take
    track: np.ndarray
    keypoints: np.ndarray
    image_size: np.ndarray


def load_takes(path, sources: tuple[str, ...] | None = None) -> list[Take]:
    """The takes of a sequence npz (labels `take`, `frame`, `fps`, `source`), frames in order."""
    poseset = load_pose_npz(Path(path))
    missing = {"fps", "source"} - set(poseset.extra)
    if missing:
        raise InputError(f"{path}: no per-frame {sorted(missing)} labels; expected a file made by make_sequences.py")
    takes = []
    for name in dict.fromkeys(poseset.take):
        rows = np.flatnonzero(poseset.take == name)
        rows = rows[np.argsort(poseset.frame[rows])]
        source = str(poseset.extra["source"][rows[0]])
        if sources is None or source in sources:
            takes.append(Take(str(name), str(poseset.action[rows[0]]), source,
                              float(poseset.extra["fps"][rows[0]]), poseset.poses_3d[rows]))
    return takes


def view_take(take: Take, camera: Cameras) -> TakeView:
    """The take through one camera (Cameras of length 1), every frame placed on the floor below it
    (gfpose.data.cameras.camera_views), as the model was trained to see people."""
    if len(camera) != 1:
        raise InputError(f"view_take needs one camera, got {len(camera)}")
    frames = len(take.poses)
    cameras = Cameras(**{k: v.expand(frames, *v.shape[1:]) for k, v in vars(camera).items()})
    track, keypoints = camera_views(torch.from_numpy(take.poses), cameras)
    return TakeView(take, track.numpy(), keypoints.numpy(), camera.size[0].numpy())


def fixed_camera_views(takes: list[Take], seed: int = 0) -> list[TakeView]:
    """Each take through its own fixed, seeded test camera (gfpose.data.cameras.fixed_test_cameras)."""
    cameras = fixed_test_cameras(len(takes), seed=seed)
    return [view_take(take, cameras[i:i + 1]) for i, take in enumerate(takes)]
