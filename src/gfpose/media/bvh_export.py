"""3D joint positions -> a BVH file of the H36M-17 skeleton (joint rotations), written with bvhio.

The file follows what Blender's BVH importer expects with its defaults (Forward -Z, Up Y,
Scale 1.0): **metres**, **Y up**. Camera-frame poses (x right, y down, z forward, mm; gfpose's
outputs) become (X, Y, Z) = (x, -y, -z) / 1000: X is the image's right (the person's left when
they face the camera), Y up, +Z towards the camera. World poses (z up, gfpose's data sets) become
(x, z, -y) / 1000. The root ``pelvis`` has position channels (the pelvis position: 0 for
root-relative poses, so the feet are below Y = 0) and every joint has rotation channels, in degrees.

Rest pose (all rotations 0): a T-pose with each bone at its median length over the take: legs
down, spine, neck and head up, arms out sideways. Bone lengths are therefore constant.

Skeleton: the 17 H36M joints (``gfpose.skeleton.H36M_JOINTS``) plus 4 zero-length branch joints
``pelvis_to_r_hip``, ``pelvis_to_l_hip``, ``thorax_to_l_shoulder``, ``thorax_to_r_shoulder``, as
the CMU files have ``LHipJoint``: a BVH joint's rotation moves all of its children's offsets
rigidly, so without them the hip and shoulder bones could not follow the spine exactly.

Rotations from positions: each joint turns the one bone below it from its rest direction onto
the observed direction. ``pelvis`` and ``thorax`` (where the body branches) take a full frame from
that bone and the line through their side children (hips, shoulders): the body's orientation.
Every other joint takes the shortest-arc turn from where its parent carries the bone, i.e. no
twist about the bone, which is defined even for a straight limb. End joints (ankles, wrists,
head) keep their parent's rotation. Forward kinematics of the file gives the input with every
bone scaled to its median length and its direction kept (tests/test_media_bvh.py).

Placed poses (a root-relative track plus its root path, gfpose.sequences.contacts.PlacedTrack.points)
give the pelvis its path in the position channels, so feet held in contact stay put in the file.
Foot contacts go beside the file as ``<name>_contacts.csv`` (write_contacts_csv, contacts_path).

Each joint's Euler order puts the axis that does not turn (its bone's rest axis; Z for the
body frames) in the middle, where gimbal lock would sit, so no real pose comes near it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import bvhio
import glm
import numpy as np

from gfpose.atomic import atomic_write
from gfpose.data.rigs import GFPOSE_RIG
from gfpose.errors import InputError
from gfpose.geometry import bone_vectors
from gfpose.skeleton import BODY_PARTS, H36M_JOINTS, NUM_JOINTS, PARENTS, ROOT
from gfpose.validation import as_numbers, check_choice, check_millimetres, positive_scalar

MM_PER_UNIT = GFPOSE_RIG.unit_to_mm     # file units are metres
TO_BVH_AXES = {  # rotations taking a pose frame to BVH axes (Y up)
    "camera": np.diag([1.0, -1.0, -1.0]),                                # x right, y down, z forward
    "world": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),  # z up
}
END_SITE_FRACTION = 0.3                 # end sites continue the last bone by this fraction of it
# Rest (T-pose) direction of the bone ending at each joint, in BVH axes (+X = the person's left).
_LEFT, _RIGHT, _UP, _DOWN = (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0)
REST_DIRECTIONS = {
    "r_hip": _RIGHT, "r_knee": _DOWN, "r_ankle": _DOWN, "l_hip": _LEFT, "l_knee": _DOWN, "l_ankle": _DOWN,
    "spine": _UP, "thorax": _UP, "neck": _UP, "head": _UP,
    "l_shoulder": _LEFT, "l_elbow": _LEFT, "l_wrist": _LEFT, "r_shoulder": _RIGHT, "r_elbow": _RIGHT,
    "r_wrist": _RIGHT,
}
# Euler order with the given axis in the middle (intrinsic, as BVH channels list them).
ORDER_WITH_MIDDLE = {"X": "ZXY", "Y": "ZYX", "Z": "YZX"}


@dataclass(frozen=True)
class BvhNode:
    """One joint of the exported skeleton.

    at: the H36M joint it sits on; its OFFSET is the rest vector of the bone ending there, or zero
    for a ``branch`` joint; turns: the H36M joint whose incoming bone this node's rotation turns
    (None: an end joint); sides: for a body frame, its two side children.
    """

    name: str
    parent: int
    at: int
    turns: int | None
    sides: tuple[int, int] | None = None
    branch: bool = False


def _children(joint: int) -> list[int]:
    return [j for j, p in enumerate(PARENTS) if p == joint]


def _main_child(joint: int) -> int | None:
    """The child the joint's own rotation turns: the only one, or the one in the torso."""
    kids = _children(joint)
    if len(kids) <= 1:
        return kids[0] if kids else None
    (main,) = [k for k in kids if k in BODY_PARTS["torso"]]
    return main


