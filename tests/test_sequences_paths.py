"""The temporal prior (Whittaker smoother), correlated starts and the Viterbi path on constructed examples."""

import itertools

import numpy as np
import pytest
import torch

from gfpose.data.cameras import FOCAL, camera_views, fixed_test_cameras
from gfpose.errors import InputError
from gfpose.sequences.noise import correlated_normal
from gfpose.sequences.paths import coherent_path, reprojection_errors, viterbi
from gfpose.sequences.smoothing import whittaker


@pytest.mark.parametrize("order", [1, 2, 3])
def test_whittaker_solves_the_penalised_least_squares(order):
    rng = np.random.default_rng(0)
    values, weights = rng.normal(size=(40, 3)), rng.uniform(0.5, 2.0, size=(40, 3))
    weights[5:15, 1] = 0  # a gap
    weights[:, 2] = weights[:, 0]  # a shared pattern
    d = np.diff(np.eye(40), n=order, axis=0)
    for k in range(3):
        dense = np.linalg.solve(np.diag(weights[:, k]) + 30 * d.T @ d, weights[:, k] * values[:, k])
        np.testing.assert_allclose(whittaker(values, weights, 30.0, order)[:, k], dense, atol=1e-10)


@pytest.mark.parametrize("order", [1, 2])
def test_whittaker_rest_terms_solve_their_least_squares(order):
    """With rest terms k_t (x_{t+1} - x_t + d_t)^2 the smoother is the dense weighted least squares
    of data rows, order-th differences and first differences held at -d."""
    rng = np.random.default_rng(1)
    values, weights = rng.normal(size=(12, 3)), rng.uniform(0.5, 2.0, size=(12, 3))
    rest = rng.uniform(0.0, 5.0, size=(11, 3)) * (rng.random((11, 3)) > 0.4)
    rest[:, 2] = rest[:, 0]
    weights[:, 2] = weights[:, 0]  # a shared pattern, other offsets
    offsets = rng.normal(size=(11, 3))
    d, step = np.diff(np.eye(12), n=order, axis=0), np.diff(np.eye(12), axis=0)
    out = whittaker(values, weights, 3.0, order, rest, offsets)
    for k in range(3):
        rows = np.vstack([np.sqrt(weights[:, k])[:, None] * np.eye(12), np.sqrt(3.0) * d,
                          np.sqrt(rest[:, k])[:, None] * step])
        goal = np.concatenate([np.sqrt(weights[:, k]) * values[:, k], np.zeros(len(d)),
                               -np.sqrt(rest[:, k]) * offsets[:, k]])
        np.testing.assert_allclose(out[:, k], np.linalg.lstsq(rows, goal, rcond=None)[0], atol=1e-10)
    held = whittaker(values, weights, 3.0, order, np.full((11, 3), 1e9), offsets)  # every step held at -d
    np.testing.assert_allclose(np.diff(held, axis=0), -offsets, atol=1e-6)
    with pytest.raises(InputError):
        whittaker(values, weights, 3.0, order, rest[:5], offsets)


def test_whittaker_keeps_lines_and_rejects_bad_input():
    line = np.outer(np.arange(20.0), [1.0, -2.0])
    np.testing.assert_allclose(whittaker(line, np.ones_like(line), 1e6), line, atol=1e-6)
    with pytest.raises(InputError):
        whittaker(line, -np.ones_like(line), 1.0)
    with pytest.raises(InputError):
        whittaker(line, np.zeros_like(line), 1.0)


def test_correlated_normal_is_a_unit_ar1_process():
    gen = torch.Generator().manual_seed(0)
    x = correlated_normal((4000, 16), 0.9, gen)
    assert x.std().item() == pytest.approx(1.0, abs=0.05)
    assert (x[1:] * x[:-1]).mean().item() == pytest.approx(0.9, abs=0.05)
    same = correlated_normal((5, 3), 1.0, torch.Generator().manual_seed(1))
    assert torch.equal(same, same[:1].expand(5, 3))
    white = correlated_normal((5, 3), 0.0, torch.Generator().manual_seed(2))
    assert torch.equal(white, torch.randn((5, 3), generator=torch.Generator().manual_seed(2)))
    with pytest.raises(InputError):
        correlated_normal((5, 3), 1.5)


def test_viterbi_matches_brute_force():
    rng = np.random.default_rng(1)
    unary, pairwise = rng.uniform(size=(5, 3)), rng.uniform(size=(4, 3, 3))
    def cost(path):
        return unary[np.arange(5), path].sum() + sum(pairwise[t, path[t], path[t + 1]] for t in range(4))
    best = min(itertools.product(range(3), repeat=5), key=cost)
    assert tuple(viterbi(unary, pairwise)) == best


def test_path_picks_the_smooth_track():
    """Two hypotheses per frame: the true slowly moving pose and a flipped one. The flipped one fits the
    data slightly better on every other frame; the path must stay on the smooth track anyway."""
    frames = 10
    base = torch.randn(17, 3, generator=torch.Generator().manual_seed(0)) * 200
    smooth = base + torch.arange(frames, dtype=torch.float32)[:, None, None] * 5.0
    flipped = smooth * torch.tensor([1.0, 1.0, -1.0])
    hyps = torch.stack([smooth, flipped], dim=1)
    data_errors = torch.tensor([[1.0, 0.9] if t % 2 else [1.0, 1.2] for t in range(frames)])
    track = coherent_path(hyps, data_errors, error_scale=1.0, motion_mm=20.0)
    torch.testing.assert_close(track, smooth)
    jumpy = coherent_path(hyps, data_errors, error_scale=1.0, motion_mm=1e6)  # no motion cost: per frame
    assert not torch.equal(jumpy, smooth)


def test_reprojection_error_is_zero_for_the_true_pose():
    cameras = fixed_test_cameras(4, seed=3)
    world = torch.randn(4, 17, 3, generator=torch.Generator().manual_seed(4)) * 200 + torch.tensor([0, 0, 900.0])
    track, keypoints = camera_views(world, cameras)
    hyps = torch.stack([track, track + 40.0 * torch.randn(track.shape, generator=torch.Generator().manual_seed(5))], 1)
    keypoints[0, 3] = float("nan")
    errors = reprojection_errors(hyps, keypoints, cameras.size, torch.full((4,), FOCAL))
    assert errors[:, 0].max() < 1e-2 and errors[:, 1].min() > 1.0
