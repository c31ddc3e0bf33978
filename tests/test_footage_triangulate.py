"""The multi-view reference's triangulation (benchmarks/footage) on synthetic views of known 3D points;
frame offsets; left/right swaps."""

import sys
from pathlib import Path

import numpy as np
import pytest

from gfpose.media.calibration import Camera

pytest.importorskip("cv2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks" / "footage"))
from sync import align, frame_offsets  # noqa: E402
from triangulate import LIMB_PAIRS, correct_left_right, triangulate  # noqa: E402


def look_at(name: str, centre, target=(0.0, 0.0, 900.0), dist=(0.03, -0.01, 0.001, -0.002, 0.0)) -> Camera:
    """A 1000 x 1000 px camera at ``centre`` (mm, world z up) looking at ``target``."""
    forward = np.subtract(target, centre) / np.linalg.norm(np.subtract(target, centre))
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    R = np.stack([right, np.cross(forward, right), forward])  # rows: camera x (right), y (down), z
    K = np.array([[1200.0, 0, 500], [0, 1200.0, 500], [0, 0, 1]])
    return Camera(name, K, np.array(dist), R, -R @ np.asarray(centre, float), (1000, 1000))


CAMERAS = [look_at("a", (3000, 0, 1500)), look_at("b", (0, 3500, 1200)),
           look_at("c", (-3200, 300, 1800)), look_at("d", (200, -3000, 1000))]


def synthetic(shape=(200,), seed=0):
    points = np.random.default_rng(seed).uniform([-500, -500, 0], [500, 500, 1800], (*shape, 3))
    return points, np.stack([cam.project(points) for cam in CAMERAS])


def test_recovers_exact_points():
    points, pixels = synthetic()
    result = triangulate(CAMERAS, pixels)
    np.testing.assert_allclose(result.points, points, atol=1e-6)
    assert result.used.all() and np.nanmax(result.reprojection_error) < 1e-6


def test_one_outlier_view_is_dropped():
    points, pixels = synthetic()
    pixels[2, :50] += [120.0, -90.0]  # view c wrong for the first 50 points
    result = triangulate(CAMERAS, pixels)
    np.testing.assert_allclose(result.points, points, atol=1e-6)
    assert not result.used[2, :50].any() and result.used[:, 50:].all()
    assert (result.reprojection_error[2, :50] > 100).all()  # still reported for the dropped view


def test_low_confidence_and_missing_views_are_not_used():
    points, pixels = synthetic()
    confidence = np.ones(pixels.shape[:2])
    pixels[0] += 300.0
    confidence[0] = 0.1
    pixels[1, :10] = np.nan
    result = triangulate(CAMERAS, pixels, confidence)
    np.testing.assert_allclose(result.points, points, atol=1e-6)
    assert not result.used[0].any() and not result.used[1, :10].any()


def test_under_two_views_is_nan():
    _, pixels = synthetic((3,))
    pixels[1:] = np.nan
    assert np.isnan(triangulate(CAMERAS, pixels).points).all()


def test_frame_offsets_found_and_aligned():
    rng = np.random.default_rng(1)  # 17 joints moving smoothly over 30 frames
    base, phase = rng.uniform([-400, -400, 200], [400, 400, 1600], (17, 3)), rng.uniform(0, 6.3, (17, 3))
    points = base + 250 * np.sin(2 * np.pi * np.arange(30)[:, None, None] / 25 + phase)
    pixels = np.stack([cam.project(points) for cam in CAMERAS])
    confidence = np.ones(pixels.shape[:3])
    offsets = np.array([0, 2, -1, 3])
    shifted = np.stack([np.roll(pixels[v], offsets[v], axis=0) for v in range(4)])
    found = frame_offsets(CAMERAS, shifted, confidence, max_offset=4)
    assert found.tolist() == offsets.tolist()
    aligned, frames = align(shifted, found)
    assert frames.tolist() == list(range(1, 27))
    np.testing.assert_allclose(aligned, pixels[:, 1:27])


def test_one_views_exchanged_legs_are_corrected():
    points, pixels = synthetic((5, 17))
    confidence = np.ones(pixels.shape[:3])
    legs = np.array(LIMB_PAIRS["legs"])
    detected = pixels.copy()
    detected[3][np.ix_([1, 4], legs)] = pixels[3][np.ix_([1, 4], np.roll(legs, 3))]
    corrected, _, swapped = correct_left_right(CAMERAS, detected, confidence)
    np.testing.assert_allclose(corrected, pixels)
    assert np.flatnonzero(swapped[..., 0]).tolist() == [3 * 5 + 1, 3 * 5 + 4] and not swapped[..., 1].any()
