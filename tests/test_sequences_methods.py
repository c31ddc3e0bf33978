"""Sequence methods with the shipped model (few steps, fp32) on a short committed take."""

from pathlib import Path

import numpy as np
import pytest
import torch

from gfpose import PosePrior
from gfpose.data.bvh import load_bvh
from gfpose.data.keypoints import Keypoints2D
from gfpose.data.rigs import GFPOSE_RIG
from gfpose.errors import InputError
from gfpose.media.bvh_denoise import clean_world_take, denoise_bvh
from gfpose.media.bvh_export import contacts_path, export_bvh, read_contacts_csv
from gfpose.sequences.api import complete_sequence, denoise_sequence, sequence_method
from gfpose.sequences.contacts import clean_with_contacts, foot_skate
from gfpose.sequences.damage import MocapDamage
from gfpose.sequences.draw import draw_window
from gfpose.sequences.filters import interpolate_gaps
from gfpose.sequences.lift import placement_residual
from gfpose.sequences.methods import SequenceMethod, estimate_track
from gfpose.sequences.metrics import track_metrics
from gfpose.sequences.takes import fixed_camera_views, load_takes
from gfpose.tasks import estimate_request

SEQUENCES = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "sequences.npz"
FRAMES = 48


@pytest.fixture(scope="module")
def prior():
    return PosePrior.pretrained(device="cpu", precision="fp32", steps=8)


@pytest.fixture(scope="module")
def view():
    takes = [t for t in load_takes(SEQUENCES, sources=("bandai",)) if t.name == "dataset-1_walk_happy_001"]
    return fixed_camera_views(takes)[0]


def _inputs(view):
    return view.keypoints[:FRAMES], view.image_size, view.track[:FRAMES]


def test_window_without_guidance_draws_what_the_sampler_draws(prior, view):
    keypoints, size, _ = _inputs(view)
    request = estimate_request(torch.from_numpy(keypoints[:6]), torch.from_numpy(size).expand(6, 2), 2)
    torch.testing.assert_close(draw_window(prior.sampler, request, seed=3), prior.sampler.run(request, seed=3))


def _lift(prior, view, method: SequenceMethod) -> np.ndarray:
    keypoints, size, _ = _inputs(view)
    return estimate_track(prior.sampler_for("estimate"), torch.from_numpy(keypoints),
                          torch.from_numpy(size).expand(len(keypoints), 2), view.take.fps, method).numpy()


@pytest.fixture(scope="module")
def independent(prior, view):
    return track_metrics(_lift(prior, view, SequenceMethod("independent")), _inputs(view)[2])


@pytest.mark.parametrize("method", ["guided", "path"])
def test_sequence_methods_make_the_lifted_track_smooth(prior, view, independent, method):
    coherent = track_metrics(_lift(prior, view, SequenceMethod(method, hypotheses=8)), _inputs(view)[2])
    assert coherent["acceleration"] < 0.2 * independent["acceleration"]
    assert coherent["P1"] < independent["P1"]


def test_the_lift_path_makes_the_track_smooth(prior, view, independent):
    """PosePrior.lift_take (the one lift of gfpose lift and estimate --sequence): hypotheses warm-started
    along the take, then the path through them."""
    keypoints, size, gt = _inputs(view)
    take = prior.lift_take(keypoints, size, view.take.fps, num_hypotheses=8)
    assert take.hypotheses.shape == (FRAMES, 8, 17, 3) and take.spread_mm.shape == (FRAMES, 17)
    lifted = track_metrics(take.track, gt)
    assert lifted["acceleration"] < 0.2 * independent["acceleration"] and lifted["P1"] < independent["P1"]
    np.testing.assert_allclose(take.residual_mm, placement_residual(take.hypotheses.mean(1), _keypoints(view)))


def _keypoints(view) -> Keypoints2D:
    keypoints, size, _ = _inputs(view)
    return Keypoints2D(keypoints.copy(), None, np.tile(size, (len(keypoints), 1)))


def test_placement_residual_of_the_true_pose_and_of_a_noisy_one(view):
    """The true pose misses its exact 2D by nothing; with N(0, s^2) noise on every coordinate its
    image-plane miss is Rayleigh: median s sqrt(2 ln 2) (a little less: the root placement absorbs
    the noise's mean over the 17 joints)."""
    truth = _inputs(view)[2]
    np.testing.assert_allclose(placement_residual(truth, _keypoints(view)), 0, atol=0.01)
    noisy = truth + np.random.default_rng(0).normal(0, 20.0, truth.shape)
    residual = placement_residual(noisy, _keypoints(view))
    np.testing.assert_allclose(np.median(residual), 20.0 * np.sqrt(2 * np.log(2)), rtol=0.1)
    half_missing = _keypoints(view)
    half_missing.keypoints[:, ::2] = np.nan  # fewer joints seen: still the same closed form
    np.testing.assert_allclose(placement_residual(truth, half_missing), 0, atol=0.01)


