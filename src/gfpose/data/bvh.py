"""BVH motion capture -> H36M-17 world poses (mm, +z up), via bvhio's forward kinematics.

Adding a rig for another skeleton: open one of its files, read the joint names in the
HIERARCHY section, and write a rig file (gfpose.data.rigs.read_rig; the shipped ones in
src/gfpose/rigs are examples)::

    # my_studio.toml
    unit_to_mm = 10.0     # file units -> mm (cm files: 10, metre files: 1000)
    up_axis = "y"         # the file's vertical axis
    [joints]              # H36M joint = the source joints averaged
    pelvis = ["LeftThigh", "RightThigh"]
    spine = ["Spine"]
    thorax = ["Neck"]
    neck = ["Head"]
    [limbs]               # {} = the side's tag
    left = "Left"
    right = "Right"
    hip = "{}Thigh"
    knee = "{}Knee"
    ankle = "{}Ankle"
    shoulder = "{}Arm"
    elbow = "{}Elbow"
    wrist = "{}Wrist"
    [derived]             # joints the skeleton lacks, extending a bone like a BVH End Site
    head = {joint = "Head", extend_from = "Neck", scale = 1.5}

then ``gfpose data build-bvh takes/ --rig my_studio.toml`` or ``load_bvh("take.bvh",
read_rig("my_studio.toml"))`` -> (F, 17, 3) float32 mm, z up.

Every H36M-17 joint must be named once (the Rig checks this). Then look at a converted pose
(``gfpose viz``) and at its bone lengths before trusting the rig.
"""

from __future__ import annotations

from pathlib import Path

import bvhio
import glm
import numpy as np

from gfpose.data.posefile import y_up_to_z_up
from gfpose.data.rigs import Rig
from gfpose.errors import InputError
from gfpose.skeleton import H36M_JOINTS
from gfpose.validation import check_finite_poses


def _check_complete(path: Path) -> None:
    """Reject files bvhio would hang on: a missing MOTION section or fewer frame lines than declared."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read BVH file ({e})") from e
    hierarchy, sep, motion = text.partition("MOTION")
    if not sep or hierarchy.count("{") != hierarchy.count("}"):
        raise InputError(f"{path}: BVH file has an incomplete HIERARCHY or no MOTION section "
                         "(truncated?); expected 'HIERARCHY ... MOTION Frames: N ...'")
    lines = [ln for ln in motion.splitlines() if ln.strip()]
    try:
        declared = int(lines[0].split("Frames:")[1])
    except (IndexError, ValueError):
        raise InputError(f"{path}: BVH MOTION section lacks a 'Frames: N' line") from None
    if len(lines) - 2 < declared:
        raise InputError(f"{path}: BVH file declares {declared} frames but holds "
                         f"{max(len(lines) - 2, 0)} (truncated?)")


def _read_hierarchy(path: Path):
    _check_complete(path)
    try:
        return bvhio.readAsHierarchy(str(path))
    except (SyntaxError, ValueError, IndexError, TypeError) as e:
        raise InputError(f"{path}: malformed BVH file ({type(e).__name__}: {e})") from e


def bvh_fps(path: str | Path) -> float:
    """The frame rate of a BVH file (1 / its Frame Time)."""
    return 1.0 / bvhio.readAsBvh(str(path), loadKeyFrames=False).FrameTime


def load_bvh(path: str | Path, rig: Rig) -> np.ndarray:
    """All frames of a BVH file as H36M-17 world poses, ``(F, 17, 3)`` float32 mm, +z up."""
    path = Path(path)
    root = _read_hierarchy(path)  # comes back in its rest pose
    by_name = {joint.Name: joint for joint, _, _ in root.layout()}
    missing = sorted(rig.source_joints() - set(by_name))
    if missing:
        raise InputError(f"{path}: BVH lacks joints {missing} needed by rig {rig.name!r}; "
                         f"file has {sorted(by_name)}")
    # End Sites are fixed in their joint's local frame, measured once in the rest pose.
    local = {}
    for name, e in rig.derived.items():
        head, tail = by_name[e.joint].PositionWorld, by_name[e.extend_from].PositionWorld
        local[name] = by_name[e.joint].pointToLocal(head + e.scale * (head - tail))

    frames = len(root.Keyframes)
    out = np.empty((frames, len(H36M_JOINTS), 3), dtype=np.float64)
    for f in range(frames):
        root.loadPose(f)
        for j, name in enumerate(H36M_JOINTS):
            if name in rig.joints:
                out[f, j] = np.mean([by_name[s].PositionWorld for s in rig.joints[name]], axis=0)
            else:
                out[f, j] = by_name[rig.derived[name].joint].pointToWorld(glm.vec3(local[name]))
    out *= rig.unit_to_mm
    if rig.up_axis == "y":
        out = y_up_to_z_up(out)
    return check_finite_poses(out, f"{path}: poses")
