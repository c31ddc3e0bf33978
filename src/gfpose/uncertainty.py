"""Per-joint uncertainty from S hypotheses: a ball around a point estimate that holds the true joint
with a stated probability (50%, 90%), calibrated on held-out data.

The interval of joint j at level q is the ball of radius

    r_q = T_q[j] * sqrt(1 + (k * rho / sigma) ** 2) * quantile_q(|| h_s[j] - m[j] ||,  s = 1..S)

around the point estimate (the hypotheses' mean m, or the track `gfpose lift` writes): the
q-quantile of the hypotheses' distances from their mean, times a temperature fitted per centre,
widened by the frame's relative residual rho / sigma: its placement residual rho (mm;
gfpose.sequences.lift.placement_residual: how far the hypotheses' mean misses the 2D once placed)
over the hypotheses' mean spread sigma (mm, the joints but the root). Were the hypotheses exact
posterior draws and the centre their mean, T = 1 and k = 0 would cover the truth with probability
q. Around the track the radius is still the spread about the mean: the distances from the track
grow with its offset from the mean faster than its error does (the exact-2D calibration set's
warm-started 50% balls held 41% of the joints where the track sits closest to the mean and 66%
where farthest; with the mean's spread, 49-52%).

The hypotheses are not exact draws: the sampler's are too narrow or too wide by joint,
warm-started chains (gfpose.sequences.propagate) narrow them further, and on poses and bodies the
prior has not learned the error grows far faster than the spread (a take's own 90% temperature
ranges from 0.6 to 6.9 for the mocap model) while the 2D residual grows with it. The residual
counts relative to the spread: hypotheses that disagree already hold a miss of the 2D their
spread explains, hypotheses that agree and still miss it are confidently wrong. The widening adds
to the spread, in quadrature, an error in proportion to the miss: where the miss is small against
the spread the ball is the spread's, where it is large it grows with the miss (as the residual
alone, the CMU test split's 50% balls held 68% of its joints; as a power of rho / sigma, which also
shrinks the balls of small misses, 58%; docs/RESULTS.md).

So T and k are fitted on a calibration set (:func:`fit_calibration`): the weight k that leaves
the coverage even across the relative residual's quantile bins, and the per-joint T that makes it
q overall. The shipped values (``assets/uncertainty_calibration.json``, one table per kind in KINDS:
exact or detector 2D, independent or warm-started hypotheses, around their mean or the track) were
fitted by ``python benchmarks/uncertainty.py --fit``: for exact 2D on held-out takes, the HDM05 test
actors and CMU BVH test subjects (no shipped model saw them) and bundled test takes no held-out set
uses; for a detector's 2D on real footage, the two-person Pose2Sim clip's BlazePose 2D against its
multi-view reference (synthetic detector noise errs less than a real detector). They are checked on other
held-out sets (docs/RESULTS.md, Uncertainty; docs/results/uncertainty.json). The root (pelvis) is
the origin of every root-relative pose: its radius is 0 and it is left out of the coverage.

Pure numpy; poses in mm, (..., J, 3), NaN for a missing joint or frame.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from gfpose.atomic import atomic_write
from gfpose.errors import InputError
from gfpose.skeleton import H36M_JOINTS, ROOT

LEVELS = (0.5, 0.9)
CHAINS = ("independent", "warm")  # hypotheses drawn each from T = 1, or warm-started frame to frame
CENTRES = ("mean", "track")  # the point estimate the ball is around
JOINTS = ("mocap", "detector")  # exact H36M-17 2D, or a 2D detector's (gfpose.joint_definitions)
KINDS = tuple(f"{joints}-{chains}-{centre}" for joints in JOINTS for chains in CHAINS for centre in CENTRES)
CALIBRATION_PATH = Path(__file__).parent / "assets" / "uncertainty_calibration.json"
CSV_COLUMNS = ("frame", "joint", "joint_name", "x_mm", "y_mm", "z_mm", "spread_mm")
FLOOR_MM = 1.0  # residuals and spreads below count as this (exact 2D is missed by ~0 mm; one hypothesis: no spread)
RESIDUAL_WEIGHTS = tuple(np.arange(0.0, 40.01, 1.0))  # the weights k fit_calibration tries


@dataclass(frozen=True)
class JointIntervals:
    """Balls around ``center`` (..., J, 3) mm of radius ``radius`` (..., J, L) mm, one per level in
    ``levels``; ``spread`` (..., J) mm: the hypotheses' RMS distance from their mean."""

    center: np.ndarray
    radius: np.ndarray
    levels: tuple[float, ...]
    spread: np.ndarray


def _check_levels(levels) -> tuple[float, ...]:
    levels = tuple(float(q) for q in np.atleast_1d(levels))
    if not levels or not all(0 < q < 1 for q in levels):
        raise InputError(f"levels must lie in (0, 1), got {levels}")
    return levels