def test_cleaning_beats_the_damaged_take(prior, view):
    gt = view.track[:FRAMES]
    damaged = MocapDamage(noise_mm=20.0, gap_frames=10, gap_every=30).apply(gt, seed=0)
    clean = denoise_sequence(prior, damaged, noise_mm=20.0)
    before, after = track_metrics(interpolate_gaps(damaged), gt), track_metrics(clean, gt)
    assert after["P1"] < 0.7 * before["P1"] and after["acceleration"] < 0.2 * before["acceleration"]


def test_completion_keeps_the_observed_joints(prior, view):
    gt = view.track[:FRAMES]
    partial = MocapDamage(noise_mm=0.0, gap_frames=20, gap_every=40).apply(gt, seed=1)
    full = complete_sequence(prior, partial)
    seen = np.isfinite(partial)
    assert np.isfinite(full).all()
    np.testing.assert_allclose(full[seen], partial[seen], atol=1e-3)
    never_seen = partial.copy()
    never_seen[:, 13] = np.nan  # a wrist missing in every frame: completed from the prior
    assert np.isfinite(complete_sequence(prior, never_seen, method="independent")).all()


def test_bad_sequence_input_is_named(prior, view):
    keypoints, size, _ = _inputs(view)
    with pytest.raises(InputError, match="keypoints_2d"):
        prior.lift_take(keypoints[:, :16], size)
    with pytest.raises(InputError, match="method"):
        complete_sequence(prior, view.track[:FRAMES], method="kalman")
    with pytest.raises(InputError, match="unknown sequence settings"):
        sequence_method("estimate", "guided", smoothness=3.0)
    with pytest.raises(InputError, match="poses"):
        denoise_sequence(prior, keypoints)


def test_cleaning_holds_the_found_contacts_at_rest(prior, view):
    """A jittery walk cleaned as `gfpose denoise take.bvh` cleans it: the guided sampler's feet-at-rest
    pass keeps the ankles it found in contact still in the world (skate on those contacts under 1 mm,
    a fraction of the first pass's on the same root path) at no cost in P1 (within 1 mm)."""
    take = view.take
    world = take.poses[:FRAMES].astype(np.float64) + take.root[:FRAMES, None].astype(np.float64)
    noisy = world + np.random.default_rng(0).normal(0, 20.0, world.shape)
    first = clean_world_take(prior, noisy, take.fps, 20.0, contacts=False)
    held = clean_with_contacts(first.track, noisy[:, 0], 20.0, take.fps, pin=False)
    cleaned = clean_world_take(prior, noisy, take.fps, 20.0)
    np.testing.assert_array_equal(cleaned.contacts, held.contacts)
    assert cleaned.contacts.any(axis=0).all()  # both feet touch the floor in a walk
    assert foot_skate(cleaned.points, cleaned.contacts) < min(1.0, 0.5 * foot_skate(held.points, held.contacts))
    truth = world - world[:, :1]
    assert track_metrics(cleaned.track, truth)["P1"] < track_metrics(first.track, truth)["P1"] + 1.0


def test_denoise_bvh_round_trip(prior, view, tmp_path):
    world = view.take.poses[:FRAMES].astype(np.float64) + np.array([0.0, 0.0, 900.0])
    world += np.arange(FRAMES)[:, None, None] * np.array([8.0, 0.0, 0.0])  # walking along x
    noisy = world + np.random.default_rng(0).normal(0, 20.0, world.shape)
    export_bvh(noisy, tmp_path / "noisy.bvh", view.take.fps, frame="world")
    clean = denoise_bvh(prior, tmp_path / "noisy.bvh", tmp_path / "clean.bvh", rig="gfpose")
    read_back = load_bvh(tmp_path / "clean.bvh", GFPOSE_RIG)
    assert read_back.shape == (FRAMES, 17, 3)
    np.testing.assert_allclose(read_back[:, 0], clean[:, 0], atol=1.0)
    assert read_contacts_csv(contacts_path(tmp_path / "clean.bvh")).shape == (FRAMES, 2)
    noisy_read = load_bvh(tmp_path / "noisy.bvh", GFPOSE_RIG)
    before = track_metrics(noisy_read - noisy_read[:, :1], world - world[:, :1])
    after = track_metrics(read_back - read_back[:, :1], world - world[:, :1])
    assert after["acceleration"] < 0.2 * before["acceleration"] and after["P1"] < before["P1"]
