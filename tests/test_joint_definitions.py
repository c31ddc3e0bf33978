"""Joints as detectors define them: hand-built poses with known shoulders, hips and head, and the
construction's equivariance under rotation."""

import math

import numpy as np
import pytest
import torch

from gfpose.joint_definitions import EARS, EYES, NOSE, REFERENCE_HEAD_MM, to_detector_joints, with_joint_definition
from gfpose.skeleton import H36M_JOINTS

J = {name: i for i, name in enumerate(H36M_JOINTS)}


def upright_pose() -> torch.Tensor:
    """A standing pose facing +y, z up (mm): right side at +x, thorax to head top 245 mm (the
    reference head), limbs hanging; knees bent forward (+y) as a body's do."""
    points = {
        "pelvis": (0, 0, 0), "r_hip": (90, 0, 0), "r_knee": (90, 40, -400), "r_ankle": (90, 0, -800),
        "l_hip": (-90, 0, 0), "l_knee": (-90, 40, -400), "l_ankle": (-90, 0, -800),
        "spine": (0, 0, 220), "thorax": (0, 0, 460), "neck": (0, 0, 590), "head": (0, 0, 705),
        "l_shoulder": (-170, 0, 430), "l_elbow": (-180, 0, 160), "l_wrist": (-185, 0, -90),
        "r_shoulder": (170, 0, 430), "r_elbow": (180, 0, 160), "r_wrist": (185, 0, -90),
    }
    return torch.tensor([points[n] for n in H36M_JOINTS], dtype=torch.float64)[None]


def test_derived_joints_land_where_coco_keypoints_put_them():
    pose = upright_pose()
    out = to_detector_joints(pose)[0]
    torch.testing.assert_close(out[J["thorax"]], torch.tensor([0.0, 0.0, 430.0], dtype=torch.float64))
    torch.testing.assert_close(out[J["spine"]], torch.tensor([0.0, 0.0, 215.0], dtype=torch.float64))
    torch.testing.assert_close(out[J["pelvis"]], torch.zeros(3, dtype=torch.float64))
    # Head axis +z, forward +y, right +x; head top at z = 705, size = reference (scale 1).
    assert REFERENCE_HEAD_MM == 245.0
    nose = torch.tensor([0.0, NOSE[1], 705 - NOSE[0]], dtype=torch.float64)
    torch.testing.assert_close(out[J["neck"]], nose)
    head = torch.tensor([0.0, (EYES[1] + EARS[1]) / 2, 705 - (EYES[0] + EARS[0]) / 2], dtype=torch.float64)
    torch.testing.assert_close(out[J["head"]], head)
    limbs = [J[n] for n in H36M_JOINTS if n.startswith(("l_", "r_"))]
    torch.testing.assert_close(out[limbs], pose[0, limbs])


def test_face_points_scale_with_the_head_and_follow_any_rotation():
    pose = upright_pose()
    bigger = pose * 1.2
    torch.testing.assert_close(to_detector_joints(bigger), to_detector_joints(pose) * 1.2)
    c, s = math.cos(0.7), math.sin(0.7)
    R = torch.tensor([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=torch.float64) @ \
        torch.tensor([[c, -s, 0], [s, c, 0], [0, 0, 1]], dtype=torch.float64)
    torch.testing.assert_close(to_detector_joints(pose @ R.T), to_detector_joints(pose) @ R.T)


def test_mocap_definition_is_the_identity_and_unknown_names_are_refused():
    pose = upright_pose()
    assert with_joint_definition(pose, "mocap") is pose
    with pytest.raises(ValueError, match="joint definition"):
        with_joint_definition(pose, "openpose")


def test_detector_training_batches_use_the_detector_definition():
    """A detector model's training target has thorax = mid-shoulders in every pose."""
    from gfpose.batches import PoseBatches
    from gfpose.config import Config
    from gfpose.data.poseset import PoseSet
    poses = np.repeat(upright_pose().numpy().astype(np.float32), 8, axis=0)
    labels = {k: np.full(8, v) for k, v in dict(action="stand", subject="s", take="0", split="train").items()}
    data = PoseSet(poses_3d=poses, frame=np.arange(8), frame_kind="world", **labels)
    config = Config().with_overrides(["train.batch_size=8", "model.joints=detector", "train.wide_cameras=0.5",
                                      "train.mask_strategy=HPJ-010"])
    batch = PoseBatches(data, config).batch(0)
    x = batch.x0.double()
    torch.testing.assert_close(x[:, J["thorax"]], (x[:, J["l_shoulder"]] + x[:, J["r_shoulder"]]) / 2,
                               atol=1e-5, rtol=0)
