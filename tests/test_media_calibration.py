"""The Qualisys calibration reader on hand-worked cameras: values read, axes, position, distortion."""

import numpy as np
import pytest

from gfpose.errors import InputError
from gfpose.media.calibration import read_qualisys

# Two cameras, 1000 x 800 px, f = 1000 px, principal point (500, 400) px (in 1/64 px: 64000,
# 32000, 25600). "front" sits at the world origin looking down world -z with y up (r = identity);
# "side" sits at x = 3000 mm looking back at the origin (down world -x) with z up, its crop starting
# 8 px from the sensor's left edge, and with lens distortion k1 = 0.1, p1 = 0.01.
QCA = """<?xml version='1.0' encoding='ASCII'?>
<calibration><cameras>
  <camera active="1" serial="front">
    <fov_video bottom="799" left="0" right="999" top="0"/>
    <transform r11="1" r12="0" r13="0" r21="0" r22="1" r23="0" r31="0" r32="0" r33="1" x="0" y="0" z="0"/>
    <intrinsic centerPointU="32000" centerPointV="25600" focalLengthU="64000" focalLengthV="64000"
      radialDistortion1="0" radialDistortion2="0" radialDistortion3="0"
      tangentalDistortion1="0" tangentalDistortion2="0"/>
  </camera>
  <camera active="1" serial="side">
    <fov_video bottom="799" left="8" right="1007" top="0"/>
    <transform r11="0" r12="1" r13="0" r21="0" r22="0" r23="1" r31="1" r32="0" r33="0" x="3000" y="0" z="0"/>
    <intrinsic centerPointU="32512" centerPointV="25600" focalLengthU="64000" focalLengthV="64000"
      radialDistortion1="0.1" radialDistortion2="0" radialDistortion3="0"
      tangentalDistortion1="0.01" tangentalDistortion2="0"/>
  </camera>
</cameras></calibration>
"""


@pytest.fixture
def cameras(tmp_path):
    path = tmp_path / "Calib.qca.txt"
    path.write_text(QCA)
    return read_qualisys(path)


def test_reads_intrinsics_extrinsics_and_size(cameras):
    front, side = cameras
    assert [c.name for c in cameras] == ["front", "side"]
    assert front.image_size == side.image_size == (1000, 800)
    np.testing.assert_allclose(front.K, [[1000, 0, 500], [0, 1000, 400], [0, 0, 1]])
    np.testing.assert_allclose(side.K[:2, 2], [500, 400])  # 32512 / 64 = 508, minus the crop's 8
    np.testing.assert_allclose(side.dist, [0.1, 0, 0.01, 0, 0])
    np.testing.assert_allclose(front.R, np.diag([1, -1, -1]))
    np.testing.assert_allclose(side.centre, [3000, 0, 0], atol=1e-9)


def test_projects_hand_worked_points(cameras):
    pytest.importorskip("cv2")
    front, side = cameras
    # front: world (100, 50, -2000) is 2 m ahead, 100 mm right and 50 mm up:
    # u = 500 + 1000 * 100 / 2000, v = 400 - 1000 * 50 / 2000.
    np.testing.assert_allclose(front.project(np.array([100.0, 50.0, -2000.0])), [550, 375], atol=1e-9)
    # side: world (0, 600, 300) is 3 m ahead, 600 mm right (world +y), 300 mm up (world +z), so
    # normalised (0.2, -0.1), r^2 = 0.05; OpenCV's model with k1 = 0.1, p1 = 0.01:
    # x' = 0.2 * 1.005 + 2 * 0.01 * 0.2 * -0.1 = 0.2006, y' = -0.1 * 1.005 + 0.01 * (0.05 + 0.02) = -0.0998.
    np.testing.assert_allclose(side.project(np.array([0.0, 600.0, 300.0])), [700.6, 300.2], atol=1e-9)


def test_normalise_inverts_project(cameras):
    pytest.importorskip("cv2")
    points = np.random.default_rng(0).uniform([-800, -800, -800], [800, 800, 800], (50, 3))
    side = cameras[1]
    camera_points = points @ side.R.T + side.t
    np.testing.assert_allclose(side.normalise(side.project(points)),
                               camera_points[:, :2] / camera_points[:, 2:], atol=1e-9)


def test_not_a_calibration_names_the_file(tmp_path):
    path = tmp_path / "bad.qca.txt"
    path.write_text("<calibration><cameras><camera serial='x'/></cameras></calibration>")
    with pytest.raises(InputError, match="bad.qca.txt"):
        read_qualisys(path)
    path.write_text("not xml")
    with pytest.raises(InputError, match="bad.qca.txt"):
        read_qualisys(path)
