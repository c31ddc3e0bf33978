"""Hypotheses warm-started frame to frame (gfpose.sequences.propagate) with the shipped model (few
steps, fp32) on a short committed take."""

from pathlib import Path

import numpy as np
import pytest
import torch

from gfpose import PosePrior
from gfpose.conditions import condition_from_2d
from gfpose.errors import InputError
from gfpose.sequences.propagate import Propagation, chain_positions, propagate_hypotheses
from gfpose.sequences.takes import fixed_camera_views, load_takes
from gfpose.tasks import Request, estimate_request, propagate_request

SEQUENCES = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "sequences.npz"
FRAMES, HYPOTHESES = 24, 6


@pytest.fixture(scope="module")
def sampler():
    return PosePrior.pretrained(device="cpu", precision="fp32", steps=8).sampler_for("estimate")


@pytest.fixture(scope="module")
def inputs():
    take = [t for t in load_takes(SEQUENCES, sources=("bandai",)) if t.name == "dataset-1_walk_happy_001"]
    view = fixed_camera_views(take)[0]
    keypoints = torch.from_numpy(view.keypoints[:FRAMES])
    return keypoints, torch.from_numpy(view.image_size).expand(FRAMES, 2).contiguous()


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


def test_propagated_hypotheses_explain_their_own_frame(sampler, inputs):
    """Started from frame 0's hypotheses, frame 12's are drawn under frame 12's 2D: they are nearer
    to frame 12's true pose than the poses they started from."""
    keypoints, size = inputs
    view = fixed_camera_views([t for t in load_takes(SEQUENCES, sources=("bandai",))
                               if t.name == "dataset-1_walk_happy_001"])[0]
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
