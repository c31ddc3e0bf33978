"""Pose files: generic npz, the Human3.6M VideoPose3D layout, the bundled set, bad input."""

import warnings
from pathlib import Path

import numpy as np
import pytest

from gfpose.data import h36m
from gfpose.data.bandai import bundled_path
from gfpose.data.bvh_folder import choose_test_takes, keep_moving_frames
from gfpose.data.posefile import load_pose_npz, save_pose_npz
from gfpose.data.poseset import PoseSet
from gfpose.errors import InputError

CMU = Path(__file__).resolve().parents[2] / "shared/data/cmu-mocap-17/cmu17.npz"


def standing_poses(n, rng):
    """Rough standing poses (N, 17, 3) mm, z up, bones 100-450 mm."""
    base = np.array([[0, 0, 900], [-130, 0, 900], [-130, 0, 450], [-130, 0, 50], [130, 0, 900],
                     [130, 0, 450], [130, 0, 50], [0, 0, 1130], [0, 0, 1380], [0, -30, 1500],
                     [0, 0, 1620], [150, 0, 1380], [150, 0, 1100], [150, 0, 850], [-150, 0, 1380],
                     [-150, 0, 1100], [-150, 0, 850]], dtype=np.float32)
    return base + rng.normal(0, 10, (n, 17, 3)).astype(np.float32)


def test_generic_npz_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    poses = standing_poses(6, rng)
    labels = dict(action=np.array(["walk"] * 3 + ["run"] * 3), take=np.array(["a"] * 3 + ["b"] * 3),
                  frame=np.arange(6), split=np.array(["train"] * 3 + ["test"] * 3),
                  subject=np.full(6, "p1"), style=np.full(6, "happy"))
    path = save_pose_npz(tmp_path / "sub" / "poses.npz", poses_3d=poses, **labels)
    assert not [p for p in path.parent.iterdir() if p != path]  # no temporary file left
    ps = load_pose_npz(path)
    np.testing.assert_array_equal(ps.poses_3d, poses)
    assert ps.frame_kind == "world" and list(ps.action) == list(labels["action"])
    assert list(ps.extra["style"]) == ["happy"] * 6
    assert len(ps.select_split("test")) == 3 and set(ps.select_split("test").take) == {"b"}


def test_defaults_y_up_and_keypoints(tmp_path):
    rng = np.random.default_rng(1)
    z_up = standing_poses(4, rng)
    y_up = np.stack([z_up[..., 0], z_up[..., 2], -z_up[..., 1]], -1)  # inverse of the rotation
    save_pose_npz(tmp_path / "y.npz", poses_3d=y_up, up_axis="y")
    ps = load_pose_npz(tmp_path / "y.npz")
    np.testing.assert_allclose(ps.poses_3d, z_up, atol=1e-4)
    assert list(ps.split) == ["all"] * 4 and list(ps.frame) == [0, 1, 2, 3]
    save_pose_npz(tmp_path / "cam.npz", poses_3d=z_up, keypoints_2d=z_up[..., :2])
    cam = load_pose_npz(tmp_path / "cam.npz")
    assert cam.frame_kind == "camera" and (cam.image_size == 1000).all()


def test_file_without_split_labels_trains_and_tests_on_every_row(tmp_path, caplog):
    from gfpose.data.specs import open_dataset
    path = save_pose_npz(tmp_path / "unlabelled.npz", poses_3d=standing_poses(5, np.random.default_rng(6)))
    with caplog.at_level("WARNING"):
        train = open_dataset(str(path), "train")  # what `gfpose train --data unlabelled.npz` selects
    said = [r.getMessage() for r in caplog.records if "split" in r.getMessage()]
    assert len(said) == 1 and "unlabelled.npz" in said[0] and "all 5 poses" in said[0]
    assert len(train) == len(open_dataset(str(path), "test")) == 5


def test_rows_of_split_all_belong_to_train_and_test():
    ps = PoseSet(poses_3d=standing_poses(4, np.random.default_rng(7)), action=np.full(4, "a"),
                 subject=np.full(4, "s"), take=np.full(4, "t"), frame=np.arange(4),
                 split=np.array(["train", "test", "all", "train"]))
    assert list(ps.select_split("train").frame) == [0, 2, 3]
    assert list(ps.select_split("test").frame) == [1, 2]


