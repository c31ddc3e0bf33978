"""PosePrior's scores against a Gaussian's exact density and on real poses bent where knees do not
bend; its threshold on held-out poses, its input checks and `gfpose score` end to end."""

import json
import math

import numpy as np
import pytest
import torch
from conftest import NOISE_PREDICTION
from scipy.spatial.transform import Rotation
from scipy.stats import multivariate_normal, spearmanr
from torch import nn

from gfpose.cli import main
from gfpose.data.bandai import load_bundled
from gfpose.data.cameras import camera_views, fixed_test_cameras
from gfpose.data.posefile import read_npz, save_pose_npz
from gfpose.errors import InputError
from gfpose.plausibility import (
    BODY_PARTS,
    HEADINGS_DEG,
    LEVELS_MM,
    PITCH_DEG,
    REFERENCE_EVERY,
    heading_turns,
    joint_scores,
)
from gfpose.prior import PosePrior
from gfpose.sde import SubVPSDE
from gfpose.tasks import Sampler

R_HIP, R_KNEE, R_ANKLE = 1, 2, 3
DATA_SCALE = 10.0  # model units per metre


class ExactGaussianNet(nn.Module):
    """A 'network' whose output / sigma(t) is the exact score of N(mean, var) per coordinate diffused by the SDE."""

    def __init__(self, sde, mean: torch.Tensor, var: float):
        super().__init__()
        self.sde, self.var = sde, var
        self.register_buffer("mean", mean)
        self.dummy = nn.Parameter(torch.zeros(1))  # the Sampler reads the device from a parameter

    def forward(self, x, t, cond, keep, cond_is_3d):
        alpha, sigma = self.sde.alpha(t).reshape(-1, 1, 1), self.sde.sigma(t).reshape(-1, 1, 1)
        return -sigma * (x - alpha * self.mean) / (alpha**2 * self.var + sigma**2)


@pytest.fixture(scope="module")
def shipped():
    return PosePrior.pretrained("cpu")


@pytest.fixture(scope="module")
def standing():
    """Bundled test poses (world frame) with the right knee bent 30-90 degrees."""
    poses = load_bundled().select_split("test").poses_3d[::50]
    thigh, shank = poses[:, R_KNEE] - poses[:, R_HIP], poses[:, R_ANKLE] - poses[:, R_KNEE]
    cos = (thigh * shank).sum(-1) / np.linalg.norm(thigh, axis=-1) / np.linalg.norm(shank, axis=-1)
    return poses[(cos < np.cos(np.radians(30))) & (cos > np.cos(np.radians(90)))][:8]


def knee_bent_backwards(pose: np.ndarray, degrees: float) -> np.ndarray:
    """The right shank turned in its bending plane to `degrees` beyond straight, the wrong way."""
    thigh, shank = pose[R_KNEE] - pose[R_HIP], pose[R_ANKLE] - pose[R_KNEE]
    axis = np.cross(thigh, shank)
    turn = Rotation.from_rotvec(-np.radians(degrees) * axis / np.linalg.norm(axis))
    out = pose.copy()
    out[R_ANKLE] = pose[R_KNEE] + turn.apply(thigh) * np.linalg.norm(shank) / np.linalg.norm(thigh)
    return out


def test_joint_scores_of_an_exact_gaussian_score_are_the_closed_form():
    """For N(m, v), D(alpha x, t) - x = -s^2 (x - m) / (v + s^2), so each joint scores
    ln 2 sum_k s_k^2 ||x - m||^2 / (v + s_k^2)^2."""
    sde, var = SubVPSDE(), 0.4**2  # 40 mm per coordinate, in model units
    mean = torch.randn(17, 3, generator=torch.Generator().manual_seed(0)) * 3
    mean[0] = 0
    poses = (mean + torch.randn(6, 17, 3, generator=torch.Generator().manual_seed(1)) * 0.8) * (1000 / DATA_SCALE)
    poses -= poses[:, :1].clone()
    sampler = Sampler(ExactGaussianNet(sde, mean, var), sde, DATA_SCALE, config=NOISE_PREDICTION)
    levels = [level * DATA_SCALE / 1000 for level in LEVELS_MM]

    def closed_form(x: torch.Tensor) -> np.ndarray:
        offset = (x * DATA_SCALE / 1000 - mean).pow(2).sum(-1).numpy()
        return math.log(2) * sum(s**2 * offset / (var + s**2) ** 2 for s in levels)

    as_seen = joint_scores(sampler, poses.numpy(), headings_deg=(0,))
    np.testing.assert_allclose(as_seen, closed_form(poses), rtol=1e-4, atol=1e-6)
    # the heading average: the mean of the closed form of the poses turned about the vertical
    turned = [poses @ torch.as_tensor(turn, dtype=torch.float32).T for turn in heading_turns(HEADINGS_DEG)]
    np.testing.assert_allclose(joint_scores(sampler, poses.numpy()), np.mean([closed_form(x) for x in turned], axis=0),
                               rtol=1e-4, atol=1e-6)


