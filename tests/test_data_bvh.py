"""BVH loading: hand-computed forward kinematics, rigs, truncated files, the bundled conversion."""

import numpy as np
import pytest

from gfpose.data.bandai import bundled_path
from gfpose.data.bvh import load_bvh
from gfpose.data.rigs import BVH_RIGS, CMU_RIG, EndSite, Rig, find_rig, read_rig
from gfpose.errors import InputError
from gfpose.skeleton import H36M_JOINTS, joint_index

# Hips -(0,10,0)-> Chest -(5,0,0)-> Arm. Frame 0: rest. Frame 1: Hips at (1,2,3) turned
# Z=90 then X=90 (intrinsic ZXY), Chest Y=90, Arm Z=90.
TINY_BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Chest
  {
    OFFSET 0 10 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    JOINT Arm
    {
      OFFSET 5 0 0
      CHANNELS 3 Zrotation Xrotation Yrotation
      End Site
      {
        OFFSET 4 0 0
      }
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.0333333
0 0 0 0 0 0 0 0 0 0 0 0
1 2 3 90 90 0 0 0 90 90 0 0
"""

TINY_RIG = Rig(
    name="tiny",
    joints={**{name: ("Hips",) for name in H36M_JOINTS if name not in ("spine", "thorax", "l_wrist", "head")},
            "spine": ("Hips", "Chest"), "thorax": ("Chest",), "l_wrist": ("Arm",)},
    derived={"head": EndSite("Arm", extend_from="Chest", scale=1.0)},
    unit_to_mm=10.0,
    up_axis="y",
)


def write(tmp_path, text, name="take.bvh"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_tiny_bvh_matches_hand_computed_positions(tmp_path):
    poses = load_bvh(write(tmp_path, TINY_BVH), TINY_RIG)
    # By hand, in the file's Y-up cm: frame 1 Chest = (1,2,3) + Rz Rx (0,10,0) = (1,2,13),
    # Arm = Chest + Rz Rx Ry (5,0,0) = (-4,2,13), tip = Arm + Rz Rx Ry Rz (5,0,0) = (-4,2,18).
    # Then (x, y, z) cm -> (x, -z, y) * 10 mm.
    expected = {
        "pelvis": [[0, 0, 0], [10, -30, 20]],
        "thorax": [[0, 0, 100], [10, -130, 20]],
        "spine": [[0, 0, 50], [10, -80, 20]],
        "l_wrist": [[50, 0, 100], [-40, -130, 20]],
        "head": [[100, 0, 100], [-40, -180, 20]],
    }
    assert poses.shape == (2, 17, 3) and poses.dtype == np.float32
    for name, xyz in expected.items():
        np.testing.assert_allclose(poses[:, joint_index(name)], xyz, atol=1e-3, err_msg=name)


def _cmu_bvh() -> str:
    """A zero-motion BVH with the CMU joint names and simple offsets (units of the file)."""
    def leg(side, sx):
        return (f"{side[0]}HipJoint", (sx, 0, 0), [(f"{side}UpLeg", (0, -1, 0), [
            (f"{side}Leg", (0, -7, 0), [(f"{side}Foot", (0, -7, 0), [])])])])

    def arm(side, sx):
        return (f"{side}Shoulder", (sx, 0, 0), [(f"{side}Arm", (sx, 0, 0), [
            (f"{side}ForeArm", (5 * sx, 0, 0), [(f"{side}Hand", (4 * sx, 0, 0), [])])])])

    spine = ("LowerBack", (0, 0, 0), [("Spine", (0, 2, 0), [("Spine1", (0, 2, 0), [
        ("Neck", (0, 2, 0), [("Neck1", (0, 1, 0), [("Head", (0, 1, 0), [])])]),
        arm("Left", 1), arm("Right", -1)])])])
    tree = ("Hips", (0, 17, 0), [leg("Left", 1), leg("Right", -1), spine])
    lines, count = [], 0

    def emit(node, depth, root=False):
        nonlocal count
        name, offset, children = node
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if root else 'JOINT'} {name}")
        lines.append(f"{pad}{{")
        lines.append(f"{pad}  OFFSET {offset[0]} {offset[1]} {offset[2]}")
        channels = 6 if root else 3
        lines.append(f"{pad}  CHANNELS {channels} " + ("Xposition Yposition Zposition " if root else "")
                     + "Zrotation Xrotation Yrotation")
        count += channels
        for child in children:
            emit(child, depth + 1)
        if not children:
            lines.append(f"{pad}  End Site\n{pad}  {{\n{pad}    OFFSET 0 1 0\n{pad}  }}")
        lines.append(f"{pad}}}")

    emit(tree, 0, root=True)
    motion = " ".join(["0 17 0"] + ["0"] * (count - 3))
    return "HIERARCHY\n" + "\n".join(lines) + f"\nMOTION\nFrames: 1\nFrame Time: 0.01\n{motion}\n"


def test_cmu_rig_on_synthetic_file(tmp_path):
    pose = load_bvh(write(tmp_path, _cmu_bvh()), CMU_RIG)[0]
    u = CMU_RIG.unit_to_mm
    j = {name: pose[joint_index(name)] for name in H36M_JOINTS}
    # Legs hang straight down (z up); x stays the file's x.
    np.testing.assert_allclose(j["r_hip"], [-u, 0, 16 * u], atol=1e-2)
    np.testing.assert_allclose(j["r_knee"] - j["r_hip"], [0, 0, -7 * u], atol=1e-2)
    np.testing.assert_allclose(j["pelvis"], [0, 0, 16 * u], atol=1e-2)
    np.testing.assert_allclose(j["l_wrist"] - j["l_elbow"], [4 * u, 0, 0], atol=1e-2)
    np.testing.assert_allclose(j["head"] - j["neck"], [0, 0, 1 * u], atol=1e-2)  # Neck1->Head again


@pytest.mark.parametrize("cut", ["line", "mid-line", "hierarchy"])
def test_truncated_bvh_raises_naming_file(tmp_path, cut):
    lines = TINY_BVH.splitlines(keepends=True)
    text = {"line": "".join(lines[:-1]), "mid-line": TINY_BVH[:-8], "hierarchy": "".join(lines[:9])}[cut]
    path = write(tmp_path, text, name=f"cut_{cut}.bvh")
    with pytest.raises(InputError, match=f"cut_{cut}.bvh"):
        load_bvh(path, TINY_RIG)


TINY_RIG_TOML = """
name = "tiny"
unit_to_mm = 10.0
up_axis = "y"
[joints]
pelvis = ["Hips"]
spine = ["Hips", "Chest"]
thorax = ["Chest"]
neck = ["Hips"]
l_wrist = ["Arm"]
r_wrist = ["Hips"]
[limbs]
left = "Hips"
right = "Hips"
hip = "{}"
knee = "{}"
ankle = "{}"
shoulder = "{}"
elbow = "{}"
[derived]
head = {joint = "Arm", extend_from = "Chest", scale = 1.0}
"""


def test_rig_file_reads_as_the_rig_written_in_python(tmp_path):
    rig_file = write(tmp_path, TINY_RIG_TOML, name="tiny.toml")
    assert read_rig(rig_file) == TINY_RIG
    assert find_rig(str(rig_file)) == TINY_RIG
    np.testing.assert_array_equal(load_bvh(write(tmp_path, TINY_BVH), find_rig(rig_file)),
                                  load_bvh(write(tmp_path, TINY_BVH), TINY_RIG))
    assert find_rig("cmu") is CMU_RIG and set(BVH_RIGS) == {"bandai", "cmu", "cmu-daz", "gfpose"}


def test_cmu_rig_file_expands_limb_templates():
    # cgspeed names: the left knee is LeftLeg, the right wrist RightHand (docs of the cmu rig)
    assert CMU_RIG.joints["l_knee"] == ("LeftLeg",) and CMU_RIG.joints["r_wrist"] == ("RightHand",)
    assert CMU_RIG.unit_to_mm == pytest.approx(25.4 / 0.45)


@pytest.mark.parametrize("text, message", [
    (TINY_RIG_TOML.replace('l_wrist = ["Arm"]', ""), "expected each of the H36M-17 joints"),
    ("units = 3\n" + TINY_RIG_TOML, "unknown keys \\['units'\\]"),
    (TINY_RIG_TOML + "neck = 3\n", "derived.neck must be a table"),
    (TINY_RIG_TOML.replace("[limbs]", "[limbs]\nfoot = 'x'"), "unknown \\[limbs\\] keys"),
    (TINY_RIG_TOML.replace("scale = 1.0", "size = 1.0"), "size"),
    (TINY_RIG_TOML.replace("[joints]", "[joints"), "not valid TOML"),
    (TINY_RIG_TOML.replace('right = "Hips"', ""), "needs the side tags \\['right'\\]"),
    (TINY_RIG_TOML.replace('elbow = "{}"', 'elbow = "{}"\nwrist = "{}"'), "l_wrist in both"),
])
def test_bad_rig_file_is_named(tmp_path, text, message):
    rig_file = write(tmp_path, text, name="mine.toml")
    with pytest.raises(InputError, match=message):
        find_rig(rig_file)


def test_unknown_rig_name_lists_the_shipped_ones(tmp_path):
    with pytest.raises(InputError, match="neither a shipped rig \\(bandai, cmu, cmu-daz, gfpose\\)"):
        find_rig("mixamo")
    with pytest.raises(InputError, match="absent.toml: cannot be read"):
        find_rig(tmp_path / "absent.toml")


def test_missing_rig_joint_raises(tmp_path):
    with pytest.raises(InputError, match="LeftUpLeg"):
        load_bvh(write(tmp_path, TINY_BVH), CMU_RIG)


def test_rig_must_name_every_joint_once():
    with pytest.raises(InputError, match="exactly once"):
        Rig(name="bad", joints={"pelvis": ("Hips",)})


# The bundled conversion (in the repository): rigid bones keep their length within a take.
RIGID_BONES = [("pelvis", "r_hip"), ("r_hip", "r_knee"), ("r_knee", "r_ankle"), ("pelvis", "l_hip"),
               ("l_hip", "l_knee"), ("l_knee", "l_ankle"), ("neck", "head"),
               ("l_shoulder", "l_elbow"), ("l_elbow", "l_wrist"), ("r_shoulder", "r_elbow"),
               ("r_elbow", "r_wrist")]


@pytest.fixture(scope="module")
def bundled():
    if not bundled_path().exists():
        pytest.skip("bundled dataset not built")
    from gfpose.data.bandai import load_bundled
    return load_bundled()


def test_bundled_rigid_bones_constant_within_take(bundled):
    p = bundled.poses_3d
    a, b = (np.array([joint_index(n) for n in names]) for names in zip(*RIGID_BONES))
    length = np.linalg.norm(p[:, b] - p[:, a], axis=-1)
    starts = np.flatnonzero(np.r_[True, bundled.take[1:] != bundled.take[:-1]])
    spread = np.maximum.reduceat(length, starts) - np.minimum.reduceat(length, starts)
    # Each coordinate is rounded to 0.5 mm: a joint moves <= 0.25*sqrt(3) mm, so a length errs by
    # <= 0.87 mm and two frames' lengths differ by <= 1.73 mm.
    assert spread.max() <= 4 * 0.25 * np.sqrt(3) + 1e-3
    assert 350 < np.median(length[:, 1]) < 500  # femur, mm


def test_bundled_is_upright_and_not_mirrored(bundled):
    p = bundled.poses_3d[::50]
    np.testing.assert_allclose(p[:, 0], 0, atol=0.3)  # root-relative
    assert np.mean(p[:, joint_index("head"), 2] > 0) > 0.9  # +z up
    # Knees bend forward: with right = r_hip - l_hip and up = thorax - pelvis,
    # forward = up x right (a person's left is up x forward).
    right = p[:, 1] - p[:, 4]
    up = p[:, 8] - p[:, 0]
    knee = p[:, 2] - (p[:, 1] + p[:, 3]) / 2
    assert np.mean(np.einsum("ij,ij->i", np.cross(up, right), knee) > 0) > 0.7


def test_bvh_folder_becomes_a_split_training_file(tmp_path):
    from gfpose.data.bvh_folder import build_bvh_folder
    from gfpose.data.posefile import load_pose_npz
    src = tmp_path / "takes"
    for folder, names in (("walk", "abc"), ("jump", "d"), (".", "e")):
        (src / folder).mkdir(parents=True, exist_ok=True)
        for name in names:
            write(src / folder, _cmu_bvh(), name=f"{name}.bvh")
    summary = build_bvh_folder(src, CMU_RIG, tmp_path / "poses.npz", workers=1)
    data = load_pose_npz(tmp_path / "poses.npz")
    expected = load_bvh(src / "walk" / "a.bvh", CMU_RIG)
    expected = expected - expected[:, :1]
    np.testing.assert_allclose(data.poses_3d[data.take == "d"], expected, atol=0.25)  # 0.5 mm steps
    assert sorted(set(data.action)) == ["all", "jump", "walk"]
    # one of walk's three takes is test (round(0.1 * 3) -> at least 1); single-take actions stay train
    test_takes = set(data.take[data.split == "test"])
    assert len(test_takes) == 1 and test_takes <= {"a", "b", "c"}
    assert summary["train"]["takes"] == 4 and summary["frames_read"] == 5


def test_same_named_takes_in_different_folders_stay_apart(tmp_path):
    from gfpose.data.bvh_folder import build_bvh_folder
    from gfpose.data.posefile import load_pose_npz
    for folder in ("walk", "jump"):
        (tmp_path / "takes" / folder).mkdir(parents=True)
        write(tmp_path / "takes" / folder, _cmu_bvh(), name="01.bvh")
    write(tmp_path / "takes" / "walk", _cmu_bvh(), name="02.bvh")
    build_bvh_folder(tmp_path / "takes", CMU_RIG, tmp_path / "poses.npz", workers=1)
    data = load_pose_npz(tmp_path / "poses.npz")
    assert sorted(set(data.take)) == ["02", "jump/01", "walk/01"]
    assert {(take, action) for take, action in zip(data.take, data.action)} == {
        ("02", "walk"), ("jump/01", "jump"), ("walk/01", "walk")}


def test_build_bvh_command_reads_cmu_folder(tmp_path):
    from gfpose.cli import main
    from gfpose.data.posefile import load_pose_npz
    write(tmp_path, _cmu_bvh(), name="01_01.bvh")
    assert main(["data", "build-bvh", str(tmp_path), "--rig", "cmu", "-o", str(tmp_path / "cmu.npz")]) == 0
    pose = load_pose_npz(tmp_path / "cmu.npz").poses_3d[0]
    np.testing.assert_allclose(pose[joint_index("r_knee")] - pose[joint_index("r_hip")],
                               [0, 0, -7 * CMU_RIG.unit_to_mm], atol=0.5)
