"""Virtual cameras: projection, screen normalisation, look-at placement, views."""

import math

import numpy as np
import pytest
import torch

from gfpose.data.cameras import (
    FOCAL,
    Cameras,
    camera_views,
    fixed_test_cameras,
    intrinsics,
    look_at_cameras,
    normalize_screen,
    place_on_floor,
    project,
    world_to_camera,
)


def cams(n=64, seed=0, **kw):
    g = torch.Generator().manual_seed(seed)
    targets = torch.randn(n, 3, generator=g, dtype=torch.float64) * 500 + torch.tensor([0, 0, 900.0],
                                                                                         dtype=torch.float64)
    return targets, look_at_cameras(targets, g, **kw)


def test_project_hand_value():
    c = Cameras(R=torch.eye(3)[None], t=torch.zeros(1, 3), **intrinsics(1))
    points = torch.tensor([[[100.0, -200.0, 1000.0], [0.0, 0.0, 5000.0]]])
    # f * (x, y) / z + c with f = 1145 px and c = (500, 500) px
    expected = torch.tensor([[[500 + 114.5, 500 - 229.0], [500.0, 500.0]]])
    torch.testing.assert_close(project(points, c), expected)


def test_normalize_screen_hand_value():
    size = torch.tensor([[1000.0, 1002.0]])
    px = torch.tensor([[[500.0, 501.0], [0.0, 0.0], [1000.0, 1002.0]]])
    expected = torch.tensor([[[0.0, 0.0], [-1.0, -1.002], [1.0, 1.002]]])
    torch.testing.assert_close(normalize_screen(px, size), expected)


def test_cameras_are_rotations_and_upright():
    _, c = cams(jitter_deg=0.0)
    eye = torch.eye(3, dtype=c.R.dtype).expand_as(c.R)
    torch.testing.assert_close(c.R @ c.R.transpose(1, 2), eye)
    assert torch.allclose(torch.linalg.det(c.R), torch.ones(len(c), dtype=c.R.dtype))
    assert (c.R[:, 1, 2] < 0).all()  # image y (down) points against world +z
    assert c.R[:, 0, 2].abs().max() < 1e-9  # no roll: image x stays horizontal


@pytest.mark.parametrize("jitter", [0.0, 5.0])
def test_target_projects_near_centre_within_jitter(jitter):
    targets, c = cams(jitter_deg=jitter)
    px = project(world_to_camera(targets[:, None], c), c)[:, 0]
    off = (px - c.c).abs()
    # yaw/pitch of j degrees moves the target by at most f*tan(j)/cos(j) px
    bound = FOCAL * math.tan(math.radians(jitter)) / math.cos(math.radians(jitter)) + 1e-6
    assert (off <= bound).all()
    if jitter:
        assert off.max() > 0.3 * bound  # the aim offset is really applied
    assert (world_to_camera(targets[:, None], c)[:, 0, 2] > 0).all()  # in front


def test_distances_and_heights_in_range():
    targets, c = cams(n=500)
    centre = -(c.R.transpose(1, 2) @ c.t[..., None])[..., 0]  # camera centres in world mm: -R^T t
    horizontal = (centre[:, :2] - targets[:, :2]).norm(dim=-1)
    assert horizontal.min() >= 4000 - 1e-6 and horizontal.max() <= 6000 + 1e-6
    assert centre[:, 2].min() >= 1000 - 1e-6 and centre[:, 2].max() <= 2000 + 1e-6
    azimuth = torch.atan2(centre[:, 1] - targets[:, 1], centre[:, 0] - targets[:, 0])
    assert torch.histc(azimuth, bins=4, min=-math.pi, max=math.pi).min() > 80  # all around


def test_fixed_test_cameras_are_deterministic():
    a, b, other = fixed_test_cameras(8, seed=3), fixed_test_cameras(8, seed=3), fixed_test_cameras(8, seed=4)
    torch.testing.assert_close(a.R, b.R)
    torch.testing.assert_close(a.t, b.t)
    assert not torch.allclose(a.t, other.t)


def test_camera_views_rootrel_and_rigid():
    g = torch.Generator().manual_seed(1)
    poses = torch.randn(16, 17, 3, generator=g) * 300
    poses = poses - poses[:, :1]  # root-relative world poses, like the bundled set
    placed = place_on_floor(poses)
    assert torch.allclose(placed[..., 2].amin(-1), torch.zeros(16))
    assert torch.allclose(placed[:, 0, :2], torch.zeros(16, 2))
    c = look_at_cameras(placed[:, 0], g)
    rootrel, kp = camera_views(poses, c)
    torch.testing.assert_close(rootrel[:, 0], torch.zeros(16, 3))
    # rigid: all pairwise distances kept
    torch.testing.assert_close(torch.cdist(rootrel, rootrel), torch.cdist(poses, poses), atol=1e-2, rtol=1e-4)
    torch.testing.assert_close(kp, project(world_to_camera(placed, c), c))
    assert np.isfinite(kp.numpy()).all()


def test_wide_cameras_span_the_real_world_ranges():
    """Pitch and roll reach +-30 degrees (plus the off-axis turn), distances 1.5-10 m, and the
    target lands off centre by at most the off-axis turn; every camera is a rotation."""
    from gfpose.data.cameras import WIDE_CAMERAS, wide_cameras
    g = torch.Generator().manual_seed(0)
    targets = torch.randn(4000, 3, generator=g, dtype=torch.float64) * 300 + torch.tensor([0, 0, 900.0],
                                                                                          dtype=torch.float64)
    c = wide_cameras(targets, g)
    eye = torch.eye(3, dtype=c.R.dtype).expand_as(c.R)
    torch.testing.assert_close(c.R @ c.R.transpose(1, 2), eye)
    centre = -(c.R.transpose(1, 2) @ c.t[..., None])[..., 0]
    distance = (centre - targets).norm(dim=-1)
    lo, hi = WIDE_CAMERAS["distance_mm"]
    assert distance.min() >= lo - 1e-6 and distance.max() <= hi + 1e-6
    assert distance.min() < lo + 200 and distance.max() > hi - 200
    up = c.R @ torch.tensor([0.0, 0.0, 1.0], dtype=c.R.dtype)  # world up in camera axes
    pitch = torch.rad2deg(torch.asin(-up[:, 2]))  # looking down: image forward against world up
    roll = torch.rad2deg(torch.atan2(up[:, 0], -up[:, 1]))
    off = WIDE_CAMERAS["off_axis_deg"][1]
    for angle, limit in ((pitch, WIDE_CAMERAS["pitch_deg"][1]), (roll, WIDE_CAMERAS["roll_deg"][1])):
        assert angle.min() < -limit + 3 and angle.max() > limit - 3
        assert angle.abs().max() <= limit + 1.5 * off
    px = project(world_to_camera(targets[:, None], c), c)[:, 0]
    # a yaw then a pitch of at most `off` degrees each: the ray is at most ~sqrt(2) * off off axis
    ray = torch.rad2deg(torch.atan((px - c.c).norm(dim=-1) / FOCAL))
    assert ray.max() <= math.sqrt(2) * off + 0.5 and ray.max() > 0.7 * off
    assert (world_to_camera(targets[:, None], c)[:, 0, 2] > 0).all()
