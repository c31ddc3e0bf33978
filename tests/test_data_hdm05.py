"""ASF/AMC reading and forward kinematics, the HDM05 and CMU Daz rigs, and their npz builders,
on small files written here (the real data sets are not needed)."""

import numpy as np
import pytest

from gfpose.cli import main
from gfpose.data.asf_amc import forward_kinematics, load_amc, parse_amc, parse_asf, rest_pose
from gfpose.data.bvh import load_bvh
from gfpose.data.cmu_bvh import LEAD_IN, build_cmu_bvh, cmu_action, usable_frames
from gfpose.data.posefile import load_pose_npz, read_npz
from gfpose.data.rigs import BVH_RIGS, CMU_DAZ_RIG, HDM05_RIG, EndSite, Rig
from gfpose.errors import InputError
from gfpose.skeleton import H36M_JOINTS, joint_index


def asf_text(bones, length_unit=1.0):
    """An ASF file from (name, parent, direction, length, axis, dof) tuples."""
    blocks = "".join(
        f"  begin\n    id {i}\n    name {name}\n    direction {d[0]} {d[1]} {d[2]}\n    length {length}\n"
        f"    axis {axis[0]} {axis[1]} {axis[2]} XYZ\n" + (f"    dof {dof}\n    limits (-180 180)\n" if dof else "")
        + "  end\n"
        for i, (name, _, d, length, axis, dof) in enumerate(bones, 1))
    children = {}
    for name, parent, *_ in bones:
        children.setdefault(parent, []).append(name)
    hierarchy = "".join(f"    {parent} {' '.join(kids)}\n" for parent, kids in children.items())
    return (f"# written by a test\n:version 1.10\n:name t\n:units\n  mass 1.0\n  length {length_unit}\n  angle deg\n"
            ":root\n   order TX TY TZ RX RY RZ\n   axis XYZ\n   position 0 0 0\n   orientation 0 0 0\n"
            f":bonedata\n{blocks}:hierarchy\n  begin\n{hierarchy}  end\n")


# root -(0,2,0)-> up -(1,0,0)-> out -(1,0,0)-> tip. "out" has its local frame turned 90 deg about z.
CHAIN = [("up", "root", (0, 1, 0), 2, (0, 0, 0), "rz"),
         ("out", "up", (1, 0, 0), 1, (0, 0, 90), "rx"),
         ("tip", "out", (1, 0, 0), 1, (0, 0, 0), "")]
# Frame 1: rest. Frame 2: root at (1,2,3) turned Z=90, up Z=90, out X=90 (about its local x = world y).
CHAIN_AMC = ":FULLY-SPECIFIED\n:DEGREES\n1\nroot 0 0 0 0 0 0\nup 0\nout 0\n2\nroot 1 2 3 0 0 90\nup 90\nout 90\n"


def write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


@pytest.fixture
def chain(tmp_path):
    return write(tmp_path, "chain.asf", asf_text(CHAIN)), write(tmp_path, "chain.amc", CHAIN_AMC)


def test_chain_matches_hand_computed_positions(chain):
    skeleton = parse_asf(chain[0])
    positions, rotations = forward_kinematics(skeleton, parse_amc(chain[1], skeleton))
    # Rest: the ends are the summed directions x lengths.
    rest = {"root": (0, 0, 0), "up": (0, 2, 0), "out": (1, 2, 0), "tip": (2, 2, 0)}
    # Frame 2 by hand: root turn Rz90, up adds Rz90 -> Rz180, up end = (1,2,3) + (0,-2,0).
    # out: C M C^-1 = Rz90 Rx90 Rz-90 = Ry90, global Rz180 Ry90 takes (1,0,0) to (0,0,-1).
    moved = {"root": (1, 2, 3), "up": (1, 0, 3), "out": (1, 0, 2), "tip": (1, 0, 1)}
    for name in rest:
        np.testing.assert_allclose(positions[name], [rest[name], moved[name]], atol=1e-9, err_msg=name)
        np.testing.assert_allclose(rest_pose(skeleton)[name], rest[name], atol=1e-9)
    np.testing.assert_allclose(rotations["tip"][0], np.eye(3), atol=1e-12)


