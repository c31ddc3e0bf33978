"""Hypotheses warm-started frame to frame (gfpose.sequences.propagate) with the shipped model (few
steps, fp32) on a short committed take."""

from pathlib import Path

import numpy as np
import pytest
import torch

from gfpose import PosePrior
from gfpose.conditions import condition_from_2d
from gfpose.data.keypoints import Keypoints2D
from gfpose.errors import InputError
from gfpose.sequences.lift import estimate_take
from gfpose.sequences.propagate import Propagation, chain_positions, hypotheses_from_starts, propagate_hypotheses
from gfpose.sequences.takes import fixed_camera_views, load_takes
from gfpose.tasks import Request, estimate_request, propagate_request

SEQUENCES = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "sequences.npz"
FRAMES, HYPOTHESES = 24, 6


@pytest.fixture(scope="module")
def sampler():
    return PosePrior.pretrained(device="cpu", precision="fp32", steps=8).sampler_for("estimate")


@pytest.fixture(scope="module")
def view():
    take = [t for t in load_takes(SEQUENCES, sources=("bandai",)) if t.name == "dataset-1_walk_happy_001"]
    return fixed_camera_views(take)[0]


@pytest.fixture(scope="module")
def inputs(view):
    keypoints = torch.from_numpy(view.keypoints[:FRAMES])
    return keypoints, torch.from_numpy(view.image_size).expand(FRAMES, 2).contiguous()


@pytest.fixture(scope="module")
def truth(view):
    """The take's true root-relative poses (FRAMES, 17, 3) mm in the camera frame."""
    poses = torch.from_numpy(view.track[:FRAMES]).float()
    return poses - poses[:, :1]


def test_chains_restart_every_chain_frames_and_after_a_gap():
    frames = np.array([0, 1, 2, 3, 4, 6, 7, 9])
    assert chain_positions(frames, 3).tolist() == [0, 1, 2, 0, 1, 0, 1, 0]
    assert chain_positions(frames, 1).tolist() == [0] * 8


def test_chains_of_one_frame_draw_what_the_sampler_draws(sampler, inputs):
    keypoints, size = inputs
    independent = sampler.run(estimate_request(keypoints, size, HYPOTHESES), seed=2)
    propagated = propagate_hypotheses(sampler, keypoints, size, HYPOTHESES, Propagation(chain_frames=1), seed=2)
    torch.testing.assert_close(propagated, independent)


def _frame_to_frame(hyps: torch.Tensor) -> torch.Tensor:
    """(T - 1, S, S) mean joint distance (mm) of every hypothesis to every hypothesis of the frame before."""
    return torch.linalg.norm(hyps[1:, :, None] - hyps[:-1, None, :], dim=-1).mean(-1)


def test_each_hypothesis_follows_its_predecessor(sampler, inputs):
    """Hypothesis s of a frame starts from hypothesis s of the frame before, so it stays nearer to it
    than to the others there (on average over s), and each hypothesis track moves far less from frame
    to frame than independent draws do."""
    keypoints, size = inputs
    propagated = propagate_hypotheses(sampler, keypoints, size, HYPOTHESES, Propagation(chain_frames=FRAMES))
    distance = _frame_to_frame(propagated)
    own = distance.diagonal(dim1=1, dim2=2)
    others = (distance.sum((1, 2)) - own.sum(1)) / (HYPOTHESES * (HYPOTHESES - 1))
    assert (own.mean(1) < others).all()
    independent = sampler.run(estimate_request(keypoints, size, HYPOTHESES), seed=0)
    assert own.mean() < 0.5 * _frame_to_frame(independent).diagonal(dim1=1, dim2=2).mean()


