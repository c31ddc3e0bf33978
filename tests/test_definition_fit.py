"""Fitting another tool's joint definition before scoring (gfpose.definition_fit): the adapter's
symmetries, a known change of definition undone by the shipped prior, and `gfpose score --fit-definition`."""

import json

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from gfpose.augment import mirror
from gfpose.cli import main
from gfpose.data.bandai import load_bundled
from gfpose.data.cameras import camera_views, fixed_test_cameras
from gfpose.data.posefile import save_pose_npz
from gfpose.definition_fit import BONE_GROUPS, OFFSET_SITES, DefinitionAdapter
from gfpose.errors import InputError
from gfpose.joint_definitions import to_detector_joints
from gfpose.prior import PosePrior
from gfpose.skeleton import H36M_JOINTS

R_HIP, R_KNEE, R_ANKLE = 1, 2, 3


def known_change() -> DefinitionAdapter:
    """Shoulders 40 mm further out and 20 mm higher, the neck 30% and the upper arms 10% longer."""
    change = DefinitionAdapter()
    with torch.no_grad():
        change.offset[list(OFFSET_SITES).index("shoulder")] = torch.tensor([4.0, 2.0, 0.0])
        change.log_scale[list(BONE_GROUPS).index("neck")] = np.log(1.3)
        change.log_scale[list(BONE_GROUPS).index("upper arm")] = np.log(1.1)
    return change.requires_grad_(False)


@pytest.fixture(scope="module")
def test_poses() -> torch.Tensor:
    """192 bundled test poses, camera frame, root-relative (mm)."""
    world = torch.from_numpy(load_bundled().select_split("test").poses_3d[::170][:192])
    poses = camera_views(world, fixed_test_cameras(len(world), seed=0))[0]
    return poses - poses[:, :1]


def knee_bent_backwards(poses: torch.Tensor) -> torch.Tensor:
    """Each right shank swung to point along its thigh's continuation turned 40 degrees backwards
    about the hip-knee-ankle plane's normal: a knee bent the way knees do not bend."""
    thigh, shank = poses[:, R_KNEE] - poses[:, R_HIP], poses[:, R_ANKLE] - poses[:, R_KNEE]
    axis = torch.nn.functional.normalize(torch.cross(thigh, shank, dim=-1), dim=-1)
    turned = Rotation.from_rotvec((-np.radians(40.0) * axis).numpy()).apply(
        torch.nn.functional.normalize(thigh, dim=-1).numpy())
    out = poses.clone()
    out[:, R_ANKLE] = poses[:, R_KNEE] + torch.from_numpy(turned).float() * shank.norm(dim=-1, keepdim=True)
    return out


def test_a_fresh_adapter_is_the_identity(test_poses):
    torch.testing.assert_close(DefinitionAdapter()(test_poses), test_poses)


def test_the_adapter_commutes_with_rotations_and_with_mirroring(test_poses):
    change = known_change()
    with torch.no_grad():
        change.offset[list(OFFSET_SITES).index("head")] = torch.tensor([0.0, -1.5, 2.5])
        change.log_scale[list(BONE_GROUPS).index("hip")] = np.log(1.4)
    turn = torch.from_numpy(Rotation.from_euler("zyx", [30, -70, 110], degrees=True).as_matrix()).float()
    torch.testing.assert_close(change(test_poses @ turn.T), change(test_poses) @ turn.T, atol=1e-3, rtol=1e-4)
    torch.testing.assert_close(change(mirror(test_poses)), mirror(change(test_poses)), atol=1e-3, rtol=1e-4)
    moved = (known_change()(test_poses) - test_poses).norm(dim=-1)
    assert moved[:, H36M_JOINTS.index("l_shoulder")].mean() > 30 and moved[:, :7].max() < 1e-3  # legs untouched


def test_the_prior_undoes_a_known_change_of_definition_and_corrupted_poses_still_stand_out(test_poses):
    """Poses in another definition (known_change), one in eight with a knee bent backwards as well:
    the fitted definition brings the poses most of the way back and their scores to the clean
    poses', while the bent knees still score above the same poses unbent."""
    prior = PosePrior.pretrained("cpu")
    altered = known_change()(test_poses)
    bent = torch.arange(len(test_poses)) % 8 == 0
    file = torch.where(bent[:, None, None], knee_bent_backwards(altered), altered).numpy()
    definition = prior.fit_definition(file)
    with torch.no_grad():
        back = definition(altered)
    before, after = ((poses - test_poses).norm(dim=-1).mean() for poses in (altered, back))
    assert after < 0.4 * before, (before, after)
    clean, raw, fitted = (np.median(prior.joint_scores(poses, definition=fit).sum(axis=1)) for poses, fit in
                          ((test_poses.numpy(), None), (altered.numpy(), None), (altered.numpy(), definition)))
    assert raw > 1.5 * clean and fitted < 1.15 * clean, (clean, raw, fitted)
    scores = prior.score(file, definition=definition)
    unbent = prior.score(altered.numpy()[bent.numpy()], definition=definition)
    assert (scores[bent.numpy()] > unbent).mean() >= 0.9


def test_too_few_poses_to_fit_a_definition_is_an_input_error(test_poses):
    with pytest.raises(InputError, match="at least 20 poses"):
        PosePrior.pretrained("cpu").fit_definition(test_poses[:5].numpy())


def test_cli_fits_the_definition_of_a_detectors_poses(test_poses, tmp_path, capsys):
    """Bundled poses with their derived joints where a detector puts them are flagged as given,
    which the CLI says, and far fewer once it fits their definition: on request, or by itself for
    a file that says its joints are a detector's (gfpose lift's)."""
    detector = to_detector_joints(test_poses[:24]).numpy()
    save_pose_npz(tmp_path / "poses.npz", poses_3d=detector)
    assert main(["score", str(tmp_path / "poses.npz"), "--json", "--device", "cpu"]) == 0
    as_given = json.loads(capsys.readouterr().out)
    assert main(["score", str(tmp_path / "poses.npz"), "--device", "cpu"]) == 0
    assert "--fit-definition" in capsys.readouterr().out
    assert main(["score", str(tmp_path / "poses.npz"), "--json", "--fit-definition", "--device", "cpu"]) == 0
    fitted = json.loads(capsys.readouterr().out)
    assert len(as_given["flagged"]) > 20 and len(fitted["flagged"]) < 10, (as_given["flagged"], fitted["flagged"])
    assert set(fitted["definition"]["offsets_mm"]) == set(OFFSET_SITES)
    save_pose_npz(tmp_path / "lifted.npz", track=detector, joint_definition=np.array("detector"))  # as gfpose lift
    assert main(["score", str(tmp_path / "lifted.npz"), "--json", "--device", "cpu"]) == 0
    assert json.loads(capsys.readouterr().out)["flagged"] == fitted["flagged"]