def test_load_amc_applies_rig_units_and_axes(chain):
    rig = Rig(name="chain",
              joints={**{n: ("root",) for n in H36M_JOINTS if n not in ("spine", "l_wrist", "head")},
                      "spine": ("up", "out"), "l_wrist": ("tip",)},
              derived={"head": EndSite("out", extend_from="up", scale=1.0)}, unit_to_mm=10.0, up_axis="y")
    poses = load_amc(chain[1], chain[0], rig)
    # Y-up file units -> (x, -z, y) * 10 mm. The head End Site extends up->out by (1,0,0) in the rest
    # pose and turns with "out": frame 2 gives (1,0,2) + (0,0,-1).
    expected = {"pelvis": [[0, 0, 0], [10, -30, 20]], "spine": [[5, 0, 20], [10, -25, 0]],
                "l_wrist": [[20, 0, 20], [10, -10, 0]], "head": [[20, 0, 20], [10, -10, 0]]}
    assert poses.shape == (2, 17, 3) and poses.dtype == np.float32
    for name, xyz in expected.items():
        np.testing.assert_allclose(poses[:, joint_index(name)], xyz, atol=1e-4, err_msg=name)


def cmu_style_bones():
    """A CMU-style ASF skeleton with the bones HDM05_RIG reads, standing upright, left side +x."""
    bones = [("lowerback", "root", (0, 1, 0), 2.5, (0, 0, 0), "rx ry rz"),
             ("upperback", "lowerback", (0, 1, 0), 2.5, (0, 0, 0), "rx ry rz"),
             ("thorax", "upperback", (0, 1, 0), 2.5, (0, 0, 0), "rx ry rz"),
             ("lowerneck", "thorax", (0, 1, 0), 1.5, (0, 0, 0), "rx ry rz"),
             ("upperneck", "lowerneck", (0, 1, 0), 1.5, (0, 0, 0), "rx ry rz"),
             ("head", "upperneck", (0, 1, 0), 1.5, (0, 0, 0), "rx ry rz")]
    for s, x in (("l", 1), ("r", -1)):
        bones += [(f"{s}hipjoint", "root", (0.6 * x, -0.8, 0), 2.5, (0, 0, 0), ""),
                  (f"{s}femur", f"{s}hipjoint", (0, -1, 0), 7, (0, 0, 20 * x), "rx ry rz"),
                  (f"{s}tibia", f"{s}femur", (0, -1, 0), 7, (0, 0, 20 * x), "rx"),
                  (f"{s}clavicle", "thorax", (x, 0, 0), 3, (0, 0, 0), "ry rz"),
                  (f"{s}humerus", f"{s}clavicle", (x, 0, 0), 5, (0, 0, 0), "rx ry rz"),
                  (f"{s}radius", f"{s}humerus", (x, 0, 0), 3, (0, 0, 0), "rx"),
                  (f"{s}wrist", f"{s}radius", (x, 0, 0), 1.5, (0, 0, 0), "ry")]
    return bones


def zero_amc(bones, frames=1, offsets=()):
    """An AMC of ``frames`` frames, all channels 0 except root X translation += offsets[f]."""
    lines = [":FULLY-SPECIFIED", ":DEGREES"]
    for f in range(frames):
        lines += [str(f + 1), f"root {offsets[f] if offsets else 0} 0 0 0 0 0"]
        lines += [f"{name} " + " ".join("0" for _ in dof.split()) for name, _, _, _, _, dof in bones if dof]
    return "\n".join(lines) + "\n"


def test_hdm05_rig_maps_every_h36m_joint(tmp_path):
    bones = cmu_style_bones()
    asf = write(tmp_path, "HDM_xx.asf", asf_text(bones, length_unit=0.45))
    pose = load_amc(write(tmp_path, "t.amc", zero_amc(bones)), asf, HDM05_RIG)[0]
    assert HDM05_RIG.name not in BVH_RIGS  # ASF bone ends, not BVH joints
    u = 25.4 / 0.45
    j = {name: pose[joint_index(name)] for name in H36M_JOINTS}
    np.testing.assert_allclose(j["l_hip"], [1.5 * u, 0, -2 * u], atol=1e-3)
    np.testing.assert_allclose(j["pelvis"], [0, 0, -2 * u], atol=1e-3)
    np.testing.assert_allclose(j["l_knee"] - j["l_hip"], [0, 0, -7 * u], atol=1e-3)  # z up, mm
    np.testing.assert_allclose(j["r_ankle"] - j["r_knee"], [0, 0, -7 * u], atol=1e-3)
    np.testing.assert_allclose(j["spine"], [0, 0, 2.5 * u], atol=1e-3)
    np.testing.assert_allclose(j["thorax"], [0, 0, 7.5 * u], atol=1e-3)
    np.testing.assert_allclose(j["neck"], [0, 0, 9.75 * u], atol=1e-3)  # mean of the two neck bones' ends
    np.testing.assert_allclose(j["head"], [0, 0, 12 * u], atol=1e-3)
    np.testing.assert_allclose(j["r_shoulder"] - j["thorax"], [-3 * u, 0, 0], atol=1e-3)
    np.testing.assert_allclose(j["l_wrist"] - j["l_elbow"], [4.5 * u, 0, 0], atol=1e-3)  # radius + wrist bones


