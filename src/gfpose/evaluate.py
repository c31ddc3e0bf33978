"""Evaluation on a PoseSet, streamed chunk by chunk: per-sample metrics, then per-action tables
(averaged per action, then over actions, as the paper reports).

Tasks: estimate (2D -> 3D, optionally from noisy 2D), complete-2d / complete-3d (with joints or
body parts missing), denoise (3D + noise -> 3D). World-frame pose sets are viewed through fixed,
seeded virtual cameras, so every run sees the same test inputs.
"""

import time
from dataclasses import dataclass

import numpy as np
import torch
from tqdm import tqdm

from gfpose import metrics
from gfpose.conditions import condition_from_2d, condition_from_3d
from gfpose.data.cameras import camera_views, fixed_test_cameras
from gfpose.data.noise2d import detector_noise
from gfpose.masking import part_mask
from gfpose.runtime import gather_row_arrays, local_rows
from gfpose.score import Condition
from gfpose.skeleton import NUM_JOINTS
from gfpose.tasks import DENOISE_METHODS

TASKS = ("estimate", "complete-2d", "complete-3d", "denoise")


@dataclass
class EvalInputs:
    """Ground truth (N, J, 3) mm root-relative camera frame, 2D (N, J, 2) px, image (N, 2), actions (N,)."""

    poses: torch.Tensor
    keypoints: torch.Tensor
    image_size: torch.Tensor
    actions: np.ndarray


def eval_inputs(poseset, camera_seed: int = 0) -> EvalInputs:
    """Camera-frame test inputs: fixed seeded cameras for world poses, the given views otherwise."""
    poses = torch.as_tensor(poseset.poses_3d)
    if poseset.frame_kind == "world":
        cameras = fixed_test_cameras(len(poses), seed=camera_seed)
        gt, keypoints = camera_views(poses, cameras)
        return EvalInputs(gt, keypoints, cameras.size, poseset.action)
    return EvalInputs(poses - poses[:, :1], torch.as_tensor(poseset.keypoints_2d),
                      torch.as_tensor(poseset.image_size), poseset.action)


def missing_mask(spec: str, count: int, seed: int = 0) -> torch.Tensor:
    """(N, J) bool, True where a joint is hidden. spec: 'none', 'joints:K' (K random joints per
    input, never the pelvis, seeded) or 'parts:r_leg,l_arm' (body parts of gfpose.skeleton)."""
    kind, _, arg = spec.partition(":")
    if kind == "none":
        return torch.zeros(count, NUM_JOINTS, dtype=torch.bool)
    if kind == "joints" and arg.isdigit() and 0 < int(arg) < NUM_JOINTS:
        scores = torch.rand(count, NUM_JOINTS - 1, generator=torch.Generator().manual_seed(seed))
        hidden = torch.zeros(count, NUM_JOINTS, dtype=torch.bool)
        hidden[:, 1:] = scores.argsort(dim=1).argsort(dim=1) < int(arg)
        return hidden
    if kind == "parts" and arg:
        return part_mask(*arg.split(",")).expand(count, NUM_JOINTS).clone()
    raise ValueError(f"missing-joint spec {spec!r}: expected 'none', 'joints:K' or 'parts:a,b'")


def add_3d_noise(poses: torch.Tensor, spec: str, seed: int = 0) -> torch.Tensor:
    """'gaussian:V' adds N(0, V mm^2) per coordinate; 'uniform:A' adds U(-A, A) mm per coordinate."""
    kind, _, arg = spec.partition(":")
    gen = torch.Generator().manual_seed(seed)
    try:
        value = float(arg)
    except ValueError:
        value = None
    if kind == "gaussian" and value is not None:
        return poses + value**0.5 * torch.randn(poses.shape, generator=gen)
    if kind == "uniform" and value is not None:
        return poses + value * (2 * torch.rand(poses.shape, generator=gen) - 1)
    if kind == "none":
        return poses.clone()
    raise ValueError(f"noise spec {spec!r}: expected 'none', 'gaussian:VARIANCE_MM2' or 'uniform:HALF_WIDTH_MM'")


def noise_std_mm(spec: str) -> float:
    """Standard deviation per coordinate of the noise add_3d_noise adds for `spec`."""
    kind, _, arg = spec.partition(":")
    if kind == "none":
        return 0.0
    value = float(arg)
    return value**0.5 if kind == "gaussian" else value / 3**0.5


