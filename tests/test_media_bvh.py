"""BVH export (gfpose.media.bvh_export): positions -> BVH -> forward kinematics gives the input back."""

import bvhio
import numpy as np
import pytest

from gfpose.errors import InputError
from gfpose.media.bvh_export import export_bvh
from gfpose.skeleton import H36M_JOINTS, PARENTS

# A standing person facing the camera, camera frame (x right, y down, z forward), mm.
STANDING = np.array([
    [0, 0, 0], [-120, 10, 0], [-130, 450, 20], [-135, 880, 40], [120, 10, 0], [130, 450, 20],
    [135, 880, 40], [0, -230, 10], [0, -480, 10], [0, -580, -60], [0, -700, 0],
    [170, -460, 10], [200, -190, 20], [210, 60, 0], [-170, -460, 10], [-200, -190, 20], [-210, 60, 0],
], dtype=np.float64)
CAMERA_TO_FILE = np.diag([1.0, -1.0, -1.0]) / 1000  # documented: metres, Y up, Z towards the camera


def random_motion(frames: int, seed: int = 0) -> np.ndarray:
    """Every bone turned at random, lengths jittered +-20 %, the pelvis wandering: (T, 17, 3) mm."""
    rng = np.random.default_rng(seed)
    bones = STANDING - STANDING[list(np.maximum(PARENTS, 0))]
    poses = np.zeros((frames, 17, 3))
    poses[:, 0] = rng.normal(0, 300, (frames, 3))
    for j in range(1, 17):
        direction = rng.normal(size=(frames, 3)) + 2 * bones[j] / np.linalg.norm(bones[j])
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        length = np.linalg.norm(bones[j]) * rng.uniform(0.8, 1.2, (frames, 1))
        poses[:, j] = poses[:, PARENTS[j]] + direction * length
    return poses


def length_normalised(poses: np.ndarray) -> np.ndarray:
    """Each bone at its median length over the take, its direction kept; the pelvis where it was."""
    vectors = poses[:, 1:] - poses[:, list(PARENTS[1:])]
    lengths = np.median(np.linalg.norm(vectors, axis=-1), axis=0)
    out = poses.copy()
    for j in range(1, 17):
        v = vectors[:, j - 1]
        out[:, j] = out[:, PARENTS[j]] + lengths[j - 1] * v / np.linalg.norm(v, axis=-1, keepdims=True)
    return out


def read_back_bvhio(path) -> np.ndarray:
    """(T, 17, 3) joint positions in file units by bvhio's forward kinematics."""
    root = bvhio.readAsHierarchy(str(path))
    joints = {joint.Name: joint for joint, _, _ in root.layout()}
    out = []
    for frame in range(len(root.Keyframes)):
        root.loadPose(frame)
        out.append([tuple(joints[name].PositionWorld) for name in H36M_JOINTS])
    return np.array(out)


