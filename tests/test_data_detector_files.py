"""Detector output files (gfpose.data.detector_files) read by the one reader, gfpose.data.keypoints.load_keypoints,
on small hand-written files of each layout."""

import json

import numpy as np
import pytest

from gfpose.data.keypoints import coco_to_h36m, load_keypoints
from gfpose.errors import InputError

SIZE = (640, 480)
# COCO-17 keypoint order (COCO's person_keypoints) and OpenPose's layouts (its doc/02_output.md),
# by name, written out here independently of the module under test.
COCO_17 = ("Nose", "LEye", "REye", "LEar", "REar", "LShoulder", "RShoulder", "LElbow", "RElbow",
           "LWrist", "RWrist", "LHip", "RHip", "LKnee", "RKnee", "LAnkle", "RAnkle")
BODY_25 = ("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist", "MidHip",
           "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar",
           "LBigToe", "LSmallToe", "LHeel", "RBigToe", "RSmallToe", "RHeel")
COCO_18 = ("Nose", "Neck", "RShoulder", "RElbow", "RWrist", "LShoulder", "LElbow", "LWrist",
           "RHip", "RKnee", "RAnkle", "LHip", "LKnee", "LAnkle", "REye", "LEye", "REar", "LEar")


def coco_pose(rng, confidence=0.9):
    """(17, 3) COCO-17 [x, y, c] inside SIZE."""
    xy = rng.uniform([100, 80], [540, 400], size=(17, 2))
    return np.concatenate([xy, np.full((17, 1), confidence)], axis=1)


def openpose_person(coco: np.ndarray, layout, rng) -> list:
    """A flat pose_keypoints_2d list in ``layout`` holding the COCO-17 joints (others random)."""
    rows = np.concatenate([rng.uniform(100, 400, (len(layout), 2)), np.full((len(layout), 1), 0.5)], axis=1)
    for c, name in enumerate(COCO_17):
        rows[layout.index(name)] = coco[c]
    return rows.ravel().tolist()


def write_json(path, doc):
    path.write_text(json.dumps(doc))
    return path


def expected_h36m(coco_rows):
    kp, conf = coco_to_h36m(np.asarray(coco_rows)[..., :2], np.asarray(coco_rows)[..., 2])
    return kp, conf


def test_coco_results_main_person_in_image_id_order(tmp_path):
    """The person found in every image, not another one found once (by the tracker, whatever the scores)."""
    rng = np.random.default_rng(0)
    best = {3: coco_pose(rng)}
    best[7], best[9] = best[3] + (4, -3, 0), best[3] + (9, -5, 0)
    best[3][4] = (0, 0, 0)  # r_ear not found -> missing, so the head is missing
    doc = [
        {"image_id": 7, "category_id": 1, "keypoints": best[7].ravel().tolist(), "score": 0.9},
        {"image_id": 7, "category_id": 1, "keypoints": coco_pose(rng).ravel().tolist(), "score": 0.4},
        {"image_id": 3, "category_id": 1, "keypoints": coco_pose(rng).ravel().tolist(), "score": 0.95},
        {"image_id": 3, "category_id": 1, "keypoints": best[3].ravel().tolist(), "score": 0.8},
        {"image_id": 9, "category_id": 1, "keypoints": best[9].ravel().tolist(), "score": 0.7},
        {"image_id": 5, "category_id": 2, "keypoints": coco_pose(rng).ravel().tolist(), "score": 1.0},
    ]
    kp = load_keypoints(write_json(tmp_path / "results.json", doc), image_size=SIZE)
    want, conf = expected_h36m(np.stack([best[3], best[7], best[9]]))
    np.testing.assert_allclose(kp.keypoints, want, rtol=1e-6)
    np.testing.assert_allclose(kp.confidence, conf)
    assert np.isnan(kp.keypoints[0, 10]).all() and kp.confidence[0, 10] == 0  # head from the ears
    np.testing.assert_allclose(kp.image_size, np.tile(SIZE, (3, 1)))


@pytest.mark.parametrize("layout", [BODY_25, COCO_18], ids=["BODY_25", "COCO-18"])
def test_openpose_folder_maps_layout_and_keeps_empty_frames(tmp_path, layout):
    rng = np.random.default_rng(1)
    first = coco_pose(rng, 0.9)
    second = first + (5, 2, -0.1)
    frames = [[openpose_person(coco_pose(rng, 0.2), layout, rng), openpose_person(first, layout, rng)],
              [],
              [openpose_person(second, layout, rng)]]
    for i, people in enumerate(frames):
        write_json(tmp_path / f"clip_{i:012d}_keypoints.json",
                   {"version": 1.3, "people": [{"pose_keypoints_2d": p} for p in people]})
    kp = load_keypoints(tmp_path, image_size=SIZE)
    want, _ = expected_h36m(np.stack([first, second]))
    np.testing.assert_allclose(kp.keypoints[[0, 2]], want, rtol=1e-6)
    assert np.isnan(kp.keypoints[1]).all() and (kp.confidence[1] == 0).all()


