"""The plausibility benchmark's bootstrap interval of an AUC over takes (benchmarks/plausibility.py),
against DeLong's standard error and the invariance of the AUC to copies within a take."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from plausibility import auc, auc_interval  # noqa: E402


def delong_standard_error(clean: np.ndarray, bad: np.ndarray) -> float:
    """DeLong et al. 1988: the AUC's variance from each score's placement among the other group's."""
    greater = (bad[None, :] > clean[:, None]) + 0.5 * (bad[None, :] == clean[:, None])
    return float(np.sqrt(greater.mean(axis=1).var(ddof=1) / len(clean) + greater.mean(axis=0).var(ddof=1) / len(bad)))


def test_one_pose_per_take_matches_delong():
    rng = np.random.default_rng(0)
    clean, bad = rng.normal(0, 1, 600), rng.normal(1.2, 1, 600)  # AUC Phi(1.2 / sqrt 2) = 0.80
    low, high = auc_interval(clean, bad, np.arange(600))
    assert low < auc(clean, bad) < high
    half_width = 1.96 * delong_standard_error(clean, bad)
    assert abs((high - low) / 2 - half_width) < 0.1 * half_width


def test_copies_within_a_take_do_not_narrow_it():
    """Each take holding k copies of one pose's pair has the same AUC and, resampled by take, the same
    interval as one pose per take; counted as independent poses it would be about sqrt(k) narrower."""
    rng = np.random.default_rng(1)
    clean, bad = rng.normal(0, 1, 80), rng.normal(1.0, 1, 80)
    copies = 9
    takes = np.repeat(np.arange(80), copies)
    many_clean, many_bad = np.repeat(clean, copies), np.repeat(bad, copies)
    assert auc(many_clean, many_bad) == auc(clean, bad)
    np.testing.assert_allclose(auc_interval(many_clean, many_bad, takes), auc_interval(clean, bad, np.arange(80)))
    low, high = auc_interval(many_clean, many_bad, np.arange(80 * copies))
    wide_low, wide_high = auc_interval(clean, bad, np.arange(80))
    assert (high - low) < 0.5 * (wide_high - wide_low)