def _hypothesis_metrics(hyps: torch.Tensor, gt: torch.Tensor, counts) -> dict:
    """Per-sample metrics of (n, S, J, 3) hypotheses: best of the first k for each k in counts."""
    out = {}
    errors = {p: metrics.hypothesis_errors(hyps, gt, protocol=p) for p in (1, 2)}
    for k in counts:
        for p in (1, 2):
            out[f"P{p} min S={k}"] = errors[p][:, :k].min(dim=1).values
    out["P1 mean over S"] = errors[1].mean(dim=1)
    out["% hyps > 300 mm"] = (errors[1] > 300).float().mean(dim=1) * 100
    out["PCK150 best"] = metrics.pck_best(hyps, gt) * 100
    out["AUC best"] = metrics.auc_best(hyps, gt) * 100
    return out


def evaluate(prior, poseset, task: str = "estimate", num_hypotheses: int = 1, noise_2d: float = 0.0,
             missing: str = "none", mode: str = "both", noise_3d: str = "gaussian:100", t0: float | str = 0.05,
             denoiser: str = "sample", seed: int = 0, progress: bool = True) -> dict:
    """Run one task over a PoseSet and return {'table': {row: {action: value}}, ...} (mm, %).

    Denoising starts at t0, or with t0='auto' at the time whose SDE noise matches noise_3d, and
    returns a reverse-SDE sample (denoiser 'sample') or the posterior mean (denoiser 'mean')."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    if denoiser not in DENOISE_METHODS:
        raise ValueError(f"unknown denoiser {denoiser!r}; expected one of {', '.join(DENOISE_METHODS)}")
    inputs = eval_inputs(poseset)
    count = len(inputs.poses)
    sampler = prior.sampler
    started = time.time()
    kwargs = {}
    if task == "denoise":
        noisy = add_3d_noise(inputs.poses, noise_3d, seed)
        noisy = noisy - noisy[:, :1]
        if t0 == "auto":
            t0 = sampler.start_time_for_noise(noise_std_mm(noise_3d))
        cond = Condition.empty(count, NUM_JOINTS)
        kwargs = dict(start_mm=noisy, t_start=t0, mean_at_start=denoiser == "mean")
        num_hypotheses = 1
    elif task == "complete-3d":
        partial = inputs.poses.masked_fill(missing_mask(missing, count, seed)[..., None], float("nan"))
        cond = condition_from_3d(partial)
        if mode == "imputation":
            cond = Condition.empty(count, NUM_JOINTS)
        if mode != "conditional":
            kwargs = dict(observed_mm=partial)
    else:
        keypoints = inputs.keypoints
        if noise_2d > 0:
            keypoints = detector_noise(keypoints, torch.Generator().manual_seed(seed), sigma_px=noise_2d)
        keypoints = keypoints.masked_fill(missing_mask(missing, count, seed)[..., None], float("nan"))
        cond = condition_from_2d(keypoints, inputs.image_size)

    counts = sorted({k for k in (1, 10, num_hypotheses) if k <= num_hypotheses})
    per_chunk = sampler.chunk_size(num_hypotheses)
    chunks = local_rows(-(-count // per_chunk))  # this rank's chunks (all of them in one process)
    first, last = chunks.start * per_chunk, min(chunks.stop * per_chunk, count)
    per_sample: dict[str, np.ndarray] = {}  # filled in place: nothing allocated per chunk outlives it
    bar = tqdm(total=last - first, disable=not progress, desc=task, unit="pose")
    for rows, hyps in sampler.iter_hypotheses(cond, num_hypotheses, seed=seed, chunks=chunks, **kwargs):
        gt = inputs.poses[rows]
        if task == "denoise":
            values = {"P2 before": metrics.p_mpjpe(kwargs["start_mm"][rows], gt),
                      "P2 after": metrics.p_mpjpe(hyps[:, 0], gt),
                      "P1 before": metrics.mpjpe(kwargs["start_mm"][rows], gt),
                      "P1 after": metrics.mpjpe(hyps[:, 0], gt)}
        else:
            values = _hypothesis_metrics(hyps, gt, counts)
        for name, value in values.items():
            if name not in per_sample:
                per_sample[name] = np.empty(last - first, dtype=value.numpy().dtype)
            per_sample[name][rows.start - first:rows.stop - first] = value.numpy()
        bar.update(len(gt))
    bar.close()
    table = metrics.per_action_table(gather_row_arrays(per_sample), inputs.actions)
    settings = sampler.settings
    return {"task": task, "count": count, "hypotheses": num_hypotheses, "noise_2d_px": noise_2d,
            "missing": missing, "mode": mode, "noise_3d": noise_3d if task == "denoise" else None,
            "t0": t0 if task == "denoise" else None, "denoiser": denoiser if task == "denoise" else None,
            "seed": seed,
            "sampler": {"name": settings.name, "steps": settings.steps, "schedule": settings.schedule,
                        "precision": settings.precision, "nfe": settings.network_evaluations()},
            "seconds": round(time.time() - started, 2), "table": table}
