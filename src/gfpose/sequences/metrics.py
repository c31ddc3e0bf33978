"""Metrics of a 3D track against the true motion: per-frame error and temporal error.

    P1, P2        per-frame MPJPE after root alignment / Procrustes alignment (gfpose.metrics, Sec. 5.1)
    velocity      mean over frames and joints of || (p[t+1] - p[t]) - (g[t+1] - g[t]) ||   mm/frame
    acceleration  mean over frames and joints of || (p[t+1] - 2 p[t] + p[t-1]) - (same of g) ||   mm/frame^2

Tracks are (T, J, 3) mm, root-relative (root-centred here, as P1 is). Differences are per frame, so
the same motion scores differently at 24 and 30 fps: compare methods at one frame rate.
"""

import numpy as np
import torch

from gfpose import metrics
from gfpose.errors import InputError
from gfpose.geometry import root_center


def _check_tracks(pred, gt) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    if pred.ndim != 3 or pred.shape[-1] != 3 or pred.shape != gt.shape:
        raise InputError(f"pred and gt must be tracks of equal shape (T, J, 3) mm, got {pred.shape} and {gt.shape}")
    if not (np.isfinite(pred).all() and np.isfinite(gt).all()):
        raise InputError("pred and gt must be finite (fill missing joints before scoring a track)")
    return root_center(pred), root_center(gt)


def difference_error(pred, gt, order: int) -> float:
    """Mean over frames and joints of the norm of the order-th time difference of pred - gt (mm/frame^order)."""
    pred, gt = _check_tracks(pred, gt)
    if len(pred) <= order:
        raise InputError(f"a track of {len(pred)} frames has no difference of order {order}")
    return float(np.linalg.norm(np.diff(pred - gt, n=order, axis=0), axis=-1).mean())


def velocity_error(pred, gt) -> float:
    """Mean velocity error, mm/frame."""
    return difference_error(pred, gt, 1)


def acceleration_error(pred, gt) -> float:
    """Mean acceleration error, mm/frame^2 (the issue's definition; HMR-style 'accel error')."""
    return difference_error(pred, gt, 2)


def track_metrics(pred, gt) -> dict[str, float]:
    """P1, P2 (mean over frames), velocity and acceleration error of one track."""
    pred, gt = _check_tracks(pred, gt)
    pred_t, gt_t = torch.from_numpy(pred), torch.from_numpy(gt)
    return {"P1": float(metrics.mpjpe(pred_t, gt_t).mean()), "P2": float(metrics.p_mpjpe(pred_t, gt_t).mean()),
            "velocity": velocity_error(pred, gt), "acceleration": acceleration_error(pred, gt)}
