"""Evaluation on a PoseSet, streamed chunk by chunk: per-sample metrics, then per-action tables
(averaged per action, then over actions, as the paper reports).

Tasks: estimate (2D -> 3D, optionally from noisy 2D), complete-2d / complete-3d (with joints or
body parts missing), denoise (3D + noise -> 3D). Requests come from the task layer (gfpose.tasks),
the same builders the API uses. World-frame pose sets are viewed through fixed, seeded virtual
cameras, so every run sees the same test inputs.
"""

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from tqdm import tqdm

from gfpose import metrics
from gfpose.data.cameras import camera_views, fixed_test_cameras
from gfpose.data.noise2d import detector_noise
from gfpose.geometry import root_center
from gfpose.joint_definitions import with_joint_definition
from gfpose.perturbations import MissingJoints, PoseNoise
from gfpose.runtime import gather_row_arrays, local_rows
from gfpose.tasks import (
    COMPLETION_MODES,
    DENOISE_METHODS,
    DENOISE_T0,
    complete_3d_request,
    denoise_request,
    estimate_request,
)

TASKS = ("estimate", "complete-2d", "complete-3d", "denoise")
MEAN_OF = 50  # "P1 of mean pose": the mean of the first 50 hypotheses (or all, if fewer), a posterior-mean estimate


@dataclass
class EvalInputs:
    """Ground truth (N, J, 3) mm root-relative camera frame, 2D (N, J, 2) px, image (N, 2), actions (N,)."""

    poses: torch.Tensor
    keypoints: torch.Tensor
    image_size: torch.Tensor
    actions: np.ndarray


def eval_inputs(poseset, camera_seed: int = 0, joints: str = "mocap") -> EvalInputs:
    """Camera-frame test inputs: fixed seeded cameras for world poses, with the derived joints where
    `joints` (gfpose.joint_definitions) puts them, in 2D and 3D; the given views otherwise."""
    poses = torch.as_tensor(poseset.poses_3d)
    if poseset.frame_kind == "world":
        cameras = fixed_test_cameras(len(poses), seed=camera_seed)
        gt, keypoints = camera_views(with_joint_definition(poses, joints), cameras)
        return EvalInputs(gt, keypoints, cameras.size, poseset.action)
    return EvalInputs(root_center(poses), torch.as_tensor(poseset.keypoints_2d),
                      torch.as_tensor(poseset.image_size), poseset.action)


