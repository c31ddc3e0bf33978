"""Human3.6M as VideoPose3D ships it: a structurally faithful replica of the real files.

The real files (docs/H36M.md) cannot be shipped; this replica copies their structure as made by
VideoPose3D's ``data/prepare_data_h36m.py`` and ``data/prepare_data_2d_h36m_generic.py``:

* ``data_3d_h36m.npz``: ``positions_3d`` = {subject: {take name: (F, 32, 3) float32 metres}},
  written with ``np.savez_compressed`` (a 0-d object array holding the pickled dict), the 7 labelled
  subjects with the real take names (S11 without 'Directions', whose video is corrupted);
* ``data_2d_h36m_<detections>.npz``: ``positions_2d`` = {subject: {take name: [4 x (F', 17, 2)
  float32 px]}} with F' >= F (videos with extra frames), unlabelled subjects S2-S4 in the detection
  files, and ``metadata`` (``layout_name``, ``num_joints``, ``keypoints_symmetry``; no
  ``layout_name`` in the ground-truth file).

Every check compares with what was written here, not with the loader's own output.
"""

import copy
import json
import logging

import numpy as np
import pytest

from gfpose.data import h36m
from gfpose.errors import InputError

# The take names of each subject in VideoPose3D's files ('Photo'/'WalkDog' spelling; S1's original
# files say 'TakingPhoto'/'WalkingDog'). 30 takes each, 29 for S11 (no 'Directions').
_TAKES = {
    "S1": "Directions 1|Directions|Discussion 1|Discussion|Eating 2|Eating|Greeting 1|Greeting|Phoning 1|"
          "Phoning|Posing 1|Posing|Purchases 1|Purchases|Sitting 1|Sitting 2|SittingDown 2|SittingDown|"
          "Smoking 1|Smoking|Photo 1|Photo|Waiting 1|Waiting|Walking 1|Walking|WalkDog 1|WalkDog|"
          "WalkTogether 1|WalkTogether",
    "S5": "Directions 1|Directions 2|Discussion 2|Discussion 3|Eating 1|Eating|Greeting 1|Greeting 2|"
          "Phoning 1|Phoning|Posing 1|Posing|Purchases 1|Purchases|Sitting 1|Sitting|SittingDown 1|"
          "SittingDown|Smoking 1|Smoking|Photo|Photo 2|Waiting 1|Waiting 2|Walking 1|Walking|WalkDog 1|"
          "WalkDog|WalkTogether 1|WalkTogether",
    "S6": "Directions 1|Directions|Discussion 1|Discussion|Eating 1|Eating 2|Greeting 1|Greeting|Phoning 1|"
          "Phoning|Posing 2|Posing|Purchases 1|Purchases|Sitting 1|Sitting 2|SittingDown 1|SittingDown|"
          "Smoking 1|Smoking|Photo|Photo 1|Waiting 3|Waiting|Walking 1|Walking|WalkDog 1|WalkDog|"
          "WalkTogether 1|WalkTogether",
    "S7": "Directions 1|Directions|Discussion 1|Discussion|Eating 1|Eating|Greeting 1|Greeting|Phoning 2|"
          "Phoning|Posing 1|Posing|Purchases 1|Purchases|Sitting 1|Sitting|SittingDown|SittingDown 1|"
          "Smoking 1|Smoking|Photo|Photo 1|Waiting 1|Waiting 2|Walking 1|Walking 2|WalkDog 1|WalkDog|"
          "WalkTogether 1|WalkTogether",
    "S8": "Directions 1|Directions|Discussion 1|Discussion|Eating 1|Eating|Greeting 1|Greeting|Phoning 1|"
          "Phoning|Posing 1|Posing|Purchases 1|Purchases|Sitting 1|Sitting|SittingDown|SittingDown 1|"
          "Smoking 1|Smoking|Photo 1|Photo|Waiting 1|Waiting|Walking 1|Walking|WalkDog 1|WalkDog|"
          "WalkTogether 1|WalkTogether 2",
    "S9": "Directions 1|Directions|Discussion 1|Discussion 2|Eating 1|Eating|Greeting 1|Greeting|Phoning 1|"
          "Phoning|Posing 1|Posing|Purchases 1|Purchases|Sitting 1|Sitting|SittingDown|SittingDown 1|"
          "Smoking 1|Smoking|Photo 1|Photo|Waiting 1|Waiting|Walking 1|Walking|WalkDog 1|WalkDog|"
          "WalkTogether 1|WalkTogether",
    "S11": "Directions 1|Discussion 1|Discussion 2|Eating 1|Eating|Greeting 2|Greeting|Phoning 3|Phoning 2|"
           "Posing 1|Posing|Purchases 1|Purchases|Sitting 1|Sitting|SittingDown|SittingDown 1|Smoking 2|"
           "Smoking|Photo 1|Photo|Waiting 1|Waiting|Walking 1|Walking|WalkDog 1|WalkDog|WalkTogether 1|"
           "WalkTogether",
}
TAKES = {subject: names.split("|") for subject, names in _TAKES.items()}
ACTIONS = {"Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing", "Purchases",
           "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking", "WalkTogether"}