def _axis_rotation(axis: str, degrees: float) -> np.ndarray:
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    i, j = {"X": (1, 2), "Y": (2, 0), "Z": (0, 1)}[axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def read_back_by_hand(path, frame: int) -> dict:
    """Positions of one frame by the BVH definition (as Blender reads it), not by bvhio: a joint is
    at parent + R_parent @ OFFSET, R = R_parent @ product of its channel rotations in listed order."""
    tokens = open(path).read().split()
    stack, joints, pos = [], [], 1
    while tokens[pos] != "MOTION":
        word = tokens[pos]
        if word in ("ROOT", "JOINT"):
            joints.append({"name": tokens[pos + 1], "parent": stack[-1] if stack else -1})
            pos += 2
        elif word == "End":
            joints.append(None)
            pos += 2
        elif word == "{":
            stack.append(len(joints) - 1)
            pos += 1
        elif word == "}":
            stack.pop()
            pos += 1
        elif word == "OFFSET":
            if joints[-1] is not None:
                joints[-1]["offset"] = np.array(tokens[pos + 1:pos + 4], dtype=float)
            pos += 4
        else:  # CHANNELS n names...
            count = int(tokens[pos + 1])
            joints[-1]["channels"] = tokens[pos + 2:pos + 2 + count]
            pos += 2 + count
    motion = tokens[tokens.index("Time:") + 2:]
    width = sum(len(j["channels"]) for j in joints if j)
    values = iter(np.array(motion[frame * width:(frame + 1) * width], dtype=float))
    world = {}
    for index, joint in enumerate(joints):
        if joint is None:
            continue
        rotation, position = np.eye(3), joint["offset"].copy()
        for channel in joint["channels"]:
            value = next(values)
            if channel.endswith("position"):
                position["XYZ".index(channel[0])] = value
            else:
                rotation = rotation @ _axis_rotation(channel[0], value)
        if joint["parent"] >= 0:
            parent_position, parent_rotation = world[joint["parent"]]
            position = parent_position + parent_rotation @ joint["offset"]
            rotation = parent_rotation @ rotation
        world[index] = (position, rotation)
    return {joint["name"]: world[i][0] for i, joint in enumerate(joints) if joint}


@pytest.mark.parametrize("seed", [0, 1])
def test_round_trip_within_a_millimetre(tmp_path, seed):
    poses = random_motion(40, seed)
    export_bvh(poses, tmp_path / "take.bvh", fps=30)
    back_mm = read_back_bvhio(tmp_path / "take.bvh") @ np.linalg.inv(CAMERA_TO_FILE).T
    error = np.linalg.norm(back_mm - length_normalised(poses), axis=-1)
    assert error.max() < 1.0, error.max()


def test_file_follows_the_bvh_definition_blender_reads(tmp_path):
    poses = random_motion(5, seed=2)
    export_bvh(poses, tmp_path / "take.bvh", fps=30)
    want = length_normalised(poses) @ CAMERA_TO_FILE.T
    for frame in (0, 4):
        got = read_back_by_hand(tmp_path / "take.bvh", frame)
        for j, name in enumerate(H36M_JOINTS):
            np.testing.assert_allclose(got[name], want[frame, j], atol=1e-6)  # 1 micrometre: the file keeps 9 decimals


def test_conventions_metres_y_up_constant_bones(tmp_path):
    export_bvh(np.stack([STANDING, STANDING + 5.0]), tmp_path / "stand.bvh", fps=25)
    text = (tmp_path / "stand.bvh").read_text()
    assert text.split()[:3] == ["HIERARCHY", "ROOT", "pelvis"]
    assert "CHANNELS 6 Xposition Yposition Zposition" in text and "Frame Time: 0.04" in text
    positions = read_back_bvhio(tmp_path / "stand.bvh")
    assert positions[0, 10, 1] - positions[0, 3, 1] == pytest.approx(1.58, abs=0.01)  # head above ankle, metres
    assert positions[0, 1, 0] < 0 < positions[0, 4, 0]  # right hip at -X (the image's left)


def test_missing_frames_are_interpolated(tmp_path):
    poses = random_motion(5, seed=3)
    poses[2] = (poses[1] + poses[3]) / 2
    with_gap = poses.copy()
    with_gap[2, 5] = np.nan
    filled = export_bvh(with_gap, tmp_path / "gap.bvh", fps=30)
    assert filled.tolist() == [2]
    back_mm = read_back_bvhio(tmp_path / "gap.bvh") @ np.linalg.inv(CAMERA_TO_FILE).T
    export_bvh(poses, tmp_path / "full.bvh", fps=30)
    np.testing.assert_allclose(back_mm, read_back_bvhio(tmp_path / "full.bvh") @ np.linalg.inv(CAMERA_TO_FILE).T,
                               atol=1e-3)


@pytest.mark.parametrize("poses, message", [
    (np.zeros((3, 16, 3)), r"expected shape \(T, 17, 3\)"),
    (np.full((3, 17, 3), np.nan), "none of the 3 frames has every joint"),
    (STANDING[None] / 1000, "looks like metres"),
])
def test_bad_poses_leave_an_existing_file_alone(tmp_path, poses, message):
    target = tmp_path / "take.bvh"
    target.write_text("earlier take")
    with pytest.raises(InputError, match=message):
        export_bvh(poses, target, fps=30)
    assert target.read_text() == "earlier take"