def test_propagated_hypotheses_explain_their_own_frame(sampler, inputs, view):
    """Started from frame 0's hypotheses, frame 12's are drawn under frame 12's 2D: they are nearer
    to frame 12's true pose than the poses they started from."""
    keypoints, size = inputs
    truth = torch.from_numpy(view.track[12])
    start = sampler.run(estimate_request(keypoints[:1], size[:1], HYPOTHESES), seed=0)
    request = propagate_request(keypoints[12:13], size[12:13], start, sampler.start_time_for_noise(48.0))
    moved = sampler.with_settings(steps=1).run(request, seed=0)
    def error(poses):
        return torch.linalg.norm(poses - truth, dim=-1).mean()

    assert error(moved) < error(start) - 10


def test_bad_settings_and_starts_are_refused(inputs):
    keypoints, size = inputs
    for bad in (dict(chain_frames=0), dict(start_noise_mm=0.0), dict(steps=1.5)):
        with pytest.raises(InputError):
            Propagation(**bad)
    with pytest.raises(ValueError, match="3 poses per input for 4 hypotheses"):
        Request(condition_from_2d(keypoints[:2], size[:2]), 4, start_mm=torch.zeros(2, 3, 17, 3))


def _distance(hyps: torch.Tensor, poses: torch.Tensor) -> float:
    """Mean joint distance (mm) of (T, S, J, 3) hypotheses from (T, J, 3) poses."""
    return float(torch.linalg.norm(hyps - poses[:, None], dim=-1).mean())


def test_a_start_is_kept_at_little_noise_and_corrected_by_the_2d_at_much(sampler, inputs, truth):
    """Each frame started from the pose of another frame (half a stride away, so it disagrees with the
    2D): perturbed by 1 mm, the hypotheses stay on the start (the reverse SDE from t0 ~ 0 moves
    nothing); as the noise grows, they leave it for the pose the 2D shows."""
    keypoints, size = inputs
    wrong = torch.roll(truth, FRAMES // 2, dims=0)
    assert _distance(wrong[:, None], truth) > 100
    kept = hypotheses_from_starts(sampler, keypoints, size, HYPOTHESES, wrong, start_noise_mm=1.0)
    assert _distance(kept, wrong) < 6
    errors = [_distance(hypotheses_from_starts(sampler, keypoints, size, HYPOTHESES, wrong, noise), truth)
              for noise in (5.0, 60.0, 150.0)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < 0.5 * _distance(wrong[:, None], truth)


def test_frames_without_a_start_are_drawn_from_the_prior(sampler, inputs, truth):
    """estimate_take with start_3d_mm: a frame whose start is missing (NaN) gets exactly what the
    prior draws for it alone; the others stay on their start at little noise."""
    keypoints, size = inputs
    starts = truth.numpy().copy()
    starts[3] = np.nan
    take = Keypoints2D(keypoints.numpy(), None, size.numpy(), joints="mocap")
    hyps = torch.from_numpy(estimate_take(sampler, take, HYPOTHESES, seed=5, start_3d_mm=starts,
                                          start_noise_mm=1.0))
    alone = sampler.run(estimate_request(keypoints[3:4], size[3:4], HYPOTHESES), seed=5)
    torch.testing.assert_close(hyps[3:4], alone)
    others = np.arange(FRAMES) != 3
    assert _distance(hyps[others], truth[others]) < 6


def test_bad_starts_name_the_problem(sampler, inputs, truth):
    keypoints, size = inputs
    take = Keypoints2D(keypoints.numpy(), None, size.numpy(), joints="mocap")
    with pytest.raises(InputError, match=r"start_3d_mm: shape \(23, 17, 3\); expected \(24, 17, 3\)"):
        estimate_take(sampler, take, 2, start_3d_mm=truth.numpy()[:-1])
    with pytest.raises(InputError, match="start_3d_mm.*metres"):
        estimate_take(sampler, take, 2, start_3d_mm=truth.numpy() / 1000.0)
    with pytest.raises(InputError, match="start_noise_mm must be positive"):
        hypotheses_from_starts(sampler, keypoints, size, 2, truth, start_noise_mm=0.0)