def test_headings_turn_about_the_vertical_of_a_pitched_camera():
    """World +z seen by an upright camera pitched PITCH_DEG down stays put under every heading turn,
    and a turn by 180 degrees sends a horizontal direction of the world to its opposite."""
    pitch = math.radians(PITCH_DEG)
    up = np.array([0.0, -math.cos(pitch), -math.sin(pitch)])
    turns = heading_turns(HEADINGS_DEG)
    np.testing.assert_allclose(turns @ up, np.broadcast_to(up, (len(turns), 3)), atol=1e-12)
    np.testing.assert_allclose(heading_turns((180,))[0] @ [1.0, 0.0, 0.0], [-1.0, 0.0, 0.0], atol=1e-12)
    assert len(HEADINGS_DEG) == 8 and HEADINGS_DEG[0] == 0


@pytest.mark.slow  # trains the session's small Gaussian model when no other test has
def test_scores_rank_poses_like_the_exact_gaussian_density(unconditional_model, gaussian_poses):
    prior = PosePrior.load(unconditional_model, "cpu")
    samples = gaussian_poses.sample(200, seed=5)
    signs = np.random.default_rng(0).choice([-1.0, 1.0], size=(20, *gaussian_poses.mean.shape))
    far = (gaussian_poses.mean + 6 * gaussian_poses.std * signs).astype(np.float32)
    def as_seen(poses):  # the density of the pose as given, not averaged over headings
        return joint_scores(prior.scoring_sampler, poses, headings_deg=(0,)).sum(axis=1)

    scores = as_seen(samples)  # about -log p(x) + const
    assert as_seen(far).min() > scores.max()
    free = slice(3, None)  # the pelvis is fixed at 0
    density = multivariate_normal(gaussian_poses.mean.reshape(-1)[free], gaussian_poses.covariance[free, free])
    assert spearmanr(scores, -density.logpdf(samples.reshape(len(samples), -1)[:, free])).statistic > 0.8


def test_a_knee_bent_backwards_scores_higher_than_the_real_pose(shipped, standing):
    bent = np.stack([knee_bent_backwards(pose, 45.0) for pose in standing])
    clean, corrupted = shipped.score(standing, frame="world"), shipped.score(bent, frame="world")
    assert len(standing) == 8 and (corrupted > clean).all()
    flags = [shipped.flag_implausible(poses, frame="world").mean() for poses in (bent, standing)]
    assert flags[0] > flags[1]
    parts = shipped.part_scores(bent, frame="world")
    np.testing.assert_allclose(parts.max(axis=1), corrupted, rtol=1e-6)
    assert (parts.argmax(axis=1) == list(BODY_PARTS).index("right lower leg")).all()


def test_the_threshold_flags_about_one_percent_of_other_held_out_poses(shipped):
    """The threshold is the 99th percentile of every REFERENCE_EVERY-th bundled test pose's score;
    on test poses between those it flags about as many."""
    world = torch.from_numpy(load_bundled().select_split("test").poses_3d[REFERENCE_EVERY // 2::32])
    poses = camera_views(world, fixed_test_cameras(len(world), seed=1))[0].numpy()
    assert 0.002 < shipped.flag_implausible(poses).mean() < 0.03


def test_world_poses_score_the_same_whatever_their_heading(shipped, standing):
    turned = Rotation.from_euler("z", [[35], [140], [260], [-80], [10], [95], [200], [300]], degrees=True)
    rotated = np.stack([r.apply(pose) for r, pose in zip(turned, standing)]).astype(np.float32)
    np.testing.assert_allclose(shipped.score(rotated, frame="world"), shipped.score(standing, frame="world"), rtol=1e-3)


@pytest.mark.parametrize("change, words", [
    (lambda p: p / 1000.0, "metres"),
    (lambda p: np.where(np.arange(17)[:, None] == 5, np.nan, p), "NaN"),
    (lambda p: p[:, :16], "shape"),
])
def test_bad_poses_are_input_errors_naming_the_problem(shipped, standing, change, words):
    with pytest.raises(InputError, match=words):
        shipped.score(change(standing))


def test_bad_frame_or_threshold_is_an_input_error(shipped, standing):
    with pytest.raises(InputError, match="frame"):
        shipped.score(standing, frame="z-up")
    with pytest.raises(InputError, match="threshold"):
        shipped.flag_implausible(standing, threshold=-1.0)


def test_cli_writes_scores_and_flags_and_lists_flagged_poses(standing, tmp_path, capsys):
    track = np.concatenate([standing[[3, 4, 6]], knee_bent_backwards(standing[0], 60.0)[None],
                            np.full((1, 17, 3), np.nan)])
    save_pose_npz(tmp_path / "poses.npz", track=track.astype(np.float32), up_axis=np.array("z"))
    out = tmp_path / "scores.npz"
    assert main(["score", str(tmp_path / "poses.npz"), "-o", str(out), "--device", "cpu"]) == 0
    assert "1 of 4 poses flagged" in capsys.readouterr().out
    result = read_npz(out)
    assert result["flag"].tolist() == [False, False, False, True, False]
    assert np.isnan(result["score"][4]) and result["joint_scores"].shape == (5, 17)
    assert result["part_scores"].shape == (5, len(BODY_PARTS)) and str(result["frame"]) == "world"
    assert main(["score", str(tmp_path / "poses.npz"), "--json", "--device", "cpu"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["flagged"] == [3] and report["not_scored"] == [4] and report["score"][4] is None
    assert report["worst_part"] == ["right lower leg"]