def test_save_pose_npz_writes_exactly_the_named_file(tmp_path):
    poses = standing_poses(2, np.random.default_rng(8))
    path = save_pose_npz(tmp_path / "poses.data", poses_3d=poses)  # numpy alone would add '.npz'
    assert [p.name for p in tmp_path.iterdir()] == ["poses.data"]
    np.testing.assert_array_equal(load_pose_npz(path).poses_3d, poses)


def test_metres_instead_of_mm(tmp_path):
    save_pose_npz(tmp_path / "metres.npz", poses_3d=standing_poses(3, np.random.default_rng(2)) / 1000)
    with pytest.raises(InputError, match="metres.npz.*metres"):
        load_pose_npz(tmp_path / "metres.npz")


def test_poses_with_single_joints_load_without_a_unit_guess(tmp_path):
    """With no bone whose two joints are both present, units cannot be judged: no error, no warning."""
    poses = np.full((4, 17, 3), np.nan, dtype=np.float32)
    poses[np.arange(4), np.arange(4)] = 500.0
    save_pose_npz(tmp_path / "sparse.npz", poses_3d=poses)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(load_pose_npz(tmp_path / "sparse.npz")) == 4


@pytest.mark.parametrize("case", ["truncated", "garbage", "no_key", "shape", "all_nan", "missing"])
def test_bad_files_raise_naming_the_file(tmp_path, case):
    path = tmp_path / f"{case}.npz"
    good = standing_poses(50, np.random.default_rng(3))
    if case == "truncated":
        save_pose_npz(path, poses_3d=good)
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif case == "garbage":
        path.write_bytes(b"not a zip file at all")
    elif case == "no_key":
        save_pose_npz(path, joints=good)
    elif case == "shape":
        save_pose_npz(path, poses_3d=good[:, :16])
    elif case == "all_nan":
        good[7] = np.nan
        save_pose_npz(path, poses_3d=good)
    with pytest.raises(InputError, match=f"{case}.npz"):
        load_pose_npz(path)


def test_poseset_every_and_subset():
    ps = PoseSet(poses_3d=standing_poses(10, np.random.default_rng(4)), action=np.full(10, "a"),
                 subject=np.full(10, "s"), take=np.array(["x"] * 5 + ["y"] * 5), frame=np.arange(10),
                 split=np.full(10, "train"))
    assert list(ps.every(2).frame) == [0, 2, 4, 5, 7, 9]
    assert list(ps.subset(np.array([3, 1])).frame) == [3, 1]
    with pytest.raises(InputError, match="split"):
        ps.select_split("val")
    with pytest.raises(InputError, match="camera"):
        PoseSet(**{k: getattr(ps, k) for k in ("poses_3d", "action", "subject", "take", "frame", "split")},
                frame_kind="camera")


# --- Human3.6M, VideoPose3D layout -------------------------------------------------------------

def write_h36m(tmp_path, frames=3):
    rng = np.random.default_rng(5)
    positions = {}
    for subject in ("S1", "S9"):
        seq = np.zeros((frames, 32, 3))
        seq[:, h36m.KEPT_JOINTS] = standing_poses(frames, rng) / 1000  # metres, world
        seq[:, :, :2] += [0.3, -0.2]
        seq[:, list(h36m.DROPPED_JOINTS)] = 99.0  # must vanish
        positions[subject] = {"Walking 1": seq}
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d=positions)
    return positions


def test_h36m_layout_cameras_and_split(tmp_path):
    positions = write_h36m(tmp_path)
    ps = h36m.load_h36m(tmp_path / "data_3d_h36m.npz", subjects=("S1", "S9"))
    assert len(ps) == 2 * 4 * 3 and ps.frame_kind == "camera"
    assert set(ps.select_split("train").subject) == {"S1"} and set(ps.select_split("test").subject) == {"S9"}
    assert set(ps.action) == {"Walking"} and "S1/Walking 1/54138969" in set(ps.take)
    np.testing.assert_allclose(ps.poses_3d[:, 0], 0, atol=1e-3)
    # rotation into each camera keeps all distances (32 -> 17 selection as VideoPose3D)
    world = positions["S1"]["Walking 1"][0, [0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27]] * 1000
    cam = ps.poses_3d[0]
    d = lambda x: np.linalg.norm(x[:, None] - x[None], axis=-1)  # noqa: E731
    np.testing.assert_allclose(d(cam), d(world), atol=1e-2)
    assert (ps.keypoints_2d > 0).all() and (ps.keypoints_2d < 1002).all()  # subject in view


