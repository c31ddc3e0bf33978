"""COCO-17 -> H36M-17 keypoints and user keypoint files."""

import json

import numpy as np
import pytest

from gfpose.data.keypoints import coco_to_h36m, load_keypoints
from gfpose.errors import InputError

# COCO: nose, l_eye, r_eye, l_ear, r_ear, l_sh, r_sh, l_el, r_el, l_wr, r_wr, l_hip, r_hip,
# l_knee, r_knee, l_ank, r_ank
COCO = np.array([[[100, 50], [110, 40], [90, 40], [120, 45], [80, 45], [140, 100], [60, 100],
                  [150, 150], [50, 150], [155, 200], [45, 200], [125, 200], [75, 200],
                  [125, 280], [75, 280], [125, 360], [75, 360]]], dtype=np.float32)
CONF = np.linspace(0.2, 0.99, 17, dtype=np.float32)[None]

# Worked by hand: pelvis = mean(hips) = (100, 200); thorax = mean(shoulders) = (100, 100);
# spine = mean(pelvis, thorax) = (100, 150); head = mean(eyes, ears) = (100, 42.5).
H36M = np.array([[[100, 200], [75, 200], [75, 280], [75, 360], [125, 200], [125, 280], [125, 360],
                  [100, 150], [100, 100], [100, 50], [100, 42.5],
                  [140, 100], [150, 150], [155, 200], [60, 100], [50, 150], [45, 200]]])


def test_coco_to_h36m_hand_worked():
    kp, conf = coco_to_h36m(COCO, CONF)
    np.testing.assert_allclose(kp, H36M)
    c = CONF[0]
    assert conf[0, 0] == min(c[11], c[12])  # pelvis
    assert conf[0, 7] == min(c[11], c[12], c[5], c[6])  # spine
    assert conf[0, 10] == min(c[1:5])  # head
    assert conf[0, 9] == c[0] and conf[0, 3] == c[16]


def test_zero_confidence_is_missing_and_spreads_to_derived_joints():
    conf = CONF.copy()
    conf[0, 11] = 0.0  # left hip unseen
    kp, out = coco_to_h36m(COCO, conf)
    missing = np.isnan(kp[0]).all(-1)
    assert set(np.flatnonzero(missing)) == {0, 4, 7}  # pelvis, l_hip, spine
    assert (out[0, [0, 4, 7]] == 0).all()
    assert not np.isnan(kp[0, [1, 8, 10]]).any()


def test_nan_coordinate_is_missing_without_confidence():
    coco = COCO.copy()
    coco[0, 3] = np.nan  # left ear
    kp, conf = coco_to_h36m(coco)
    assert conf is None
    assert np.isnan(kp[0, 10]).all() and np.isnan(kp[0]).any(-1).sum() == 1


def test_load_json_coco_with_null(tmp_path):
    frames = COCO.tolist()
    frames[0][16] = None  # right ankle missing
    path = tmp_path / "kp.json"
    path.write_text(json.dumps({"layout": "coco", "image_size": [640, 480], "keypoints": frames}))
    k = load_keypoints(path)
    assert np.isnan(k.keypoints[0, 3]).all()
    np.testing.assert_allclose(np.delete(k.keypoints[0], 3, 0), np.delete(H36M[0], 3, 0))
    np.testing.assert_allclose(k.image_size, [[640, 480]])


def test_load_npz_h36m_and_missing_image_size(tmp_path):
    np.savez(tmp_path / "ok.npz", keypoints_2d=H36M.astype(np.float32), confidence=np.ones((1, 17)),
             image_size=np.array([1000, 1000]))
    np.testing.assert_allclose(load_keypoints(tmp_path / "ok.npz").keypoints, H36M)
    np.savez(tmp_path / "nosize.npz", keypoints_2d=H36M.astype(np.float32))
    with pytest.raises(InputError, match="nosize.npz.*image_size"):
        load_keypoints(tmp_path / "nosize.npz")


def test_bad_shape_and_bad_json(tmp_path):
    np.savez(tmp_path / "bad.npz", keypoints_2d=np.zeros((2, 18, 2)), image_size=np.array([9, 9]))
    with pytest.raises(InputError, match=r"bad.npz.*\(2, 18, 2\)"):
        load_keypoints(tmp_path / "bad.npz")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError, match="bad.json"):
        load_keypoints(tmp_path / "bad.json")