CAMERA_IDS = ("54138969", "55011271", "58860488", "60457274")
H36M_META = {"layout_name": "h36m", "num_joints": 17,
             "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}
COCO_META = {"layout_name": "coco", "num_joints": 17,
             "keypoints_symmetry": [[1, 3, 5, 7, 9, 11, 13, 15], [2, 4, 6, 8, 10, 12, 14, 16]]}
GT_META = {"num_joints": 17, "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]]}

# Parents of the 32 mocap joints; the 15 unused ones are placed on their parent, as they are
# (near-)duplicates in the real data.
PARENTS_32 = (-1, 0, 1, 2, 3, 4, 0, 6, 7, 8, 9, 0, 11, 12, 13, 14, 12, 16, 17, 18, 19, 20, 19, 22, 12,
              24, 25, 26, 27, 28, 27, 30)
# The 32-joint index of each H36M-17 joint (pelvis, R hip/knee/ankle, L hip/knee/ankle, spine,
# thorax, nose, head, L shoulder/elbow/wrist, R shoulder/elbow/wrist).
USED_32 = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
# A standing person, metres, z up, facing -y: the H36M-17 joints.
STANDING_17 = np.array([[0, 0, .90], [-.13, 0, .90], [-.13, 0, .45], [-.13, .05, .05], [.13, 0, .90],
                        [.13, 0, .45], [.13, .05, .05], [0, 0, 1.13], [0, 0, 1.38], [0, -.08, 1.50],
                        [0, 0, 1.62], [.17, 0, 1.38], [.20, 0, 1.10], [.22, -.05, .85], [-.17, 0, 1.38],
                        [-.20, 0, 1.10], [-.22, -.05, .85]])


def mocap_frames(count, rng):
    """(count, 32, 3) float32 world positions in metres: the standing person with a little noise,
    turned about z and placed within 1 m of the capture area's centre."""
    pose17 = STANDING_17 + rng.normal(0, 0.01, (count, 17, 3))
    yaw = rng.uniform(-np.pi, np.pi)
    turn = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    pose17 = pose17 @ turn.T + [*rng.uniform(-1, 1, 2), 0]
    out = np.zeros((count, 32, 3))
    out[:, list(USED_32)] = pose17
    for j in range(32):
        if j not in USED_32:
            out[:, j] = out[:, PARENTS_32[j]] + 0.005
    return out.astype(np.float32)


def detections(world_m, subject, camera, extra, rng):
    """Detector-like H36M-17 px (F + extra, 17, 2) float32: the projection plus noise; the extra
    frames at the end (videos longer than the mocap) continue the last one."""
    points = h36m.world_to_camera(world_m[:, list(USED_32)] * 1000.0, subject, camera)
    kp = h36m.project_distorted(points, camera) + rng.normal(0, 3, (len(world_m), 17, 2))
    return np.concatenate([kp, np.repeat(kp[-1:] + 1.5, extra, axis=0)]).astype(np.float32)


def to_coco(kp):
    """COCO-17 px from H36M-17 px, as a COCO detector would give them (eyes and ears near the head)."""
    head, nose = kp[:, 10], kp[:, 9]
    coco = [nose, head + [-8, -4], head + [8, -4], head + [-15, 0], head + [15, 0],  # 0 nose, 1-4 eyes, ears
            kp[:, 11], kp[:, 14], kp[:, 12], kp[:, 15], kp[:, 13], kp[:, 16],         # 5-10 L/R sho, elb, wri
            kp[:, 4], kp[:, 1], kp[:, 5], kp[:, 2], kp[:, 6], kp[:, 3]]               # 11-16 L/R hip, knee, ank
    return np.stack(coco, axis=1).astype(np.float32)


def write_replica(folder, frames=(3, 6), seed=0, unlabelled=("S2", "S3", "S4")):
    """The VideoPose3D files in ``folder``; each take has a frame count drawn from ``frames``
    (low, high) and each camera's video 0-2 extra frames. Returns what was written."""
    rng = np.random.default_rng(seed)
    positions_3d, cpn, coco, gt = {}, {}, {}, {}
    for subject, takes in TAKES.items():
        positions_3d[subject], cpn[subject], coco[subject], gt[subject] = {}, {}, {}, {}
        for take in takes:
            world = mocap_frames(int(rng.integers(frames[0], frames[1] + 1)), rng)
            positions_3d[subject][take] = world
            views = [detections(world, subject, c, int(rng.integers(0, 3)), rng) for c in range(4)]
            cpn[subject][take] = views
            coco[subject][take] = [to_coco(v) for v in views]
            gt[subject][take] = [v[:len(world)] for v in views]
    for subject in unlabelled:  # no 3D: must be ignored
        cpn[subject] = {"Walking 1": [np.zeros((9, 17, 2), np.float32)] * 4}
    np.savez_compressed(folder / "data_3d_h36m.npz", positions_3d=positions_3d)
    np.savez_compressed(folder / "data_2d_h36m_cpn_ft_h36m_dbb.npz", positions_2d=cpn, metadata=H36M_META)
    np.savez_compressed(folder / "data_2d_h36m_detectron_pt_coco.npz", positions_2d=coco, metadata=COCO_META)
    np.savez_compressed(folder / "data_2d_h36m_gt.npz", positions_2d=gt, metadata=GT_META)
    return {"3d": positions_3d, "cpn": cpn, "coco": coco}


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    folder = tmp_path_factory.mktemp("h36m")
    return folder, write_replica(folder)


def rows_of(ps, subject, take, camera):
    """Row indices of one take and camera in frame order."""
    index = np.flatnonzero(ps.take == f"{subject}/{take}/{CAMERA_IDS[camera]}")
    return index[np.argsort(ps.frame[index])]


def test_real_files_are_pickled_dicts_as_videopose3d_writes_them(replica):
    folder, _ = replica
    with np.load(folder / "data_2d_h36m_cpn_ft_h36m_dbb.npz", allow_pickle=True) as z:
        assert sorted(z.files) == ["metadata", "positions_2d"]
        assert z["positions_2d"].dtype == object and z["positions_2d"].shape == ()
        assert z["metadata"].item()["layout_name"] == "h36m"
    assert sum(len(t) for t in TAKES.values()) == 209 and len(TAKES["S11"]) == 29
    assert {t.split(" ")[0] for takes in TAKES.values() for t in takes} == ACTIONS


def test_load_split_rows_and_labels(replica):
    folder, written = replica
    ps = h36m.load_h36m(folder / "data_3d_h36m.npz", folder / "data_2d_h36m_cpn_ft_h36m_dbb.npz")
    frames = {s: sum(len(a) for a in takes.values()) for s, takes in written["3d"].items()}
    assert len(ps) == 4 * sum(frames.values()) and ps.frame_kind == "camera"
    for subject, count in frames.items():
        assert (ps.subject == subject).sum() == 4 * count
    train, test = ps.select_split("train"), ps.select_split("test")
    assert sorted(set(train.subject)) == ["S1", "S5", "S6", "S7", "S8"]
    assert sorted(set(test.subject)) == ["S11", "S9"]
    assert len(test) == 4 * (frames["S9"] + frames["S11"])
    assert set(ps.action) == ACTIONS and set(test.action) == ACTIONS
    assert set(ps.take) == {f"{s}/{t}/{c}" for s, takes in TAKES.items() for t in takes for c in CAMERA_IDS}
    assert (ps.image_size[ps.take == "S9/Walking 1/54138969"] == [1000, 1002]).all()


def test_3d_is_root_relative_millimetres_of_the_written_mocap(replica):
    folder, written = replica
    ps = h36m.load_h36m(folder / "data_3d_h36m.npz", subjects=("S9",))
    np.testing.assert_allclose(ps.poses_3d[:, 0], 0, atol=1e-3)
    dist = lambda x: np.linalg.norm(x[..., :, None, :] - x[..., None, :, :], axis=-1)  # noqa: E731
    for take in ("Directions", "SittingDown 1", "WalkDog"):
        world_mm = written["3d"]["S9"][take][:, list(USED_32)] * 1000.0
        for camera in range(4):
            cam = ps.poses_3d[rows_of(ps, "S9", take, camera)]
            assert len(cam) == len(world_mm)
            np.testing.assert_allclose(dist(cam), dist(world_mm), atol=0.05)  # rigid, mm, same joints
            # the camera is upright: the head is above the pelvis in the image (y down)
            assert (cam[:, 10, 1] < -500).all()
    shin = np.linalg.norm(ps.poses_3d[:, 2] - ps.poses_3d[:, 3], axis=-1)
    assert 350 < shin.mean() < 450  # 0.40 m written


@pytest.mark.parametrize("name", ["cpn_ft_h36m_dbb", "gt"])
def test_2d_is_the_file_cut_to_the_mocap_length(replica, name):
    folder, written = replica
    ps = h36m.load_h36m(folder / "data_3d_h36m.npz", folder / f"data_2d_h36m_{name}.npz")
    longer = 0
    for subject, takes in written["cpn"].items():
        if subject not in TAKES:  # S2-S4: detections without mocap
            continue
        for take, views in takes.items():
            frames = len(written["3d"][subject][take])
            for camera, kp in enumerate(views):
                longer += len(kp) > frames
                np.testing.assert_array_equal(ps.keypoints_2d[rows_of(ps, subject, take, camera)], kp[:frames])
    assert longer > 200  # many videos had extra frames


def test_coco_layout_is_converted(replica):
    folder, written = replica
    ps = h36m.load_h36m(folder / "data_3d_h36m.npz", folder / "data_2d_h36m_detectron_pt_coco.npz",
                        subjects=("S11",))
    coco = written["coco"]["S11"]["Greeting 2"][3]
    got = ps.keypoints_2d[rows_of(ps, "S11", "Greeting 2", 3)]
    c = coco[:len(got)]
    mean = lambda *i: c[:, list(i)].mean(axis=1)  # noqa: E731
    want = np.stack([mean(11, 12), c[:, 12], c[:, 14], c[:, 16], c[:, 11], c[:, 13], c[:, 15],
                     mean(5, 6, 11, 12), mean(5, 6), c[:, 0], mean(1, 2, 3, 4),
                     c[:, 5], c[:, 7], c[:, 9], c[:, 6], c[:, 8], c[:, 10]], axis=1)
    np.testing.assert_allclose(got, want, atol=1e-3)
    # the written detections came from H36M-17 points: limbs come back where they were
    h36m_written = written["cpn"]["S11"]["Greeting 2"][3][:len(got)]
    np.testing.assert_array_equal(got[:, [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]],
                                  h36m_written[:, [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]])


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A replica with 3 frames per take and no unlabelled subjects, to be edited by a test."""
    folder = tmp_path_factory.mktemp("h36m_small")
    return folder, write_replica(folder, frames=(3, 3), seed=3, unlabelled=())


def test_quirks_s11_directions_and_original_action_names(small, tmp_path, caplog):
    folder, written = small
    positions = copy.deepcopy(written["3d"])  # as made from the original files without VideoPose3D's fixes:
    positions["S11"]["Directions"] = mocap_frames(4, np.random.default_rng(2))  # the corrupted take kept
    for take in ("Photo 1", "Photo", "WalkDog 1", "WalkDog"):  # and S1's original spelling
        positions["S1"][take.replace("Photo", "TakingPhoto").replace("WalkDog", "WalkingDog")] = \
            positions["S1"].pop(take)
    np.savez_compressed(tmp_path / "data_3d_h36m.npz", positions_3d=positions)
    with caplog.at_level(logging.WARNING):
        ps = h36m.load_h36m(tmp_path / "data_3d_h36m.npz", folder / "data_2d_h36m_cpn_ft_h36m_dbb.npz")
    said = [r.getMessage() for r in caplog.records if "S11 / Directions" in r.getMessage()]
    assert len(said) == 1 and "data_2d_h36m_cpn_ft_h36m_dbb.npz" in said[0]
    assert len(ps) == 4 * 3 * 209
    photo = rows_of(ps, "S1", "TakingPhoto 1", 2)
    assert set(ps.action[photo]) == {"Photo"} and set(ps.action) == ACTIONS
    np.testing.assert_array_equal(ps.keypoints_2d[photo], written["cpn"]["S1"]["Photo 1"][2][:3])
    # without a 2D file the take stays (its 3D is sound): 4 cameras x 4 frames more
    assert len(h36m.load_h36m(tmp_path / "data_3d_h36m.npz")) == len(ps) + 16


@pytest.mark.parametrize("case", ["short", "none", "three_views", "no_take", "no_subject", "mpii"])
def test_bad_2d_files_name_what_is_wrong(small, tmp_path, case):
    folder, written = small
    table, meta = copy.deepcopy(written["cpn"]), H36M_META
    if case == "short":
        table["S9"]["Eating 1"][2] = table["S9"]["Eating 1"][2][:2]
        match = r"S9 / Eating 1 / camera 2 \(58860488\): 2 frames of 2D keypoints but 3 of 3D"
    elif case == "none":
        table["S5"]["Photo 2"][1] = None
        match = r"S5 / Photo 2 / camera 1 \(55011271\): no keypoints \(None"
    elif case == "three_views":
        table["S7"]["Walking 2"].pop()
        match = "S7 / Walking 2 has 3 camera arrays; expected a list of 4"
    elif case == "no_take":
        del table["S6"]["Waiting 3"]
        match = "no 2D keypoints for S6 / 'Waiting 3'"
    elif case == "no_subject":
        del table["S8"]
        match = r"no 2D keypoints for subject S8; the file has \['S1', 'S11'"
    else:  # the Stacked Hourglass files: 16 MPII joints, no layout name
        table["S1"]["Walking"] = [v[:, :16] for v in table["S1"]["Walking"]]
        meta, match = {"num_joints": 16}, "layout_name=None, num_joints=16.*Stacked Hourglass"
    path = tmp_path / "data_2d_h36m_cpn_ft_h36m_dbb.npz"
    np.savez(path, positions_2d=table, metadata=meta)
    with pytest.raises(InputError, match=match) as err:
        h36m.load_h36m(folder / "data_3d_h36m.npz", path)
    assert str(path) in str(err.value)


def test_bad_3d_take_names_file_subject_action_and_shape(small, tmp_path):
    positions = copy.deepcopy(small[1]["3d"])
    positions["S9"]["Posing"] = np.zeros((3, 17, 3), np.float32)
    np.savez(tmp_path / "data_3d_h36m.npz", positions_3d=positions)
    with pytest.raises(InputError, match=r"data_3d_h36m.npz: S9 / Posing has shape \(3, 17, 3\)"):
        h36m.load_h36m(tmp_path / "data_3d_h36m.npz")


def test_train_and_evaluate_through_the_cli(replica, tmp_path, capsys):
    from gfpose.cli import main
    folder, written = replica
    data = ["--data", str(folder / "data_3d_h36m.npz"),
            "--keypoints-2d", str(folder / "data_2d_h36m_cpn_ft_h36m_dbb.npz")]
    tiny = [f"--set={s}" for s in ("model.hidden=32", "model.blocks=1", "model.groups=4",
                                   "train.batch_size=8", "train.distinct_times=0")]
    run = tmp_path / "run"
    assert main(["train", *data, "--out", str(run), "--steps", "2", *tiny, "--quiet"]) == 0
    train_rows = 4 * sum(len(a) for s in h36m.TRAIN_SUBJECTS for a in written["3d"][s].values())
    assert f"training on {train_rows} poses" in capsys.readouterr().out
    assert main(["evaluate", str(run / "model.safetensors"), *data, "--every", "50", "--hypotheses", "2",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["count"] == 4 * (30 + 29)  # every 50th frame of each S9/S11 take and camera: the first
    assert result["split"] == "test" and result["hypotheses"] == 2
    for metric, per_action in result["table"].items():
        assert set(per_action) == ACTIONS | {"Avg"}, metric
        assert all(np.isfinite(v) for v in per_action.values()), metric