@pytest.mark.parametrize("case", ["no hierarchy", "no length", "unknown child", "translation dof", "bad number"])
def test_bad_asf_raises_naming_file(tmp_path, case):
    text = asf_text(CHAIN)
    text = {"no hierarchy": text.split(":hierarchy")[0],
            "no length": text.replace("    length 2\n", ""),
            "unknown child": text.replace("up out\n", "up out hand\n"),
            "translation dof": text.replace("dof rz", "dof tx"),
            "bad number": text.replace("direction 0 1 0", "direction 0 one 0")}[case]
    path = write(tmp_path, f"bad_{case.replace(' ', '_')}.asf", text)
    with pytest.raises(InputError, match=path.name):
        parse_asf(path)


@pytest.mark.parametrize("case", ["missing bone", "extra value", "not a number", "no frames", "unknown bone"])
def test_bad_amc_raises_naming_file(chain, case):
    text = {"missing bone": CHAIN_AMC.replace("up 90\n", ""),
            "extra value": CHAIN_AMC.replace("out 90", "out 90 1"),
            "not a number": CHAIN_AMC.replace("up 90", "up ninety"),
            "no frames": ":FULLY-SPECIFIED\n:DEGREES\n",
            "unknown bone": CHAIN_AMC + "hand 3\n"}[case]
    path = write(chain[1].parent, f"bad_{case.replace(' ', '_')}.amc", text)
    with pytest.raises(InputError, match=path.name):
        load_amc(path, chain[0], HDM05_RIG)


def test_missing_files_and_rig_bones_raise(chain, tmp_path):
    with pytest.raises(InputError, match="nothing.asf"):
        parse_asf(tmp_path / "nothing.asf")
    with pytest.raises(InputError, match="lfemur"):  # the chain lacks HDM05_RIG's bones
        load_amc(chain[1], chain[0], HDM05_RIG)


def test_build_hdm05_splits_by_actor(tmp_path):
    bones = cmu_style_bones()
    for split, actor in (("train", "bd"), ("test", "mm")):
        folder = tmp_path / "src" / split / "1"
        folder.mkdir(parents=True)
        write(folder, f"HDM_{actor}.asf", asf_text(bones, length_unit=0.45))
        write(folder, f"HDM_{actor}_squat1Reps_001_120.amc", zero_amc(bones, 3))
    assert main(["data", "build-hdm05", str(tmp_path / "src"), "-o", str(tmp_path / "hdm05.npz")]) == 0
    data = load_pose_npz(tmp_path / "hdm05.npz")
    assert set(data.take[data.split == "train"]) == {"HDM_bd_squat1Reps_001_120"}
    assert set(data.subject[data.split == "test"]) == {"mm"} and set(data.action) == {"squat1Reps"}
    np.testing.assert_allclose(data.poses_3d[:, 0], 0, atol=0.25)  # root-relative
    assert len(data) == 2  # the still frames 2 and 3 are near-duplicates
    assert "CC BY-SA 3.0" in str(read_npz(tmp_path / "hdm05.npz")["attribution"])


def daz_bvh(frames=1, motion=None):
    """A BVH with the Daz-friendly CMU joint names (cm), standing; ``motion`` rows override zeros."""
    def limb(side, x):
        return [(f"{side}Thigh", (8 * x, -3, 0), [(f"{side}Shin", (0, -40, 0), [(f"{side}Foot", (0, -42, 0), [])])]),
                (f"{side}Collar", (3 * x, 19, 0), [(f"{side}Shldr", (9 * x, -2, 0), [
                    (f"{side}ForeArm", (28 * x, 0, 0), [(f"{side}Hand", (24 * x, 0, 0), [])])])])]

    left, right = limb("l", 1), limb("r", -1)
    tree = ("hip", (0, 0, 0), [left[0], right[0], ("abdomen", (0, 20, 0), [("chest", (0, 12, 0), [
        ("neck", (0, 22, 0), [("head", (0, 7, 0), [])]), left[1], right[1]])])])
    lines, channels = [], 0

    def emit(node, depth):
        nonlocal channels
        name, offset, children = node
        pad = "  " * depth
        lines.append(f"{pad}{'ROOT' if depth == 0 else 'JOINT'} {name}\n{pad}{{")
        lines.append(f"{pad}  OFFSET {offset[0]} {offset[1]} {offset[2]}")
        lines.append(f"{pad}  CHANNELS " + ("6 Xposition Yposition Zposition " if depth == 0 else "3 ")
                     + "Zrotation Xrotation Yrotation")
        channels += 6 if depth == 0 else 3
        for child in children:
            emit(child, depth + 1)
        if not children:
            lines.append(f"{pad}  End Site\n{pad}  {{\n{pad}    OFFSET 0 1 0\n{pad}  }}")
        lines.append(f"{pad}}}")

    emit(tree, 0)
    rows = np.zeros((frames, channels)) if motion is None else motion(channels)
    body = "\n".join(" ".join(f"{v:g}" for v in row) for row in rows)
    return "HIERARCHY\n" + "\n".join(lines) + f"\nMOTION\nFrames: {len(rows)}\nFrame Time: 0.00833333\n{body}\n"