def skeleton_nodes() -> tuple[BvhNode, ...]:
    """The exported joints in BVH (depth-first) order, branch joints inserted (module docstring)."""
    nodes: list[BvhNode] = []

    def add(joint: int, parent: int) -> None:
        main = _main_child(joint)
        others = [k for k in _children(joint) if k != main]
        nodes.append(BvhNode(H36M_JOINTS[joint], parent, joint, main, tuple(others) if others else None))
        me = len(nodes) - 1
        if main is not None:
            add(main, me)
        for side in others:
            nodes.append(BvhNode(f"{H36M_JOINTS[joint]}_to_{H36M_JOINTS[side]}", me, joint, side, branch=True))
            add(side, len(nodes) - 1)

    add(ROOT, -1)
    return tuple(nodes)


def _unit(v: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(v, axis=-1, keepdims=True)
    return np.divide(v, norm, out=np.zeros_like(v), where=norm > 1e-9)


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(T, 3, 3) shortest-arc rotations turning unit vectors a onto b (T, 3); identity where b = 0."""
    v, c = np.cross(a, b), np.einsum("ti,ti->t", a, b)
    vx = np.zeros(v.shape + (3,))
    vx[:, [2, 0, 1], [1, 2, 0]] = v
    vx[:, [1, 2, 0], [2, 0, 1]] = -v
    eye = np.broadcast_to(np.eye(3), vx.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        rot = eye + vx + vx @ vx / (1 + c)[:, None, None]
    # Opposite vectors: half a turn about any axis perpendicular to a.
    opposite = c < -1 + 1e-9
    if opposite.any():
        axis = _unit(np.cross(a[opposite], [1.0, 0.0, 0.0]))
        axis[np.linalg.norm(axis, axis=-1) < 0.5] = (0.0, 1.0, 0.0)
        rot[opposite] = 2 * axis[:, :, None] * axis[:, None, :] - np.eye(3)
    rot[np.linalg.norm(b, axis=-1) == 0] = np.eye(3)
    return rot


def _frame(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """(..., 3, 3) orthonormal frames, columns: primary, secondary made orthogonal, their cross."""
    e1 = _unit(primary)
    e2 = _unit(secondary - np.sum(secondary * e1, axis=-1, keepdims=True) * e1)
    return np.stack([e1, e2, np.cross(e1, e2)], axis=-1)


def bone_lengths(poses: np.ndarray) -> np.ndarray:
    """(17,) median length of the bone ending at each joint over (T, 17, 3) poses (0 for the root)."""
    return np.median(np.linalg.norm(bone_vectors(poses), axis=-1), axis=0)


def rest_offsets(lengths: np.ndarray) -> np.ndarray:
    """(17, 3) rest (T-pose) vector of the bone ending at each joint, BVH axes, same units as lengths."""
    dirs = np.array([(0, 0, 0)] + [REST_DIRECTIONS[name] for name in H36M_JOINTS[1:]], dtype=np.float64)
    return dirs * lengths[:, None]


def _axis_name(direction) -> str:
    return "XYZ"[int(np.argmax(np.abs(direction)))]


def joint_rotations(poses: np.ndarray, offsets: np.ndarray, nodes: tuple[BvhNode, ...]) -> np.ndarray:
    """(T, nodes, 3, 3) local rotations of ``nodes`` for (T, 17, 3) poses in BVH axes (module docstring)."""
    bone = bone_vectors(poses)  # observed vector of the bone ending at j
    world = np.empty((len(poses), len(nodes), 3, 3))
    local = np.empty_like(world)
    for i, node in enumerate(nodes):
        parent = np.broadcast_to(np.eye(3), world[:, 0].shape) if node.parent < 0 else world[:, node.parent]
        if node.sides is not None:
            first, second = node.sides
            rest = _frame(offsets[node.turns], offsets[second] - offsets[first])
            seen = _frame(bone[:, node.turns], bone[:, second] - bone[:, first])
            world[:, i] = seen @ rest.T
        elif node.turns is not None:
            carried = _unit(parent @ offsets[node.turns])
            world[:, i] = _swing(carried, _unit(bone[:, node.turns])) @ parent
        else:
            world[:, i] = parent
        local[:, i] = np.swapaxes(parent, 1, 2) @ world[:, i]
    bad = ~(np.abs(np.linalg.det(local) - 1) < 1e-6).all(axis=1)  # NaN fails too
    if bad.any():
        raise InputError(f"poses: frame {int(np.argmax(bad))} is degenerate (a hip or shoulder line along "
                         "the spine or neck); cannot orient the body")
    return local


def _fill_missing(poses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Frames with any NaN joint -> linear interpolation over time of the complete frames (held at the ends)."""
    complete = np.isfinite(poses).all(axis=(1, 2))
    missing = np.flatnonzero(~complete)
    if not complete.any():
        raise InputError(f"poses: none of the {len(poses)} frames has every joint; nothing to export")
    if len(missing):
        known = np.flatnonzero(complete)
        flat = poses.reshape(len(poses), -1)
        flat[missing] = np.stack([np.interp(missing, known, flat[known, k]) for k in range(flat.shape[1])], -1)
    return poses, missing


def _node_order(node: BvhNode, offsets: np.ndarray) -> str:
    if node.sides is not None:
        return ORDER_WITH_MIDDLE["Z"]
    bone = node.turns if node.turns is not None else node.at
    return ORDER_WITH_MIDDLE[_axis_name(offsets[bone])]


def _build_bvh(positions: np.ndarray, local: np.ndarray, offsets: np.ndarray,
               nodes: tuple[BvhNode, ...]) -> bvhio.BvhJoint:
    """bvhio joints with offsets, channels and per-frame keyframes (root position, local rotations)."""
    joints = []
    for i, node in enumerate(nodes):
        joint = bvhio.BvhJoint(node.name, glm.vec3(*(np.zeros(3) if node.branch else offsets[node.at])))
        order = _node_order(node, offsets)
        joint.Channels = (["Xposition", "Yposition", "Zposition"] if node.parent < 0 else []) + \
            [f"{axis}rotation" for axis in order]
        joint.EndSite = glm.vec3(*(END_SITE_FRACTION * offsets[node.at]))
        root_positions = positions[:, ROOT] if node.parent < 0 else np.zeros((len(positions), 3))
        joint.Keyframes = [bvhio.Pose(glm.vec3(*p), glm.quat_cast(glm.mat3(*r.T.ravel())))
                           for p, r in zip(root_positions, local[:, i])]
        if node.parent >= 0:
            joints[node.parent].Children.append(joint)
        joints.append(joint)
    return joints[0]


def export_bvh(poses_mm, path, fps: float, frame: str = "camera") -> np.ndarray:
    """Write (T, 17, 3) poses (mm, NaN = missing) to ``path`` as BVH (module docstring).

    frame: 'camera' (x right, y down, z forward) or 'world' (z up).

    Frames with a missing joint are filled by linear interpolation of the complete frames
    around them; returns their indices. Written atomically (gfpose.atomic).
    """
    poses = as_numbers(poses_mm, "poses").astype(np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (NUM_JOINTS, 3) or len(poses) == 0:
        raise InputError(f"poses: expected shape (T, {NUM_JOINTS}, 3) mm in H36M-17 order, got {poses.shape}")
    frame_time = 1.0 / positive_scalar(fps, "fps")
    to_bvh = TO_BVH_AXES[check_choice(frame, "frame", tuple(TO_BVH_AXES))]
    poses, filled = _fill_missing(poses.copy())
    check_millimetres(poses, "poses")
    positions = poses @ to_bvh.T / MM_PER_UNIT
    offsets = rest_offsets(bone_lengths(positions))
    nodes = skeleton_nodes()
    root = _build_bvh(positions, joint_rotations(positions, offsets, nodes), offsets, nodes)
    container = bvhio.BvhContainer(root, len(poses), frame_time)
    atomic_write(Path(path), lambda tmp: bvhio.writeBvh(tmp, container))
    return filled


CONTACT_COLUMNS = ("frame", "time_s", "left", "right")


def contacts_path(bvh_path) -> Path:
    """The contacts sidecar of a BVH file: ``track.bvh`` -> ``track_contacts.csv``."""
    bvh_path = Path(bvh_path)
    return bvh_path.with_name(f"{bvh_path.stem}_contacts.csv")


def write_contacts_csv(path, contacts, fps: float) -> Path:
    """Write foot contacts (T, 2) bool, columns (right, left) as gfpose.sequences.contacts.FEET, to
    ``path`` as CSV with a header ``frame,time_s,left,right`` (0/1 per foot, one row per BVH
    frame), atomically (gfpose.atomic). Returns ``path``."""
    flags = np.asarray(contacts)
    if flags.ndim != 2 or flags.shape[1] != 2:
        raise InputError(f"contacts: expected shape (T, 2) (right, left), got {flags.shape}")
    flags = flags.astype(bool)
    frame_time = 1.0 / positive_scalar(fps, "fps")
    lines = [",".join(CONTACT_COLUMNS)] + [f"{t},{t * frame_time:.6f},{int(left)},{int(right)}"
                                           for t, (right, left) in enumerate(flags)]
    return atomic_write(Path(path), lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n"))


def read_contacts_csv(path) -> np.ndarray:
    """(T, 2) bool (right, left): the contacts of a file written by write_contacts_csv."""
    rows = np.loadtxt(Path(path), delimiter=",", skiprows=1, ndmin=2)
    return np.stack([rows[:, 3], rows[:, 2]], axis=1).astype(bool)