def hypothesis_mean(hypotheses: np.ndarray) -> np.ndarray:
    """(..., S, J, 3) -> (..., J, 3): the hypotheses' mean (NaN where a frame has none)."""
    return np.asarray(hypotheses, dtype=np.float64).mean(axis=-3)


def spread(hypotheses: np.ndarray) -> np.ndarray:
    """(..., S, J, 3) -> (..., J) RMS distance in mm of the hypotheses from their mean."""
    h = np.asarray(hypotheses, dtype=np.float64)
    deviation = h - h.mean(axis=-3, keepdims=True)
    return np.sqrt((deviation ** 2).sum(axis=-1).mean(axis=-2))


def raw_radius(hypotheses: np.ndarray, levels=LEVELS) -> np.ndarray:
    """(..., S, J, 3) hypotheses -> (..., J, L) mm: the q-quantile of the hypotheses' distances from
    their mean, per joint and level (temperature 1). The radius of a ball around any centre, the track
    too: distances from an off-centre track grow with its offset faster than its error does."""
    levels = _check_levels(levels)
    h = np.asarray(hypotheses, dtype=np.float64)
    distance = np.linalg.norm(h - hypothesis_mean(h)[..., None, :, :], axis=-1)  # (..., S, J)
    return np.moveaxis(np.quantile(distance, levels, axis=-2), 0, -1)


@lru_cache(maxsize=1)
def _calibration() -> dict:
    return json.loads(CALIBRATION_PATH.read_text())


def calibrated_temperature(kind: str, levels=LEVELS) -> np.ndarray:
    """(L, J) shipped temperatures of a kind in KINDS ('detector-warm-track': a detector's 2D,
    warm-started chains, around the track) at ``levels`` (each must be one the calibration was fitted at)."""
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    table = _calibration()
    fitted = [round(q, 6) for q in table["levels"]]
    missing = [q for q in _check_levels(levels) if round(q, 6) not in fitted]
    if missing:
        raise InputError(f"no shipped temperature at levels {missing}; fitted at {table['levels']}")
    rows = np.asarray(table["temperature"][kind], dtype=np.float64)
    return rows[[fitted.index(round(q, 6)) for q in _check_levels(levels)]]


def calibrated_residual_weight(kind: str, levels=LEVELS) -> np.ndarray:
    """(L,) shipped residual weights k of a kind in KINDS at ``levels`` (as calibrated_temperature)."""
    calibrated_temperature(kind, levels)  # checks the kind and the levels
    table = _calibration()
    fitted = [round(q, 6) for q in table["levels"]]
    return np.asarray(table["residual_weight"][kind], dtype=np.float64)[
        [fitted.index(round(q, 6)) for q in _check_levels(levels)]]


def relative_residual(residual_mm, hypotheses: np.ndarray) -> np.ndarray:
    """(...,) rho / sigma of per-frame placement residuals (...,) mm and (..., S, J, 3) mm hypotheses: the
    residual over the hypotheses' mean spread (:func:`spread`) over the joints but the root, both
    floored at FLOOR_MM."""
    s = np.delete(spread(hypotheses), ROOT, axis=-1).mean(axis=-1)
    return np.maximum(np.asarray(residual_mm, dtype=np.float64), FLOOR_MM) / np.maximum(s, FLOOR_MM)


def residual_scale(relative, weight) -> np.ndarray:
    """(..., L) factors sqrt(1 + (k rho / sigma) ** 2) of per-frame relative residuals (...,)
    (:func:`relative_residual`) and weights k (L,)."""
    scaled = np.asarray(relative, dtype=np.float64)[..., None] * np.asarray(weight, dtype=np.float64)
    return np.sqrt(1.0 + scaled ** 2)


