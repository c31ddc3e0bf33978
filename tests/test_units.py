"""One unit check for 3D poses at every entry point: a pose file, a PoseSet and the API's pose
arguments all refuse metres, centimetres and inches, naming the unit and the factor to millimetres."""

import re

import numpy as np
import pytest

from gfpose.data.posefile import load_pose_npz, save_pose_npz
from gfpose.data.poseset import PoseSet
from gfpose.errors import InputError
from gfpose.skeleton import PARENTS
from gfpose.validation import check_millimetres, check_poses_mm, median_bone_length

# Bone lengths (mm) of joints 1..16, child of PARENTS[j]: hips 130, thighs 450, shins 400, spine 230,
# thorax 250, neck 120, head 120, shoulders 150, upper arms 280, forearms 250. Sorted, the 8th and
# 9th of the 16 are both 250, so the median bone is 250 mm.
BONE_MM = (130, 450, 400, 130, 450, 400, 230, 250, 120, 120, 150, 280, 250, 150, 280, 250)
DIRECTIONS = np.eye(3)


def person_mm() -> np.ndarray:
    """(1, 17, 3) pose built joint by joint: each bone along x, y or z in turn, BONE_MM long."""
    pose = np.zeros((17, 3))
    for j in range(1, 17):
        pose[j] = pose[PARENTS[j]] + BONE_MM[j - 1] * DIRECTIONS[j % 3]
    return pose[None].astype(np.float32)


UNITS = [("metres", 1 / 1000, 1000, 0.25), ("centimetres", 1 / 10, 10, 25), ("inches", 1 / 25.4, 25.4, 9.84)]


def conversion_factor(message: str) -> float:
    return float(re.search(r"multiply by ([\d.]+) ", message).group(1))


def test_median_bone_of_the_hand_made_person_is_250_mm():
    assert median_bone_length(person_mm()) == pytest.approx(250.0)
    check_millimetres(person_mm(), "poses")  # millimetres pass


@pytest.mark.parametrize("unit, scale, factor, median", UNITS)
def test_wrong_unit_is_named_and_the_given_factor_fixes_it(unit, scale, factor, median):
    poses = person_mm() * np.float32(scale)
    with pytest.raises(InputError, match=rf"poses: median bone length {median:g}; .*looks like {unit}") as err:
        check_millimetres(poses, "poses")
    assert conversion_factor(str(err.value)) == factor
    check_millimetres(poses * conversion_factor(str(err.value)), "poses")


@pytest.mark.parametrize("unit, scale, factor, median", UNITS)
def test_every_entry_point_refuses_the_wrong_unit(tmp_path, unit, scale, factor, median):
    poses = person_mm() * np.float32(scale)
    with pytest.raises(InputError, match=f"pose: median bone length .*looks like {unit}"):
        check_poses_mm(poses, "pose")  # the API (complete, denoise)
    labels = {k: np.array(["x"]) for k in ("action", "subject", "take")}
    with pytest.raises(InputError, match=f"poses_3d: median bone length .*looks like {unit}"):
        PoseSet(poses_3d=poses, frame=np.arange(1), split=np.array(["train"]), **labels)
    path = save_pose_npz(tmp_path / f"in_{unit}.npz", poses_3d=poses)
    with pytest.raises(InputError, match=rf"in_{unit}.npz: poses_3d: .*multiply by {factor:g} "):
        load_pose_npz(path)


def test_far_too_large_poses_are_refused_without_a_unit_guess():
    with pytest.raises(InputError, match="too large for a person in millimetres"):
        check_millimetres(person_mm() * 10, "poses")
