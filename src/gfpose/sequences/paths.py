"""A coherent path through each frame's hypotheses: dynamic programming (Viterbi) on a data cost per
hypothesis (reprojection error against the 2D track, or distance to observed 3D joints) plus a
motion cost between the hypotheses chosen at consecutive frames.

    path = argmin_{i_1..i_T} sum_t unary[t, i_t] + sum_t pairwise[t, i_t, i_{t+1}]

Costs are Gaussian negative log-likelihoods: squared errors over the squared scale of each term.
"""

import numpy as np
import torch

from gfpose.errors import InputError


def viterbi(unary: np.ndarray, pairwise: np.ndarray) -> np.ndarray:
    """The minimum-cost path (T,) of indices for unary (T, S) and pairwise (T - 1, S, S) costs,
    pairwise[t, i, j] the cost of going from hypothesis i at frame t to j at frame t + 1."""
    frames, states = unary.shape
    if pairwise.shape != (frames - 1, states, states):
        raise InputError(f"pairwise costs must be ({frames - 1}, {states}, {states}), got {pairwise.shape}")
    total = unary[0].astype(np.float64)
    back = np.empty((frames - 1, states), dtype=np.int64)
    for t in range(frames - 1):
        through = total[:, None] + pairwise[t]
        back[t] = through.argmin(axis=0)
        total = through.min(axis=0) + unary[t + 1]
    path = np.empty(frames, dtype=np.int64)
    path[-1] = int(total.argmin())
    for t in range(frames - 2, -1, -1):
        path[t] = back[t, path[t + 1]]
    return path


def root_translation(poses_mm: torch.Tensor, keypoints_px: torch.Tensor, focal_px: torch.Tensor,
                     center_px: torch.Tensor) -> torch.Tensor:
    """(..., 3) the camera-frame root position placing root-relative poses (..., J, 3) on the 2D
    keypoints (..., J, 2) (NaN = missing) of a pinhole camera with focal length (...,) and principal
    point (..., 2) px, by linear least squares on f (X + T_x) = (u - c_x)(Z + T_z) and
    f (Y + T_y) = (v - c_y)(Z + T_z)."""
    rays = keypoints_px - center_px[..., None, :]
    seen = torch.isfinite(rays).all(dim=-1).to(poses_mm.dtype)  # (..., J)
    rays = torch.nan_to_num(rays)
    f = focal_px[..., None].expand_as(seen)
    zero = torch.zeros_like(f)
    rows = torch.cat([torch.stack([f, zero, -rays[..., 0]], dim=-1),
                      torch.stack([zero, f, -rays[..., 1]], dim=-1)], dim=-2)
    targets = torch.cat([rays[..., 0] * poses_mm[..., 2] - f * poses_mm[..., 0],
                         rays[..., 1] * poses_mm[..., 2] - f * poses_mm[..., 1]], dim=-1)
    weight = torch.cat([seen, seen], dim=-1)
    solution = torch.linalg.lstsq((rows * weight[..., None]).double(), (targets * weight).double()[..., None])
    return solution.solution[..., 0].to(poses_mm.dtype)


def reprojection_errors(hypotheses_mm: torch.Tensor, keypoints_px: torch.Tensor, image_size: torch.Tensor,
                        focal_px: torch.Tensor) -> torch.Tensor:
    """(T, S) root-mean-square reprojection error (px) of hypotheses (T, S, J, 3) against keypoints
    (T, J, 2) (NaN = missing) in images (T, 2) seen with focal lengths (T,) px, each hypothesis placed
    at its best root position (root_translation)."""
    frames, tracks = hypotheses_mm.shape[:2]
    keypoints = keypoints_px[:, None].expand(frames, tracks, -1, -1)
    center = (image_size / 2)[:, None].expand(frames, tracks, 2)
    focal = focal_px[:, None].expand(frames, tracks)
    points = hypotheses_mm + root_translation(hypotheses_mm, keypoints, focal, center)[..., None, :]
    projected = focal[..., None, None] * points[..., :2] / points[..., 2:] + center[..., None, :]
    return (projected - keypoints).pow(2).sum(dim=-1).nanmean(dim=-1).sqrt()


def observation_errors(hypotheses_mm: torch.Tensor, observed_mm: torch.Tensor) -> torch.Tensor:
    """(T, S) root-mean-square distance (mm) of hypotheses (T, S, J, 3) to observed joints (T, J, 3), NaN = missing."""
    return (hypotheses_mm - observed_mm[:, None]).pow(2).sum(dim=-1).nanmean(dim=-1).sqrt()


def motion_costs(hypotheses_mm: torch.Tensor) -> torch.Tensor:
    """(T - 1, S, S) mean squared joint displacement (mm^2) between every hypothesis pair of consecutive frames."""
    flat = hypotheses_mm.flatten(start_dim=2).double()
    joints = hypotheses_mm.shape[2]
    return torch.cdist(flat[:-1], flat[1:]).pow(2) / joints


def coherent_path(hypotheses_mm: torch.Tensor, data_errors: torch.Tensor, error_scale: float,
                  motion_mm: float) -> torch.Tensor:
    """(T, J, 3): per frame the hypothesis on the Viterbi path of costs (data_errors / error_scale)^2
    and (joint displacement / motion_mm)^2."""
    unary = (data_errors.double() / error_scale).pow(2).numpy()
    pairwise = (motion_costs(hypotheses_mm) / motion_mm ** 2).numpy()
    path = viterbi(unary, pairwise)
    return hypotheses_mm[torch.arange(len(path)), torch.from_numpy(path)]
