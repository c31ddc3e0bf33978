"""The uncertainty benchmark's bootstrap interval of a coverage over clusters of frames
(benchmarks/uncertainty.py), against the closed-form standard error of a mean of cluster means."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from uncertainty import cluster_interval  # noqa: E402


def hits_of(shares: np.ndarray, frames: int, joints: int = 4) -> np.ndarray:
    """(C frames, joints, 1) hits whose cluster c holds exactly shares[c] of its joints inside."""
    inside = np.round(shares * frames * joints).astype(int)
    rows = [np.arange(frames * joints) < k for k in inside]
    return np.concatenate([r.reshape(frames, joints, 1) for r in rows]).astype(float)


def test_clusters_alike_give_no_width():
    hits = hits_of(np.full(30, 0.5), frames=10)
    low, high = cluster_interval(hits, np.repeat(np.arange(30), 10))[0]
    assert low == high == 0.5


def test_width_follows_the_spread_between_clusters():
    clusters, frames = 400, 25
    shares = np.random.default_rng(3).uniform(0.2, 0.8, clusters)
    hits = hits_of(shares, frames)
    labels = np.repeat(np.arange(clusters), frames)
    low, high = cluster_interval(hits, labels)[0]
    observed = hits_of(shares, frames).reshape(clusters, -1).mean(axis=1)  # the shares as rounded
    half_width = 1.96 * observed.std() / np.sqrt(clusters)  # normal approximation of the mean of equal clusters
    assert abs((high - low) / 2 - half_width) < 0.1 * half_width
    assert low < observed.mean() < high
    # frames counted as independent would give an interval several times narrower
    assert (high - low) / 2 > 3 * 1.96 * np.sqrt(0.25 / hits.size)


def test_missing_joints_are_left_out():
    hits = hits_of(np.full(20, 0.75), frames=8)
    hits[::3, 0, 0] = np.nan
    low, high = cluster_interval(hits, np.repeat(np.arange(20), 8))[0]
    share = np.nanmean(hits)
    assert low <= share <= high and high - low < 0.05