def test_h36m_camera_convention_closed_form():
    for subject in h36m.EXTRINSICS:
        for cam in range(4):
            q, centre = h36m.EXTRINSICS[subject][cam]
            axis = h36m.quaternion_to_matrix(q)[:, 2]  # optical axis in world
            point = np.asarray(centre) + 3000 * axis
            pc = h36m.world_to_camera(point[None], subject, cam)[0]
            np.testing.assert_allclose(pc, [0, 0, 3000], atol=1e-6)
            np.testing.assert_allclose(h36m.project_distorted(pc[None], cam)[0], h36m.CAMERAS[cam][2])
            # the capture area's centre (world origin, 1 m up) is in front and in the image
            origin = h36m.world_to_camera(np.array([[0, 0, 1000.0]]), subject, cam)
            assert origin[0, 2] > 2000
            assert ((h36m.project_distorted(origin, cam) > 0) & (h36m.project_distorted(origin, cam) < 1000)).all()


def test_h36m_2d_file_is_used_and_trimmed(tmp_path):
    write_h36m(tmp_path, frames=3)
    kp = {s: {"Walking 1": [np.full((5, 17, 2), 10.0 * c, dtype=np.float32) for c in range(4)]}
          for s in ("S1", "S9")}
    np.savez(tmp_path / "data_2d_h36m_gt.npz", positions_2d=kp, metadata={"layout_name": "h36m"})
    ps = h36m.load_h36m(tmp_path / "data_3d_h36m.npz", tmp_path / "data_2d_h36m_gt.npz",
                        subjects=("S1",), cameras=(2,))
    assert len(ps) == 3 and (ps.keypoints_2d == 20.0).all()


def test_h36m_bad_files(tmp_path):
    (tmp_path / "broken.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match="broken.npz"):
        h36m.load_h36m(tmp_path / "broken.npz")
    write_h36m(tmp_path)
    with pytest.raises(InputError, match="S5"):
        h36m.load_h36m(tmp_path / "data_3d_h36m.npz", subjects=("S5",))


# --- bundled set and its build rules -----------------------------------------------------------

def test_keep_moving_frames_threshold():
    x = np.zeros((6, 17, 3), dtype=np.float32)
    x[:, 5, 0] = [0, 5, 12, 30, 31, 60]  # one joint moving (mm)
    assert list(keep_moving_frames(x, 20.0)) == [0, 3, 5]


def test_split_rule_is_stratified_and_deterministic():
    names = [f"t{i}" for i in range(40)]
    groups = ["a"] * 30 + ["b"] * 9 + ["c"]
    test = choose_test_takes(names, groups, 0.1)
    assert test[:30].sum() == 3 and test[30:39].sum() == 1 and not test[39]  # single take: train
    np.testing.assert_array_equal(test, choose_test_takes(names[::-1], groups[::-1], 0.1)[::-1])


def test_bundled_split_by_whole_takes():
    if not bundled_path().exists():
        pytest.skip("bundled dataset not built")
    from gfpose.data.bandai import load_bundled
    ps = load_bundled()
    train, test = ps.select_split("train"), ps.select_split("test")
    assert not set(train.take) & set(test.take)
    takes = {(s, a, t) for s, a, t in zip(ps.extra["source"], ps.action, ps.take)}
    groups, counts = np.unique([f"{s}/{a}" for s, a, _ in takes], return_counts=True)
    in_test = {f"{s}/{a}" for s, a in zip(test.extra["source"], test.action)}
    assert in_test == set(groups[counts > 1])  # every content with 2+ takes is tested
    assert 0.07 < len(set(test.take)) / len(set(ps.take)) < 0.13
    with np.load(bundled_path()) as z:
        assert "CC BY-NC 4.0" in str(z["attribution"])


@pytest.mark.skipif(not CMU.exists(), reason="shared CMU data not present")
def test_reads_cmu_file():
    ps = load_pose_npz(CMU)
    assert ps.poses_3d.shape == (8076, 17, 3) and set(ps.split) == {"train", "test"}
    assert np.mean(ps.poses_3d[:, 10, 2] > ps.poses_3d[:, 0, 2]) > 0.95  # z up