@dataclass(frozen=True)
class EvalTask:
    """One evaluation: the task, its hypotheses, and how the test inputs are degraded.

    noise_2d   detector-like 2D noise sigma in px (estimate, complete-2d)
    missing    joints hidden from the input (complete-2d, complete-3d)
    mode       completion mode from 3D (gfpose.tasks.COMPLETION_MODES)
    noise_3d   noise added before denoising; t0 the start time or 'auto' to match noise_3d;
    denoiser   'sample' (reverse SDE) or 'mean' (posterior mean, Tweedie)
    """

    task: str = "estimate"
    hypotheses: int = 1
    noise_2d: float = 0.0
    missing: MissingJoints = field(default_factory=MissingJoints)
    mode: str = "both"
    noise_3d: PoseNoise = field(default_factory=lambda: PoseNoise("gaussian", 100.0))
    t0: float | str = DENOISE_T0
    denoiser: str = "sample"
    seed: int = 0

    def __post_init__(self):
        for name, value, allowed in (("task", self.task, TASKS), ("mode", self.mode, COMPLETION_MODES),
                                     ("denoiser", self.denoiser, DENOISE_METHODS)):
            if value not in allowed:
                raise ValueError(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")
        if self.t0 != "auto" and not (isinstance(self.t0, (int, float)) and 0 < self.t0 <= 1):
            raise ValueError(f"t0 must be in (0, 1] or 'auto', got {self.t0!r}")


def _hypothesis_metrics(hyps: torch.Tensor, gt: torch.Tensor, counts) -> dict:
    """Per-sample metrics of (n, S, J, 3) hypotheses: best of the first k for each k in counts."""
    out = {}
    errors = {p: metrics.hypothesis_errors(hyps, gt, protocol=p) for p in (1, 2)}
    for k in counts:
        for p in (1, 2):
            out[f"P{p} min S={k}"] = errors[p][:, :k].min(dim=1).values
    out["P1 mean over S"] = errors[1].mean(dim=1)
    out["P1 of mean pose"] = metrics.mpjpe(hyps[:, :MEAN_OF].mean(dim=1), gt)
    out["bone error S=1"] = metrics.bone_length_error(hyps[:, 0], gt)
    out["% hyps > 300 mm"] = (errors[1] > 300).float().mean(dim=1) * 100
    out["PCK150 best"] = metrics.pck_best(hyps, gt) * 100
    out["AUC best"] = metrics.auc_best(hyps, gt) * 100
    return out


def _request(sampler, spec: EvalTask, inputs: EvalInputs):
    """The task layer's request for the degraded test inputs, and the t0 a denoising run starts at."""
    if spec.task == "denoise":
        t0 = sampler.start_time_for_noise(spec.noise_3d.std_mm) if spec.t0 == "auto" else spec.t0
        return denoise_request(spec.noise_3d.add(inputs.poses, spec.seed), t0, spec.denoiser), t0
    if spec.task == "complete-3d":
        return complete_3d_request(spec.missing.hide(inputs.poses, spec.seed), spec.hypotheses, spec.mode), None
    keypoints = inputs.keypoints
    if spec.noise_2d > 0:
        keypoints = detector_noise(keypoints, torch.Generator().manual_seed(spec.seed), sigma_px=spec.noise_2d)
    return estimate_request(spec.missing.hide(keypoints, spec.seed), inputs.image_size, spec.hypotheses), None


def evaluate(sampler, poseset, spec: EvalTask = EvalTask(), progress: bool = True) -> dict:
    """Run one task with a gfpose.tasks.Sampler over a PoseSet; returns
    {'table': {row: {action: value}}, ...} (mm, %), with the settings that made it."""
    inputs = eval_inputs(poseset, joints=sampler.config.model.joints)
    count = len(inputs.poses)
    started = time.time()
    request, t0 = _request(sampler, spec, inputs)
    counts = sorted({k for k in (1, 10, request.hypotheses) if k <= request.hypotheses})
    per_chunk = sampler.chunk_size(request.hypotheses)
    chunks = local_rows(-(-count // per_chunk))  # this rank's chunks (all of them in one process)
    first, last = chunks.start * per_chunk, min(chunks.stop * per_chunk, count)
    per_sample: dict[str, np.ndarray] = {}  # filled in place: nothing allocated per chunk outlives it
    bar = tqdm(total=last - first, disable=not progress, desc=spec.task, unit="pose")
    for rows, hyps in sampler.iter_chunks(request, seed=spec.seed, chunks=chunks):
        gt = inputs.poses[rows]
        if spec.task == "denoise":
            noisy = request.start_mm[rows]
            values = {"P2 before": metrics.p_mpjpe(noisy, gt), "P2 after": metrics.p_mpjpe(hyps[:, 0], gt),
                      "P1 before": metrics.mpjpe(noisy, gt), "P1 after": metrics.mpjpe(hyps[:, 0], gt)}
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
    denoising = spec.task == "denoise"
    return {"task": spec.task, "count": count, "hypotheses": request.hypotheses, "noise_2d_px": spec.noise_2d,
            "missing": str(spec.missing), "mode": spec.mode, "noise_3d": str(spec.noise_3d) if denoising else None,
            "t0": t0, "denoiser": spec.denoiser if denoising else None, "seed": spec.seed,
            "sampler": {"name": settings.name, "steps": settings.steps, "schedule": settings.schedule,
                        "precision": sampler.precision, "nfe": settings.network_evaluations()},
            "seconds": round(time.time() - started, 2), "table": table}
