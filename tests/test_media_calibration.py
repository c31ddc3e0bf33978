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


def pose2sim_toml(camera) -> str:
    """A camera as Pose2Sim writes it: R as a Rodrigues vector, t in metres, distortions k1, k2, p1, p2."""
    from scipy.spatial.transform import Rotation
    rotvec = Rotation.from_matrix(camera.R).as_rotvec()
    return (f'[cam_01]\nname = "{camera.name}"\nsize = [ {camera.image_size[0]}.0, {camera.image_size[1]}.0,]\n'
            f"matrix = {[list(map(float, row)) for row in camera.K]}\n"
            f"distortions = {list(map(float, camera.dist[:4]))}\nrotation = {list(map(float, rotvec))}\n"
            f"translation = {list(map(float, camera.t / 1000))}\nfisheye = false\n\n"
            "[metadata]\nadjusted = false\nerror = 0.0\n")


def test_pose2sim_toml_holds_the_same_camera(cameras, tmp_path):
    from gfpose.media.calibration import find_camera, read_calibration
    side = cameras[1]
    path = tmp_path / "Calib_board.toml"
    path.write_text(pose2sim_toml(side))
    (read,) = read_calibration(path)
    assert read.name == "side" and read.image_size == side.image_size
    for a, b in ((read.K, side.K), (read.R, side.R), (read.t, side.t), (read.dist[:4], side.dist[:4])):
        np.testing.assert_allclose(a, b, atol=1e-9)
    assert find_camera([read], "1", "x") is read and find_camera([read], "side", "x") is read
    with pytest.raises(InputError, match="no camera 'cam9'"):
        find_camera([read], "cam9", str(path))
    path.write_text('[cam_01]\nname = "a"\nsize = [1, 2]\n')
    with pytest.raises(InputError, match=r"camera \[cam_01\] is not a Pose2Sim camera"):
        read_calibration(path)
    with pytest.raises(InputError, match="unknown calibration format"):
        read_calibration(tmp_path / "calib.yaml")


def test_ideal_pinhole_is_the_undistorted_ray_at_the_image_centre(cameras):
    """A world point's distorted pixel -> the pixel an ideal camera (same focal, principal point at the
    centre, no distortion) gives the same ray: centre + f (X / Z, Y / Z) in camera coordinates."""
    pytest.importorskip("cv2")
    side = cameras[1]
    world = np.array([[200.0, 300.0, -150.0], [-100.0, -250.0, 400.0]])
    pixels = side.project(world)
    ideal, focal = side.ideal_pinhole(np.vstack([pixels, [[np.nan, np.nan]]]))
    cam = world @ side.R.T + side.t
    assert focal == 1000.0
    np.testing.assert_allclose(ideal[:2], np.array([500.0, 400.0]) + focal * cam[:, :2] / cam[:, 2:], atol=1e-6)
    assert np.isnan(ideal[2]).all()


def test_exif_35mm_equivalent_focal(tmp_path):
    """A 4000 x 3000 photo whose EXIF says 26 mm (35 mm equivalent): 26 x 5000 / 43.27 = 3004 px."""
    from PIL import Image

    from gfpose.media.calibration import exif_focal_px
    image = Image.new("RGB", (4000, 3000))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 26
    image.save(tmp_path / "photo.jpg", exif=exif)
    assert exif_focal_px(tmp_path / "photo.jpg") == pytest.approx(26 * 5000 / np.hypot(36, 24))
    Image.new("RGB", (40, 30)).save(tmp_path / "plain.jpg")
    assert exif_focal_px(tmp_path / "plain.jpg") is None