def test_cmu_daz_rig_on_synthetic_file(tmp_path):
    assert BVH_RIGS["cmu-daz"] is CMU_DAZ_RIG
    pose = load_bvh(write(tmp_path, "daz.bvh", daz_bvh()), CMU_DAZ_RIG)[0]
    j = {name: pose[joint_index(name)] for name in H36M_JOINTS}
    np.testing.assert_allclose(j["pelvis"], [0, 0, -30], atol=1e-2)  # mean of the thighs, cm -> mm, z up
    np.testing.assert_allclose(j["l_hip"], [80, 0, -30], atol=1e-2)
    np.testing.assert_allclose(j["r_ankle"] - j["r_knee"], [0, 0, -420], atol=1e-2)
    np.testing.assert_allclose(j["spine"], [0, 0, 260], atol=1e-2)  # mean(abdomen, chest)
    np.testing.assert_allclose(j["thorax"], [0, 0, 510], atol=1e-2)  # mean of the collars
    np.testing.assert_allclose(j["neck"], [0, 0, 610 + 0.3 * 70], atol=1e-2)  # End Sites on head along neck->head
    np.testing.assert_allclose(j["head"], [0, 0, 610 + 1.9 * 70], atol=1e-2)
    np.testing.assert_allclose(j["l_wrist"] - j["l_elbow"], [240, 0, 0], atol=1e-2)


def test_usable_frames_drop_lead_in_and_short_glitches():
    poses = np.zeros((60, 17, 3))
    poses[:, 5, 0] = np.arange(60) * 10.0  # steady motion, 10 mm a frame
    poses[:LEAD_IN, 5, 0] = 3000.0  # the zero pose and blend
    poses[30:33, 5, 2] = 500.0  # a 3-frame flip
    kept = usable_frames(poses)
    np.testing.assert_array_equal(kept, np.r_[LEAD_IN:30, 33:60])


def test_cmu_actions_follow_the_index():
    assert [cmu_action(t) for t in ("02_01", "02_03", "02_04", "09_05", "13_10", "07_12")] == \
        ["walk", "run", "jump", "run", "jump", "walk"]


def test_build_cmu_bvh_labels_and_split(tmp_path):
    def moving(channels):  # the root turns 3 degrees a frame, so every frame is kept
        rows = np.zeros((30, channels))
        rows[:, 3] = np.arange(30) * 3.0
        return rows

    text = daz_bvh(motion=moving)
    for rel in ("przestr/data/02/02_01.bvh", "przestr/data/07/07_01.bvh", "papagina/train_data_bvh/salsa/01.bvh",
                "papagina/train_data_bvh/salsa/02.bvh"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        write(tmp_path, rel, text)
    (tmp_path / "przestr/data/16").mkdir()
    write(tmp_path, "przestr/data/16/16_01.bvh", text.replace("lThigh", "lfemur"))
    summary = build_cmu_bvh(tmp_path, tmp_path / "cmu.npz", workers=1)
    data = load_pose_npz(tmp_path / "cmu.npz")
    assert summary["skipped"] == ["16_01.bvh (another skeleton)"]
    assert sorted(set(data.take)) == ["02_01", "07_01", "salsa/01", "salsa/02"]
    assert set(data.take[data.split == "test"]) & {"02_01", "07_01"} == {"02_01"}  # subject 02 held out
    assert len(set(data.take[(data.split == "test") & (data.subject == "salsa")])) == 1  # 1 of 2 dance takes
    assert set(data.action[data.subject == "07"]) == {"walk"} and set(data.action[data.subject == "salsa"]) == {"salsa"}
    assert data.frame.max() == 30 - LEAD_IN - 1  # frames 0-4 are the lead-in
    assert "mocap.cs.cmu.edu" in str(read_npz(tmp_path / "cmu.npz")["attribution"])