def joint_intervals(hypotheses: np.ndarray, center: np.ndarray | None = None, levels=LEVELS,
                    chains: str = "independent", joints: str = "mocap", temperature=None,
                    residual_mm=None, residual_weight=None) -> JointIntervals:
    """Calibrated per-joint intervals of (..., S, J, 3) mm hypotheses around ``center`` (..., J, 3)
    (None: the hypotheses' mean; else e.g. the track).

    chains: 'independent' (each frame drawn from T = 1) or 'warm' (warm-started chains, as `gfpose
    lift` draws videos) and joints, the 2D the hypotheses were lifted from: 'mocap' (exact, as in
    the synthetic test sets) or 'detector' (a 2D detector's, noisy, as `gfpose lift` of a video):
    which shipped calibration applies. temperature: None takes the shipped temperatures and
    residual weights (kind ``f"{joints}-{chains}-{'mean' if center is None else 'track'}"``), which need
    ``residual_mm`` (...,), each frame's placement residual (gfpose.sequences.lift.placement_residual);
    1.0 gives the raw quantiles; a scalar, (L,) or (L, J) array is used as given, with
    ``residual_weight`` (a scalar or (L,); None: 0, no residual term)."""
    levels = _check_levels(levels)
    for name, value, allowed in (("chains", chains, CHAINS), ("joints", joints, JOINTS)):
        if value not in allowed:
            raise InputError(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")
    h = np.asarray(hypotheses, dtype=np.float64)
    c = hypothesis_mean(h) if center is None else np.asarray(center, dtype=np.float64)
    if c.shape != h.shape[:-3] + h.shape[-2:]:
        raise InputError(f"center: shape {c.shape}, expected {h.shape[:-3] + h.shape[-2:]} for hypotheses {h.shape}")
    if temperature is None:
        kind = f"{joints}-{chains}-{'mean' if center is None else 'track'}"
        temperature = calibrated_temperature(kind, levels)
        if residual_weight is None:
            residual_weight = calibrated_residual_weight(kind, levels)
    weight = np.broadcast_to(np.asarray(0.0 if residual_weight is None else residual_weight, dtype=np.float64),
                             (len(levels),))
    t = np.asarray(temperature, dtype=np.float64)
    t = t[:, None] if t.ndim == 1 else t  # (L,) -> one per level for every joint
    radius = raw_radius(h, levels) * np.swapaxes(np.broadcast_to(t, (len(levels), h.shape[-2])), 0, 1)
    if weight.any():
        if residual_mm is None:
            raise InputError("residual_mm: the calibrated intervals need each frame's placement residual "
                             "(gfpose.sequences.lift.placement_residual, or TakeLift.residual_mm)")
        residual = np.asarray(residual_mm, dtype=np.float64)
        if residual.shape != h.shape[:-3]:
            raise InputError(f"residual_mm: shape {residual.shape}, expected {h.shape[:-3]} (one per frame)")
        radius = radius * residual_scale(relative_residual(residual, h), weight)[..., None, :]
    order = np.argsort(levels)  # a higher level's ball holds a lower one's (few hypotheses' quantiles can cross)
    radius[..., order] = np.fmax.accumulate(radius[..., order], axis=-1)
    return JointIntervals(c, radius, levels, spread(h))


def inside(truth: np.ndarray, center: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """(..., J, L) 1.0 where the true joint (..., J, 3) lies within ``radius`` of ``center``, else
    0.0; NaN where the truth or the centre is missing."""
    error = np.linalg.norm(np.asarray(truth, dtype=np.float64) - center, axis=-1)[..., None]
    hit = (error <= radius).astype(np.float64)
    return np.where(np.isfinite(error) & np.isfinite(radius), hit, np.nan)


def coverage(truth: np.ndarray, intervals: JointIntervals) -> np.ndarray:
    """(J, L) share of the true joints (..., J, 3) inside their intervals, over every leading axis
    (missing joints left out; NaN for a joint never seen)."""
    hits = inside(truth, intervals.center, intervals.radius)
    hits = hits.reshape(-1, *hits.shape[-2:])
    with np.errstate(invalid="ignore"):
        return np.nanmean(hits, axis=0) if np.isfinite(hits).any() else np.full(hits.shape[1:], np.nan)


def error_ratio(truth: np.ndarray, hypotheses: np.ndarray, center: np.ndarray | None = None,
                levels=LEVELS) -> np.ndarray:
    """(..., J, L): ||truth - centre|| / raw_radius; a joint is inside T r_q exactly when this <= T.
    0 where both are 0 (the root), inf where only the radius is."""
    c = hypothesis_mean(hypotheses) if center is None else np.asarray(center, dtype=np.float64)
    r = raw_radius(hypotheses, levels)
    e = np.linalg.norm(np.asarray(truth, dtype=np.float64) - c, axis=-1)[..., None]
    e = np.broadcast_to(e, r.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(r > 0, e / r, np.where(e > 0, np.inf, np.where(np.isfinite(e), 0.0, np.nan)))


def fit_temperature(ratios: np.ndarray, levels=LEVELS, per_joint: bool = True) -> np.ndarray:
    """(L, J) temperatures from (..., J, L) error ratios (:func:`error_ratio`) of a calibration set:
    the q-quantile of the ratios per level (and per joint), so that T r_q covers a share q of its
    true joints. per_joint=False: one temperature per level for every joint (joints whose ratios
    are all 0, the root, pooled out). Joints without a finite ratio get 1."""
    levels = _check_levels(levels)
    r = np.asarray(ratios, dtype=np.float64)
    r = r.reshape(-1, *r.shape[-2:])  # (N, J, L)
    if r.shape[-1] != len(levels):
        raise InputError(f"ratios: {r.shape[-1]} levels, expected {len(levels)}")
    out = np.ones((len(levels), r.shape[1]))
    for i, q in enumerate(levels):
        column = r[..., i]
        if per_joint:
            for j in range(column.shape[1]):
                values = column[:, j][~np.isnan(column[:, j])]
                if len(values) and (values > 0).any():
                    out[i, j] = np.quantile(values, q)
        else:
            moving = (np.nan_to_num(column) > 0).any(axis=0)
            values = column[:, moving][~np.isnan(column[:, moving])]
            if len(values):
                out[i, moving] = np.quantile(values, q)
    return out


def fit_calibration(ratios: np.ndarray, relative: np.ndarray, levels=LEVELS, weights=RESIDUAL_WEIGHTS,
                    bins: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """((L, J) temperatures, (L,) residual weights) from (N, J, L) error ratios (:func:`error_ratio`,
    temperature 1) and the frames' (N,) relative residuals (:func:`relative_residual`): the weight k of
    ``weights`` whose per-joint temperatures (:func:`fit_temperature` on the ratios over
    residual_scale) leave the coverage most even across ``bins`` quantile bins of the relative
    residual (least squares of each bin's coverage against its level, summed over the levels), and
    those temperatures. One k for every level keeps the balls nested (the 90% one holds the 50% one)."""
    levels = _check_levels(levels)
    r = np.asarray(ratios, dtype=np.float64)
    u = np.asarray(relative, dtype=np.float64)
    if r.ndim != 3 or u.shape != r.shape[:1] or r.shape[-1] != len(levels):
        raise InputError(f"ratios {r.shape} and relative residuals {u.shape}: expected (N, J, {len(levels)}) and (N,)")
    which = np.digitize(u, np.nanquantile(u, np.linspace(0, 1, bins + 1)[1:-1]))
    moving = (np.nan_to_num(r) > 0).any(axis=(0, 2))  # not the root, the origin of every pose

    def fitted(k: float) -> tuple[np.ndarray, float]:
        scaled = r / residual_scale(u, [k])[..., None]  # (N, J, L)
        t = fit_temperature(scaled, levels)
        hit = np.where(np.isnan(scaled), np.nan, scaled <= t.T)[:, moving]  # (N, J', L)
        loss = sum(((np.nanmean(hit[which == b], axis=(0, 1)) - levels) ** 2).sum()
                   for b in range(bins) if (which == b).any())
        return t, loss

    best = min(weights, key=lambda k: fitted(k)[1])
    return fitted(best)[0], np.full(len(levels), float(best))


def write_uncertainty_csv(path, intervals: JointIntervals, joint_names=H36M_JOINTS) -> Path:
    """One row per frame and joint of (T, J) intervals: frame, joint, joint_name, the centre x, y, z
    mm, spread_mm and radius<q>_mm per level (e.g. radius50_mm, radius90_mm); empty cells where a
    frame has no person. Written atomically."""
    center, radius = np.asarray(intervals.center), np.asarray(intervals.radius)
    if center.ndim != 3:
        raise InputError(f"intervals: centre of shape {center.shape}, expected (T, J, 3)")
    columns = [*CSV_COLUMNS, *(f"radius{level_name(q)}_mm" for q in intervals.levels)]

    def cell(x: float) -> str:
        return f"{x:.2f}" if np.isfinite(x) else ""

    def write(tmp: str) -> None:
        with open(tmp, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            for t in range(center.shape[0]):
                for j in range(center.shape[1]):
                    writer.writerow([t, j, joint_names[j], *map(cell, center[t, j]), cell(intervals.spread[t, j]),
                                     *map(cell, radius[t, j])])

    return atomic_write(Path(path), write)


def read_uncertainty_csv(path) -> JointIntervals:
    """The intervals of a file of :func:`write_uncertainty_csv` (empty cells -> NaN)."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        raise InputError(f"{path}: no rows")
    radius_columns = [k for k in rows[0] if k.startswith("radius") and k.endswith("_mm")]
    levels = tuple(int(k[len("radius"):-len("_mm")]) / 100 for k in radius_columns)
    frames, joints = 1 + max(int(r["frame"]) for r in rows), 1 + max(int(r["joint"]) for r in rows)

    def values(keys) -> np.ndarray:
        out = np.full((frames, joints, len(keys)), np.nan)
        for r in rows:
            out[int(r["frame"]), int(r["joint"])] = [float(r[k]) if r[k] else np.nan for k in keys]
        return out

    return JointIntervals(values(("x_mm", "y_mm", "z_mm")), values(radius_columns), levels,
                          values(("spread_mm",))[..., 0])


def level_name(q: float) -> str:
    """0.5 -> '50', 0.9 -> '90' (a level as a percentage in a column or key name)."""
    return f"{round(100 * q):d}"
