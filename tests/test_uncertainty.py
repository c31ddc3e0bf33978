"""Per-joint intervals against known distributions: hypotheses and truth drawn from one isotropic
Gaussian cover the truth at the nominal level; a too-narrow spread is fitted back to the factor it
was narrowed by, an error growing with the relative residual back to its weight; the CSV round-trips."""

import numpy as np
import pytest

from gfpose.errors import InputError
from gfpose.uncertainty import (
    KINDS,
    LEVELS,
    RESIDUAL_WEIGHTS,
    JointIntervals,
    calibrated_residual_weight,
    calibrated_temperature,
    coverage,
    error_ratio,
    fit_calibration,
    fit_temperature,
    joint_intervals,
    raw_radius,
    read_uncertainty_csv,
    relative_residual,
    residual_scale,
    spread,
    write_uncertainty_csv,
)

# chi distribution with 3 degrees of freedom: the radius of a 3D standard normal at levels 0.5, 0.9
CHI3 = {0.5: 1.5381722, 0.9: 2.5002777}


def gaussian_case(frames=4000, samples=200, joints=17, sigma=None, seed=0):
    """Per frame and joint a random mean and scale; S hypotheses and the truth drawn from N(mu, s^2 I)."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(0, 300, (frames, joints, 3))
    s = rng.uniform(10, 80, (frames, joints, 1)) if sigma is None else np.full((frames, joints, 1), sigma)
    hyps = mu[:, None] + s[:, None] * rng.standard_normal((frames, samples, joints, 3))
    truth = mu + s * rng.standard_normal((frames, joints, 3))
    return hyps, truth, s


def test_gaussian_hypotheses_cover_at_the_nominal_level():
    hyps, truth, _ = gaussian_case()
    cov = coverage(truth, joint_intervals(hyps, levels=LEVELS, temperature=1.0))
    # the mean of S = 200 draws is off by sigma / sqrt(200): the truth is a little farther than a draw
    np.testing.assert_allclose(cov, np.broadcast_to(LEVELS, cov.shape), atol=0.03)
    assert abs(cov.mean(0)[0] - 0.5) < 0.015 and abs(cov.mean(0)[1] - 0.9) < 0.01


def test_raw_radius_is_the_chi_quantile_of_a_gaussian():
    hyps, _, s = gaussian_case(frames=200, samples=4000, joints=2, sigma=40.0)
    r = raw_radius(hyps)
    np.testing.assert_allclose(r.mean((0, 1)), [40 * CHI3[0.5], 40 * CHI3[0.9]], rtol=0.01)
    np.testing.assert_allclose(spread(hyps).mean(), 40 * np.sqrt(3), rtol=0.01)  # E||z||^2 = 3 sigma^2


def test_ball_around_a_hypothesis_has_the_spread_radius_and_covers_at_sqrt2():
    # truth and a hypothesis h0 (the track) both ~ N(mu, s^2 I): truth - h0 ~ N(0, 2 s^2 I), so the
    # ball around h0 of sqrt(2) times the hypotheses' radius about their mean holds the truth at q
    hyps, truth, _ = gaussian_case(frames=4000, samples=200, seed=3)
    around_mean = joint_intervals(hyps, temperature=1.0)
    around_track = joint_intervals(hyps, hyps[:, 0], temperature=1.0)
    np.testing.assert_array_equal(around_track.radius, around_mean.radius)
    assert np.allclose(around_track.center, hyps[:, 0])
    cov = coverage(truth, joint_intervals(hyps, hyps[:, 0], temperature=np.sqrt(2.0))).mean(0)
    np.testing.assert_allclose(cov, LEVELS, atol=0.015)


def test_narrow_hypotheses_are_fitted_back_to_their_factor():
    hyps, truth, _ = gaussian_case(frames=3000, samples=100, seed=1)
    mean = hyps.mean(1, keepdims=True)
    narrow = mean + 0.5 * (hyps - mean)  # spread halved: the raw intervals are too narrow
    before = coverage(truth, joint_intervals(narrow, temperature=1.0)).mean(0)
    assert before[0] < 0.2 and before[1] < 0.5
    t = fit_temperature(error_ratio(truth, narrow), LEVELS)
    np.testing.assert_allclose(t, 2.0, rtol=0.1)  # per joint, ~3000 ratios each
    pooled = fit_temperature(error_ratio(truth, narrow), LEVELS, per_joint=False)
    np.testing.assert_allclose(pooled, 2.0, rtol=0.03)
    held_out, truth_2, _ = gaussian_case(frames=3000, samples=100, seed=2)
    m2 = held_out.mean(1, keepdims=True)
    after = coverage(truth_2, joint_intervals(m2 + 0.5 * (held_out - m2), temperature=t)).mean(0)
    np.testing.assert_allclose(after, LEVELS, atol=0.02)


def test_fitted_temperature_covers_its_calibration_set_exactly():
    rng = np.random.default_rng(3)
    hyps = rng.normal(0, 30, (500, 20, 17, 3))
    truth = rng.normal(0, 60, (500, 17, 3)) + rng.standard_t(3, (500, 17, 3)) * 20  # heavy tails, wider
    t = fit_temperature(error_ratio(truth, hyps), LEVELS)
    cov = coverage(truth, joint_intervals(hyps, temperature=t))
    np.testing.assert_allclose(cov, np.broadcast_to(LEVELS, cov.shape), atol=1.5 / 500)


def test_track_centre_root_and_missing_frames():
    hyps, truth, _ = gaussian_case(frames=50, samples=30)
    hyps[..., 0, :] = 0.0  # a root-relative pose: the root is the origin, its radius 0
    truth[..., 0, :] = 0.0
    hyps[7] = np.nan  # a frame without a person
    track = hyps[:, 0]
    intervals = joint_intervals(hyps, track, temperature=1.0)
    assert np.allclose(intervals.center, track, equal_nan=True)
    assert (intervals.radius[np.arange(50) != 7, 0] == 0).all()
    assert np.isnan(intervals.radius[7]).all()
    cov = coverage(truth, intervals)
    assert np.isfinite(cov).all() and (cov[0] == 1).all()  # frame 7 left out, the root always inside
    ratios = error_ratio(truth, hyps, track)
    assert (ratios[np.arange(50) != 7, 0] == 0).all()
    assert (fit_temperature(ratios)[:, 0] == 1).all()


def test_error_growing_with_the_relative_residual_is_fitted_back_to_its_weight():
    # the truth strays from the hypotheses' mean by sqrt(1 + (2 u)^2) times their own spread, u = rho /
    # sigma the residual over their mean spread: the raw balls hold the level where u is small and
    # under-cover where it is large; the fit finds k = 2, T = 1
    hyps, _, s = gaussian_case(frames=4000, samples=100, joints=3, seed=3)
    rng = np.random.default_rng(4)
    u = np.exp(rng.uniform(np.log(0.1), np.log(5), len(hyps)))
    rho = u * spread(hyps)[:, 1:].mean(-1)  # joint 0 is the root, left out of sigma
    truth = hyps.mean(1) + np.sqrt(1 + (2 * u) ** 2)[:, None, None] * s * rng.standard_normal((len(hyps), 3, 3))
    np.testing.assert_allclose(relative_residual(rho, hyps), u)
    t, k = fit_calibration(error_ratio(truth, hyps), u, LEVELS)
    np.testing.assert_allclose(k, 2.0, atol=0.5)
    np.testing.assert_allclose(t, 1.0, rtol=0.15)
    intervals = joint_intervals(hyps, temperature=t, residual_mm=rho, residual_weight=k)
    for low in (u < 0.5, u >= 0.5):  # covered at the level whether the 2D is missed by little or much
        part = JointIntervals(intervals.center[low], intervals.radius[low], LEVELS, intervals.spread[low])
        np.testing.assert_allclose(coverage(truth[low], part)[1:].mean(0), LEVELS, atol=0.04)
    raw = coverage(truth[u > 1], joint_intervals(hyps[u > 1], temperature=1.0)).mean(0)
    assert (raw < np.array(LEVELS) - 0.1).all()


def test_relative_residual_scales_the_radius():
    # two hypotheses at +-20 mm along x: every joint's spread is 20 mm, so sigma = 20 mm
    hyps = np.zeros((3, 2, 17, 3))
    hyps[:, 0, :, 0], hyps[:, 1, :, 0] = 20.0, -20.0
    raw = raw_radius(hyps)
    np.testing.assert_allclose(raw, 20.0)
    scaled = joint_intervals(hyps, temperature=2.0, residual_mm=[20.0 * 3 ** 0.5, 20.0, 0.0], residual_weight=1.0)
    # sqrt(1 + 3) = 2; a residual equal to the spread: sqrt(2); below the 1 mm floor: sqrt(1 + (1 / 20)^2)
    factor = np.array([2.0, 2 ** 0.5, 1.0025 ** 0.5])
    np.testing.assert_allclose(scaled.radius, 2.0 * raw * factor[:, None, None])
    np.testing.assert_allclose(relative_residual([5.0], np.zeros((1, 1, 17, 3))), [5.0])  # no spread: floored at 1 mm
    hyps, _, _ = gaussian_case(frames=3, samples=20)
    raw = raw_radius(hyps)
    crossed = joint_intervals(hyps, temperature=[4.0, 1.0])  # a 50% ball wider than the raw 90% one
    wider = 4.0 * raw[..., 0] > raw[..., 1]
    assert wider.any()
    np.testing.assert_allclose(crossed.radius[..., 1], np.where(wider, 4.0 * raw[..., 0], raw[..., 1]))
    with pytest.raises(InputError, match="residual_mm"):
        joint_intervals(hyps, temperature=1.0, residual_weight=0.5)
    with pytest.raises(InputError, match="residual_mm"):
        joint_intervals(hyps, temperature=1.0, residual_mm=[1.0, 2.0], residual_weight=0.5)


def test_shipped_temperatures():
    hyps, _, _ = gaussian_case(frames=200, samples=50)
    rho = np.full(200, 10.0)
    for kind in KINDS:
        t, k = calibrated_temperature(kind), calibrated_residual_weight(kind)
        assert t.shape == (2, 17) and (t > 0).all() and (t[:, 0] == 1).all()  # the root is never fitted
        assert k.shape == (2,) and ((k >= 0) & (k <= max(RESIDUAL_WEIGHTS))).all()
        joints, chains, centre = kind.split("-")
        intervals = joint_intervals(hyps, None if centre == "mean" else hyps[:, 0], chains=chains, joints=joints,
                                    residual_mm=rho)
        assert (intervals.radius[..., 1] >= intervals.radius[..., 0]).mean() > 0.99  # 90% ball holds the 50% one
    warm = joint_intervals(hyps, hyps[:, 0], chains="warm", joints="detector", residual_mm=rho)
    raw = raw_radius(hyps)
    k = calibrated_residual_weight("detector-warm-track")
    scale = residual_scale(relative_residual(rho, hyps), k)[..., None, :]
    np.testing.assert_allclose(warm.radius, raw * calibrated_temperature("detector-warm-track").T * scale)
    if k.any():
        with pytest.raises(InputError, match="placement residual"):
            joint_intervals(hyps, hyps[:, 0], chains="warm", joints="detector")
    with pytest.raises(InputError):
        calibrated_temperature("mocap-warm-median")
    with pytest.raises(InputError):
        calibrated_temperature("mocap-warm-track", levels=(0.7,))
    with pytest.raises(InputError):
        joint_intervals(hyps, levels=(1.5,))
    with pytest.raises(InputError):
        joint_intervals(hyps, joints="openpose")


def test_csv_round_trip(tmp_path):
    hyps, _, _ = gaussian_case(frames=5, samples=12)
    hyps[2] = np.nan
    intervals = joint_intervals(hyps, temperature=1.3)
    path = write_uncertainty_csv(tmp_path / "uncertainty.csv", intervals)
    header = path.read_text().splitlines()[0]
    assert header == "frame,joint,joint_name,x_mm,y_mm,z_mm,spread_mm,radius50_mm,radius90_mm"
    back = read_uncertainty_csv(path)
    assert back.levels == LEVELS
    for a, b in ((back.center, intervals.center), (back.radius, intervals.radius), (back.spread, intervals.spread)):
        np.testing.assert_allclose(a, b, atol=0.006, equal_nan=True)


def test_movie_draws_uncertainty(tmp_path):
    from gfpose.media.animation import save_lift_movie
    hyps, _, _ = gaussian_case(frames=2, samples=10)
    track = hyps[:, 0]
    keypoints = 500 + track[..., :2]
    sizes = np.full((2, 2), 1000.0)
    radius = joint_intervals(hyps, track, temperature=1.0).radius[..., 1]
    save_lift_movie(tmp_path / "a.gif", keypoints, sizes, track, 10.0, uncertainty_mm=radius)
    assert (tmp_path / "a.gif").stat().st_size > 0
    with pytest.raises(InputError):
        save_lift_movie(tmp_path / "b.gif", keypoints, sizes, track, 10.0, uncertainty_mm=radius[:1])
