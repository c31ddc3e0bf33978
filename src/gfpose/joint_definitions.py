"""Where the H36M-17 joints sit: as motion capture places them, or as 2D detectors place them.

A mocap skeleton's pelvis, spine, thorax, neck/nose and head top are joints of its rig; a 2D
detector (COCO-17, BlazePose) has none of them, so gfpose derives them from its keypoints
(gfpose.data.keypoints.COCO_TO_H36M): thorax = mid-shoulders, spine = mean of hips and shoulders,
neck/nose = the nose, head = mean of the eyes and ears. On real footage these sit 3-9 cm from the
mocap joints of the same name (docs/RESULTS.md, "Real footage"), so a model trained on mocap
joints is asked about points it never saw. A "detector" model is trained, in 2D and in 3D, on
mocap poses moved to the detector's definition by :func:`to_detector_joints`.

The face points come from the head's axis (thorax -> head top) and the torso's facing (the
shoulder line), at offsets of an adult head scaled by the subject's thorax-to-head-top length:
the head's turn relative to the shoulders is not in a 17-joint pose, so the face follows the torso.
"""

from __future__ import annotations

import torch

from gfpose.skeleton import H36M_JOINTS

JOINT_DEFINITIONS = ("mocap", "detector")
# Thorax -> head top of the bundled skeleton (mm, median): the size the face offsets below are for.
REFERENCE_HEAD_MM = 245.0
# Face points (mm) from the head top: down the head axis, forward, and to each side.
NOSE = (140.0, 85.0, 0.0)
EYES = (115.0, 70.0, 32.0)
EARS = (125.0, 0.0, 70.0)

_J = {name: i for i, name in enumerate(H36M_JOINTS)}


def _unit(v: torch.Tensor) -> torch.Tensor:
    return torch.nn.functional.normalize(v, dim=-1)


def head_frame(poses: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Unit axes (B, 3) of each pose's head: up (thorax -> head top), right (the shoulder line
    made orthogonal to up) and forward = up x right (the side the knees bend to)."""
    up = _unit(poses[:, _J["head"]] - poses[:, _J["thorax"]])
    right = poses[:, _J["r_shoulder"]] - poses[:, _J["l_shoulder"]]
    right = _unit(right - (right * up).sum(-1, keepdim=True) * up)
    return up, right, torch.linalg.cross(up, right)


def _face_point(poses, frame, offsets, side: float) -> torch.Tensor:
    up, right, forward = frame
    down_mm, forward_mm, side_mm = offsets
    size = torch.linalg.vector_norm(poses[:, _J["head"]] - poses[:, _J["thorax"]], dim=-1, keepdim=True)
    scale = size / REFERENCE_HEAD_MM
    return poses[:, _J["head"]] + scale * (-down_mm * up + forward_mm * forward + side * side_mm * right)


def to_detector_joints(poses: torch.Tensor) -> torch.Tensor:
    """Mocap-defined poses (B, 17, 3) mm -> the same bodies with the derived joints where a COCO
    detector's keypoints put them: thorax = mid-shoulders, spine = mean(hips, shoulders),
    neck/nose = nose, head = mean(eyes, ears), pelvis = mid-hips; the limbs are unchanged.
    Any world or camera frame works (the construction uses no fixed axis)."""
    frame = head_frame(poses)
    eyes = [_face_point(poses, frame, EYES, side) for side in (-1.0, 1.0)]
    ears = [_face_point(poses, frame, EARS, side) for side in (-1.0, 1.0)]
    shoulders = poses[:, [_J["l_shoulder"], _J["r_shoulder"]]].mean(1)
    hips = poses[:, [_J["l_hip"], _J["r_hip"]]].mean(1)
    out = poses.clone()
    out[:, _J["pelvis"]] = hips
    out[:, _J["thorax"]] = shoulders
    out[:, _J["spine"]] = (shoulders + hips) / 2
    out[:, _J["neck"]] = _face_point(poses, frame, NOSE, 0.0)
    out[:, _J["head"]] = torch.stack(eyes + ears).mean(0)
    return out


def with_joint_definition(poses: torch.Tensor, definition: str) -> torch.Tensor:
    """Poses (B, 17, 3) mm in `definition` (JOINT_DEFINITIONS), from mocap-defined poses."""
    if definition not in JOINT_DEFINITIONS:
        raise ValueError(f"joint definition must be one of {JOINT_DEFINITIONS}, got {definition!r}")
    return poses if definition == "mocap" else to_detector_joints(poses)
