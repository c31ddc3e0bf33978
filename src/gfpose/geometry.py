"""Pose geometry: root-centring and bone vectors (torch or numpy) and Procrustes (similarity) alignment (torch).

Poses are ``(..., J, 3)`` in millimetres with the root (pelvis, joint 0) first; leading
dimensions are batch dimensions and broadcast like ordinary torch operations.
"""

import numpy as np
import torch

from gfpose.errors import InputError
from gfpose.skeleton import PARENTS, ROOT


def check_poses(x, name: str, numpy_ok: bool = False):
    """Return ``x`` if it is a ``(..., J, 3)`` tensor (or, with ``numpy_ok``, numpy array), else
    raise InputError naming ``name``."""
    if not isinstance(x, (torch.Tensor, np.ndarray) if numpy_ok else torch.Tensor):
        kinds = "torch.Tensor or numpy array" if numpy_ok else "torch.Tensor"
        raise InputError(f"{name} must be a {kinds} of shape (..., J, 3), got {type(x).__name__}; "
                         "convert it with torch.as_tensor")
    if x.ndim < 2 or x.shape[-1] != 3:
        raise InputError(f"{name} must have shape (..., J, 3), got {tuple(x.shape)}")
    return x


def check_pose_pair(pred, target, pred_name: str = "pred", target_name: str = "target"):
    """Validate two pose tensors with equal joint counts and broadcastable batch dimensions."""
    check_poses(pred, pred_name)
    check_poses(target, target_name)
    try:
        torch.broadcast_shapes(pred.shape, target.shape)
    except RuntimeError:
        raise InputError(f"{pred_name} {tuple(pred.shape)} and {target_name} {tuple(target.shape)} "
                         "must have the same joint count and broadcastable batch dimensions") from None
    return pred, target


def bone_vectors(poses):
    """``(..., 17, 3) -> (..., 17, 3)``: joint j minus its parent (skeleton.PARENTS), the vector of
    the bone ending at j; zero at the root. Torch or numpy."""
    return poses - poses[..., [max(p, 0) for p in PARENTS], :]


def root_center(poses, root: int = ROOT):
    """Subtract the root joint from every joint: ``(..., J, 3) -> (..., J, 3)`` (Protocol #1, Sec. 5.1).

    Takes a torch tensor or a numpy array and returns the same kind.
    """
    check_poses(poses, "poses", numpy_ok=True)
    return poses - poses[..., root:root + 1, :]


def _work_dtype(device: torch.device) -> torch.dtype:
    # float64 for a stable SVD; MPS has no float64, so it keeps float32 there.
    return torch.float32 if device.type == "mps" else torch.float64


def procrustes_align(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Align ``pred`` onto ``target`` by the least-squares similarity transform (Protocol #2, Sec. 5.1).

    Rotation (proper: reflections are excluded), uniform scale and translation, per pose
    (Umeyama 1991), batched with ``torch.linalg.svd`` and computed in float64. Shapes
    ``(..., J, 3)`` broadcast; returns the aligned ``pred`` in its floating dtype. A pose
    containing NaN or inf comes back all NaN rather than failing the whole batch.
    """
    check_pose_pair(pred, target)
    out_dtype = pred.dtype if pred.is_floating_point() else torch.get_default_dtype()
    work = _work_dtype(pred.device)
    x, y = torch.broadcast_tensors(pred.to(work), target.to(work))
    mu_x, mu_y = x.mean(-2, keepdim=True), y.mean(-2, keepdim=True)
    x0, y0 = x - mu_x, y - mu_y

    # Cross-covariance H = X^T Y = U S V^T; the best rotation (row vectors, x @ R) is U D V^T,
    # with D = diag(1, 1, det(U V^T)) flipping the weakest axis instead of reflecting.
    h = x0.transpose(-2, -1) @ y0
    h = torch.where(torch.isfinite(h), h, torch.zeros_like(h))  # NaN poses stay NaN below
    u, s, vh = torch.linalg.svd(h)
    d = torch.sign(torch.linalg.det(u @ vh))
    d = torch.where(d == 0, torch.ones_like(d), d)
    signs = torch.stack([torch.ones_like(d), torch.ones_like(d), d], dim=-1)
    rot = (u * signs.unsqueeze(-2)) @ vh
    scale = (s * signs).sum(-1) / (x0 ** 2).sum((-2, -1)).clamp_min(torch.finfo(work).tiny)
    aligned = scale[..., None, None] * (x0 @ rot) + mu_y
    return aligned.to(out_dtype)
