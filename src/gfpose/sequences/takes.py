"""Whole takes at a fixed frame rate (benchmarks/data/sequences.npz, made by
benchmarks/sequences/make_sequences.py) and their views through a fixed virtual camera: each frame
placed on the floor below the camera's target (the person walks in place, as the model was trained
to see people), or the take on its own global path (`global_path`: the root moves as captured, the
camera far enough to keep the whole path in view), where foot contact and skate can be measured."""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gfpose.data.cameras import Cameras, camera_views, fixed_test_cameras, look_at_cameras, project, world_to_camera
from gfpose.data.posefile import load_pose_npz, read_npz
from gfpose.errors import InputError
from gfpose.geometry import root_center

HALF_VIEW_DEG = 18.0  # global path: the path's farthest point from its centre at most this far off the axis


@dataclass(frozen=True)
class Take:
    """One take: world poses (T, 17, 3) mm (+z up, root-relative) at `fps`, its action and source,
    and the world position of its root per frame (T, 3) mm (None when the file has no `root_mm`)."""

    name: str
    action: str
    source: str
    fps: float
    poses: np.ndarray
    root: np.ndarray | None = None

    def first(self, frames: int | None) -> "Take":
        """The take's first `frames` frames (None: all)."""
        root = None if self.root is None else self.root[:frames]
        return Take(self.name, self.action, self.source, self.fps, self.poses[:frames], root)


@dataclass(frozen=True)
class TakeView:
    """A take seen by one fixed camera: the true track (T, 17, 3) mm root-relative in the camera
    frame, exact 2D keypoints (T, 17, 2) px and the image size (2,) px (w, h). On a global path
    (view_take_path) also the true world poses (T, 17, 3) mm (+z up, the floor at z = 0 below the
    lowest joint of the take), the camera (R (3, 3), t (3,) world -> camera, focal px)."""

    take: Take
    track: np.ndarray
    keypoints: np.ndarray
    image_size: np.ndarray
    world: np.ndarray | None = None
    rotation: np.ndarray | None = None
    translation: np.ndarray | None = None
    focal: float | None = None

    def to_world(self, points_camera: np.ndarray) -> np.ndarray:
        """Camera-frame points (..., 3) mm -> world (..., 3) mm (a global-path view only)."""
        if self.rotation is None:
            raise InputError("this view has no global path (view_take_path)")
        return (np.asarray(points_camera, dtype=np.float64) - self.translation) @ self.rotation


def load_takes(path, sources: tuple[str, ...] | None = None) -> list[Take]:
    """The takes of a sequence npz (labels `take`, `frame`, `fps`, `source`), frames in order."""
    poseset = load_pose_npz(Path(path))
    missing = {"fps", "source"} - set(poseset.extra)
    if missing:
        raise InputError(f"{path}: no per-frame {sorted(missing)} labels; expected a file made by make_sequences.py")
    roots = read_npz(Path(path)).get("root_mm")
    takes = []
    for name in dict.fromkeys(poseset.take):
        rows = np.flatnonzero(poseset.take == name)
        rows = rows[np.argsort(poseset.frame[rows])]
        source = str(poseset.extra["source"][rows[0]])
        if sources is None or source in sources:
            takes.append(Take(str(name), str(poseset.action[rows[0]]), source,
                              float(poseset.extra["fps"][rows[0]]), poseset.poses_3d[rows],
                              None if roots is None else np.asarray(roots[rows], dtype=np.float32)))
    return takes


def take_from_bvh(path, rig: str, every: int = 1) -> Take:
    """A BVH take read with `rig` (a shipped rig's name or a rig file, gfpose.data.rigs.find_rig), every
    `every`-th frame (at the file's rate / every): its root-relative world poses and root path; the
    file's folder names its action and source."""
    from gfpose.data.bvh import bvh_fps, load_bvh  # bvhio only here: the sequence npz needs none
    from gfpose.data.rigs import find_rig

    path = Path(path)
    if every < 1:
        raise InputError(f"every must be >= 1, got {every}")
    world = load_bvh(path, find_rig(rig))[::every]
    return Take(path.stem, path.parent.name, path.parent.name, bvh_fps(path) / every, world - world[:, :1],
                world[:, 0].copy())


def view_take(take: Take, camera: Cameras) -> TakeView:
    """The take through one camera (Cameras of length 1), every frame placed on the floor below it
    (gfpose.data.cameras.camera_views), as the model was trained to see people."""
    if len(camera) != 1:
        raise InputError(f"view_take needs one camera, got {len(camera)}")
    frames = len(take.poses)
    cameras = Cameras(**{k: v.expand(frames, *v.shape[1:]) for k, v in vars(camera).items()})
    track, keypoints = camera_views(torch.from_numpy(take.poses), cameras)
    return TakeView(take, track.numpy(), keypoints.numpy(), camera.size[0].numpy())


def view_take_path(take: Take, seed: int = 0) -> TakeView:
    """The take on its global path (take.root) through a fixed, seeded camera of
    gfpose.data.cameras.look_at_cameras aimed at the path's centre (0.75 m above the floor), at its
    drawn distance (4-6 m) or farther: far enough that the path's farthest point is at most
    HALF_VIEW_DEG off the optical axis."""
    if take.root is None:
        raise InputError(f"take {take.name}: no root path (a sequences.npz without root_mm)")
    world = take.poses.astype(np.float64) + take.root[:, None].astype(np.float64)
    centre = (world[:, 0, :2].min(axis=0) + world[:, 0, :2].max(axis=0)) / 2
    world = world - np.array([centre[0], centre[1], world[..., 2].min()])
    reach = float(np.linalg.norm(world[:, 0, :2], axis=-1).max())
    generator = torch.Generator().manual_seed(seed)
    drawn = float(4000.0 + 2000.0 * torch.rand(1, generator=generator, dtype=torch.float64))
    distance = max(drawn, reach / math.tan(math.radians(HALF_VIEW_DEG)))
    camera = look_at_cameras(torch.tensor([[0.0, 0.0, 750.0]], dtype=torch.float64), generator,
                             distance=(distance, distance))
    cameras = Cameras(**{k: v.expand(len(world), *v.shape[1:]) for k, v in vars(camera).items()})
    points = world_to_camera(torch.from_numpy(world), cameras)
    return TakeView(take, root_center(points).numpy().astype(np.float32),
                    project(points, cameras).numpy().astype(np.float32), camera.size[0].numpy().astype(np.float32),
                    world, camera.R[0].numpy(), camera.t[0].numpy(), float(camera.f[0, 0]))


def fixed_camera_views(takes: list[Take], seed: int = 0, global_path: bool = False) -> list[TakeView]:
    """Each take through its own fixed, seeded test camera (gfpose.data.cameras.fixed_test_cameras),
    every frame placed on the floor; or, with `global_path`, on its global path (view_take_path,
    camera seeded by seed + the take's index)."""
    if global_path:
        return [view_take_path(take, seed + i) for i, take in enumerate(takes)]
    cameras = fixed_test_cameras(len(takes), seed=seed)
    return [view_take(take, cameras[i:i + 1]) for i, take in enumerate(takes)]