def test_openpose_single_file(tmp_path):
    rng = np.random.default_rng(2)
    pose = coco_pose(rng)
    path = write_json(tmp_path / "one_keypoints.json",
                      {"people": [{"pose_keypoints_2d": openpose_person(pose, BODY_25, rng)}]})
    np.testing.assert_allclose(load_keypoints(path, SIZE).keypoints, expected_h36m(pose[None])[0], rtol=1e-6)


def test_gfpose_files_still_read(tmp_path):
    kp = np.random.default_rng(3).uniform(100, 400, (2, 17, 2))
    path = write_json(tmp_path / "mine.json", {"keypoints": kp.tolist(), "image_size": [500, 500]})
    np.testing.assert_allclose(load_keypoints(path).keypoints, kp, rtol=1e-6)
    np.savez(tmp_path / "mine.npz", keypoints_2d=kp)
    np.testing.assert_allclose(load_keypoints(tmp_path / "mine.npz", image_size=(500, 500)).image_size,
                               [[500, 500]] * 2)


def bad_cases(tmp_path):
    rng = np.random.default_rng(4)
    person = openpose_person(coco_pose(rng), BODY_25, rng)
    far = coco_pose(rng)
    far[:, :2] += 5000
    return {
        "other layout": (write_json(tmp_path / "hands.json", {"hand_left": [1, 2, 3]}), SIZE,
                         r"hands.json: not a keypoint layout"),
        "openpose length": (write_json(tmp_path / "x_keypoints.json",
                                       {"people": [{"pose_keypoints_2d": [1.0] * 63}]}), SIZE,
                            r"x_keypoints.json: people\[0\].pose_keypoints_2d .*75 \(BODY_25\), 54 \(COCO-18\)"),
        "coco length": (write_json(tmp_path / "short.json", [{"image_id": 1, "keypoints": [1.0] * 50}]), SIZE,
                        r"short.json: entry 0 \(image_id 1\): keypoints have shape \(50,\); expected 51"),
        "far outside": (write_json(tmp_path / "far.json", [{"image_id": 1, "keypoints": far.ravel().tolist(),
                                                            "score": 1}]), SIZE, r"far.json.*far outside"),
        "no size": (write_json(tmp_path / "nosize_keypoints.json", {"people": [{"pose_keypoints_2d": person}]}),
                    None, r"nosize_keypoints.json: .*--image-size W H"),
        "frame counts": (write_json(tmp_path / "count_keypoints.json", {"people": [{"pose_keypoints_2d": person}]}),
                         np.tile(SIZE, (3, 1)), r"count_keypoints.json: image_size: expected .*\(1, 2\)"),
        "not json": (tmp_path / "broken.json", SIZE, r"broken.json: not readable JSON"),
    }


@pytest.mark.parametrize("case", ["other layout", "openpose length", "coco length", "far outside", "no size",
                                  "frame counts", "not json"])
def test_bad_input_names_file_and_problem(tmp_path, case):
    (tmp_path / "broken.json").write_text("{not json")
    path, size, message = bad_cases(tmp_path)[case]
    with pytest.raises(InputError, match=message):
        load_keypoints(path, image_size=size)


def test_mixed_openpose_layouts_and_empty_folder(tmp_path):
    rng = np.random.default_rng(5)
    for i, layout in enumerate((BODY_25, COCO_18)):
        write_json(tmp_path / f"f{i}_keypoints.json",
                   {"people": [{"pose_keypoints_2d": openpose_person(coco_pose(rng), layout, rng)}]})
    with pytest.raises(InputError, match="mix OpenPose layouts"):
        load_keypoints(tmp_path, SIZE)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no OpenPose"):
        load_keypoints(tmp_path / "empty", SIZE)


def test_coco_results_without_people(tmp_path):
    path = write_json(tmp_path / "cars.json", [{"image_id": 1, "category_id": 3, "keypoints": [0.0] * 51}])
    with pytest.raises(InputError, match="cars.json: no person results"):
        load_keypoints(path, SIZE)
