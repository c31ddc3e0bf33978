"""Virtual pinhole cameras (torch): placement around a subject, projection, screen normalisation.

Frames: world is mm with +z up and the floor at z = 0; a camera maps ``X_c = R X_w + t``
(mm, x right, y down, z forward, as in H36M/OpenCV). Default intrinsics mimic the H36M cameras:
1000 x 1000 px image, focal length 1145 px, principal point at the image centre; no lens distortion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import torch
from torch import Tensor

from gfpose.geometry import root_center

IMAGE_SIZE = (1000.0, 1000.0)
FOCAL = 1145.0
TRAINING_FOCAL_PER_WIDTH = FOCAL / IMAGE_SIZE[0]  # 1.145: the training camera's focal length / image width


@dataclass
class Cameras:
    """B cameras: ``R`` (B, 3, 3), ``t`` (B, 3) mm world->camera, ``f``, ``c``, ``size`` (B, 2) px."""

    R: Tensor
    t: Tensor
    f: Tensor
    c: Tensor
    size: Tensor

    def __len__(self) -> int:
        return len(self.R)

    def __getitem__(self, index) -> Cameras:
        return Cameras(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def to(self, *args, **kwargs) -> Cameras:
        return Cameras(**{f.name: getattr(self, f.name).to(*args, **kwargs) for f in fields(self)})


def _uniform(lo_hi, n: int, generator, like: Tensor) -> Tensor:
    lo, hi = lo_hi
    device = generator.device if generator is not None else like.device  # draw where the generator lives
    return lo + (hi - lo) * torch.rand(n, generator=generator, dtype=like.dtype, device=device).to(like.device)


def _rotation_xy(yaw: Tensor, pitch: Tensor) -> Tensor:
    """(B, 3, 3) rotation Rx(pitch) @ Ry(yaw), angles in radians."""
    cy, sy, cp, sp = yaw.cos(), yaw.sin(), pitch.cos(), pitch.sin()
    one, zero = torch.ones_like(yaw), torch.zeros_like(yaw)
    ry = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], -1).view(-1, 3, 3)
    rx = torch.stack([one, zero, zero, zero, cp, -sp, zero, sp, cp], -1).view(-1, 3, 3)
    return rx @ ry


def look_at_cameras(targets: Tensor, generator: torch.Generator | None = None,
                    distance=(4000.0, 6000.0), height=(1000.0, 2000.0), jitter_deg: float = 5.0,
                    focal: float = FOCAL, size=IMAGE_SIZE) -> Cameras:
    """Cameras around ``targets`` (B, 3) mm: uniform azimuth, horizontal ``distance`` (mm) from
    the target, camera ``height`` (mm) above the floor, upright (no roll), aimed at the target
    and then turned by a random yaw and pitch in +-``jitter_deg`` so the target lands up to
    ``focal * tan(jitter)`` px (100 px by default) from the image centre, not always at it.
    """
    b = len(targets)
    azimuth = _uniform((0.0, 2 * math.pi), b, generator, targets)
    dist = _uniform(distance, b, generator, targets)
    center = torch.stack([targets[:, 0] + dist * azimuth.cos(), targets[:, 1] + dist * azimuth.sin(),
                          _uniform(height, b, generator, targets)], -1)
    forward = torch.nn.functional.normalize(targets - center, dim=-1)
    up = torch.tensor([0.0, 0.0, 1.0], dtype=targets.dtype, device=targets.device).expand_as(forward)
    right = torch.nn.functional.normalize(torch.linalg.cross(forward, up), dim=-1)
    down = torch.linalg.cross(forward, right)
    jitter = math.radians(jitter_deg)
    turn = _rotation_xy(_uniform((-jitter, jitter), b, generator, targets),
                        _uniform((-jitter, jitter), b, generator, targets))
    R = turn @ torch.stack([right, down, forward], dim=1)
    t = -(R @ center[..., None])[..., 0]
    return Cameras(R=R, t=t, **intrinsics(b, focal, size, like=targets))


# Real cameras (TrainConfig.wide_cameras): pitch and roll of the optical axis, distance to the
# subject, and the subject's direction off the optical axis (a principal point off centre).
WIDE_CAMERAS = {"pitch_deg": (-30.0, 30.0), "roll_deg": (-30.0, 30.0), "distance_mm": (1500.0, 10000.0),
                "off_axis_deg": (-15.0, 15.0)}


def wide_cameras(targets: Tensor, generator: torch.Generator | None = None, focal: float = FOCAL,
                 size=IMAGE_SIZE) -> Cameras:
    """Cameras around ``targets`` (B, 3) mm over WIDE_CAMERAS: uniform azimuth, a pitch looking
    down (positive) or up at the target, a roll about the optical axis, a distance, and then a turn
    of up to ``off_axis_deg`` in yaw and pitch so the target lands off the image centre."""
    b, ranges = len(targets), {k: tuple(math.radians(x) for x in v) for k, v in WIDE_CAMERAS.items()
                               if k.endswith("_deg")}
    azimuth = _uniform((0.0, 2 * math.pi), b, generator, targets)
    pitch = _uniform(ranges["pitch_deg"], b, generator, targets)
    dist = _uniform(WIDE_CAMERAS["distance_mm"], b, generator, targets)
    # The camera sits on a sphere of radius `dist` around the target, `pitch` above its horizon.
    offset = torch.stack([pitch.cos() * azimuth.cos(), pitch.cos() * azimuth.sin(), pitch.sin()], -1)
    center = targets + dist[:, None] * offset
    forward = -offset
    up = torch.tensor([0.0, 0.0, 1.0], dtype=targets.dtype, device=targets.device).expand_as(forward)
    right = torch.nn.functional.normalize(torch.linalg.cross(forward, up), dim=-1)
    down = torch.linalg.cross(forward, right)
    roll = _uniform(ranges["roll_deg"], b, generator, targets)
    cr, sr, zero, one = roll.cos(), roll.sin(), torch.zeros_like(roll), torch.ones_like(roll)
    rz = torch.stack([cr, -sr, zero, sr, cr, zero, zero, zero, one], -1).view(-1, 3, 3)
    turn = _rotation_xy(_uniform(ranges["off_axis_deg"], b, generator, targets),
                        _uniform(ranges["off_axis_deg"], b, generator, targets))
    R = turn @ rz @ torch.stack([right, down, forward], dim=1)
    t = -(R @ center[..., None])[..., 0]
    return Cameras(R=R, t=t, **intrinsics(b, focal, size, like=targets))


def intrinsics(n: int, focal: float = FOCAL, size=IMAGE_SIZE, like: Tensor | None = None) -> dict:
    """``f``, ``c`` (principal point at the image centre) and ``size`` tensors, each (n, 2)."""
    kw = {} if like is None else dict(dtype=like.dtype, device=like.device)
    size_t = torch.tensor(size, **kw).expand(n, 2)
    return dict(f=torch.full((n, 2), float(focal), **kw), c=size_t / 2, size=size_t.clone())


def fixed_test_cameras(n: int, seed: int = 0, target_height: float = 750.0, **placement) -> Cameras:
    """``n`` reproducible cameras aimed at (0, 0, ``target_height``) mm, the pelvis of a standing
    subject placed by :func:`place_on_floor`; ``placement`` as in :func:`look_at_cameras`."""
    targets = torch.tensor([0.0, 0.0, target_height]).expand(n, 3)
    return look_at_cameras(targets, torch.Generator().manual_seed(seed), **placement)


def world_to_camera(points: Tensor, cameras: Cameras) -> Tensor:
    """World points (B, J, 3) mm -> camera frame (B, J, 3) mm."""
    return points @ cameras.R.transpose(1, 2) + cameras.t[:, None]


def project(points_cam: Tensor, cameras: Cameras) -> Tensor:
    """Camera-frame points (B, J, 3) mm -> pixels (B, J, 2), pinhole ``f * (x, y) / z + c``."""
    return cameras.f[:, None] * points_cam[..., :2] / points_cam[..., 2:] + cameras.c[:, None]


def normalize_screen(pixels: Tensor, size: Tensor) -> Tensor:
    """Pixels (..., J, 2) -> VideoPose3D screen coords ``X / w * 2 - [1, h / w]``; size (..., 2)."""
    w, h = size[..., None, 0:1], size[..., None, 1:2]
    return pixels / w * 2 - torch.cat([torch.ones_like(h), h / w], dim=-1)


def place_on_floor(poses_world: Tensor) -> Tensor:
    """Translate each pose (B, 17, 3) so its pelvis is over the origin and its lowest joint is
    on the floor (z = 0). Works for root-relative and absolute world poses alike (the ankle
    joint, usually lowest, then touches the floor, so the scene sits ~8 cm low: harmless for
    the camera-frame, root-relative targets)."""
    lowest = poses_world[..., 2].nan_to_num(nan=float("inf")).amin(dim=-1)
    shift = torch.stack([poses_world[:, 0, 0], poses_world[:, 0, 1], lowest], dim=-1)
    return poses_world - shift[:, None]


def camera_views(poses_world: Tensor, cameras: Cameras) -> tuple[Tensor, Tensor]:
    """World poses (B, 17, 3) mm seen by ``cameras`` after :func:`place_on_floor`.

    Returns the root-relative camera-frame pose (B, 17, 3) mm (what the model predicts) and the
    2D keypoints (B, 17, 2) px.
    """
    points = world_to_camera(place_on_floor(poses_world), cameras)
    return root_center(points), project(points, cameras)


def training_focal(image_size):
    """(N,) focal length in px of the training camera for images of (N, 2) sizes: 1.145 x width
    (numpy or torch)."""
    return TRAINING_FOCAL_PER_WIDTH * image_size[:, 0]


def to_training_camera(keypoints, image_size, focal_px: float | None):
    """(N, 17, 2) px of a camera with focal length ``focal_px`` -> the same viewing rays as the
    training camera images them (rescaled about the image centre by training_focal / focal_px);
    None: already the training camera's. numpy or torch."""
    if focal_px is None:
        return keypoints
    scale = training_focal(image_size) / focal_px
    center = image_size[:, None, :] / 2
    return center + (keypoints - center) * scale[:, None, None]
