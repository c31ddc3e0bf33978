"""Sequence metrics and baselines on hand-worked motions."""

import numpy as np
import pytest

from gfpose.errors import InputError
from gfpose.sequences.damage import LIMBS, MocapDamage
from gfpose.sequences.filters import interpolate_gaps, savgol_track
from gfpose.sequences.metrics import acceleration_error, track_metrics, velocity_error
from gfpose.skeleton import BODY_PARTS

FRAMES, JOINTS = 12, 17


def still_track():
    rng = np.random.default_rng(0)
    pose = rng.normal(0, 300, (JOINTS, 3))
    pose[0] = 0
    return np.repeat(pose[None], FRAMES, axis=0)


def test_constant_acceleration_errors_by_hand():
    """Every joint but the (fixed) root drifts by a t^2 / 2 along x: the acceleration error is a on 16 of
    17 joints, the velocity error a (t + 1/2) there, the P1 error a t^2 / 2 there."""
    a = 3.0
    gt = still_track()
    t = np.arange(FRAMES, dtype=np.float64)
    pred = gt.copy()
    pred[:, 1:, 0] += 0.5 * a * t[:, None] ** 2
    moving = (JOINTS - 1) / JOINTS
    assert acceleration_error(pred, gt) == pytest.approx(a * moving)
    assert velocity_error(pred, gt) == pytest.approx(a * (FRAMES - 1) / 2 * moving)
    values = track_metrics(pred, gt)
    assert values["P1"] == pytest.approx(np.mean(0.5 * a * t**2) * moving)
    assert values["acceleration"] == pytest.approx(a * moving)


def test_root_motion_and_constant_velocity():
    gt = still_track()
    shifted = gt + np.arange(FRAMES)[:, None, None] * 50.0  # the whole body translates: root-centred away
    assert track_metrics(shifted, gt)["P1"] == pytest.approx(0, abs=1e-9)
    drifting = gt.copy()
    drifting[:, 1:, 2] += 7.0 * np.arange(FRAMES)[:, None]  # constant velocity error, no acceleration error
    assert acceleration_error(drifting, gt) == pytest.approx(0, abs=1e-9)
    assert velocity_error(drifting, gt) == pytest.approx(7.0 * 16 / 17)


@pytest.mark.parametrize("pred", [np.zeros((5, 17, 3)), np.full((12, 17, 3), np.nan)])
def test_metric_input_errors(pred):
    with pytest.raises(InputError):
        track_metrics(pred, still_track())
    with pytest.raises(InputError):
        acceleration_error(still_track()[:2], still_track()[:2])


def test_savgol_keeps_quadratic_motion_and_interpolation_fills_gaps():
    t = np.arange(30, dtype=np.float64)
    quadratic = np.stack([t**2, 3 * t, np.ones_like(t)], axis=-1)[:, None].repeat(JOINTS, axis=1)
    np.testing.assert_allclose(savgol_track(quadratic, 9), quadratic, atol=1e-8)
    gappy = quadratic.copy()
    gappy[10:15, 3] = np.nan
    filled = interpolate_gaps(gappy)
    np.testing.assert_allclose(filled[10:15, 3, 1], 3 * t[10:15])  # linear coordinate: exact
    assert np.isfinite(filled).all()
    with pytest.raises(InputError):
        savgol_track(gappy, 9)


def test_damage_jitters_and_hides_whole_limbs():
    track = still_track().repeat(5, axis=0)
    damaged = MocapDamage(noise_mm=20.0, gap_frames=10, gap_every=30).apply(track, seed=1)
    hidden = np.isnan(damaged[..., 0])
    assert 2 * 10 <= hidden.any(axis=1).sum() <= 2 * 10 + 10  # 60 frames: two gaps of 10 frames
    limbs = [set(BODY_PARTS[name]) for name in LIMBS]
    assert all(set(np.flatnonzero(row)) in limbs for row in hidden if row.any())
    jitter = (damaged - track)[:, 1:][~hidden[:, 1:]]
    assert 17 < jitter.std() < 23
