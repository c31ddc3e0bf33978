"""Sequence entry points: numpy in, numpy out, every input checked (like gfpose.prior.PosePrior).

    complete_sequence(prior, partial (T, 17, 3) mm, NaN = missing) -> track (T, 17, 3) mm
    denoise_sequence(prior, poses (T, 17, 3) mm, noise_mm)    -> track (T, 17, 3) mm (gaps filled)
    evaluate_takes(prior, takes.npz, task)                     -> the sequence benchmark's table

A 2D take is lifted by ``PosePrior.lift_take`` (gfpose.sequences.lift). Tracks are root-relative
millimetres in the input's frame. `method` picks the sequence method (gfpose.sequences.methods.METHODS;
None: the task's best, DEFAULT_METHODS); keyword settings change its SequenceMethod fields. The whole
take is one window.
"""

from dataclasses import fields, replace

import numpy as np
import torch

from gfpose.errors import InputError
from gfpose.sequences.damage import DEFAULT_NOISE_MM
from gfpose.sequences.evaluate import TASKS, damaged_rows, estimate_rows, evaluate_rows
from gfpose.sequences.guidance import FeetAtRest
from gfpose.sequences.lift import DEFAULT_FPS
from gfpose.sequences.methods import (
    DEFAULT_METHODS,
    METHODS,
    SequenceMethod,
    clean_track,
    complete_track,
)
from gfpose.sequences.takes import fixed_camera_views, load_takes
from gfpose.validation import check_choice, check_noise_mm, check_poses_mm, check_seed, positive_scalar


def sequence_method(task: str, method: str | None = None, **settings) -> SequenceMethod:
    """The SequenceMethod `method` with changed settings: the task's default method with its tuned
    settings (DEFAULT_METHODS) when `method` is None or names it; InputError names an unknown
    method or setting."""
    default = DEFAULT_METHODS[task]
    base = default if method in (None, default.name) else SequenceMethod(check_choice(method, "method", METHODS))
    allowed = {field.name for field in fields(SequenceMethod)} - {"name"}
    unknown = set(settings) - allowed
    if unknown:
        raise InputError(f"unknown sequence settings {sorted(unknown)}; expected some of {sorted(allowed)}")
    return replace(base, **settings)


def _check_track(array: np.ndarray, name: str) -> np.ndarray:
    if len(array) < 2:
        raise InputError(f"{name}: expected a track of T >= 2 frames, (T, 17, C); got shape {array.shape}")
    return array


def complete_sequence(prior, partial, fps: float = DEFAULT_FPS, method: str | None = None, seed: int = 0,
                      **settings) -> np.ndarray:
    """A 3D track (T, 17, 3) mm with joints missing (NaN) for any number of frames -> the full
    track, observed joints kept as given (root-centred where the pelvis is observed)."""
    poses = _check_track(check_poses_mm(partial, "partial"), "partial")
    track = complete_track(prior.sampler, torch.from_numpy(poses), positive_scalar(fps, "fps"),
                           sequence_method("complete-3d", method, **settings), check_seed(seed))
    return track.numpy()


def denoise_sequence(prior, poses, noise_mm: float = DEFAULT_NOISE_MM, fps: float = DEFAULT_FPS,
                     method: str | None = None, seed: int = 0, feet: FeetAtRest | None = None,
                     **settings) -> np.ndarray:
    """A noisy 3D track (T, 17, 3) mm (jitter of std noise_mm per coordinate; NaN = gap) -> a
    clean, complete track (T, 17, 3) mm, root-relative (the pelvis of each frame, interpolated
    where missing, is subtracted); with `feet` (guided), the ankles held still in the world where
    in contact (gfpose.sequences.guidance.FeetAtRest, in the poses' frame)."""
    noisy = _check_track(check_poses_mm(poses, "poses"), "poses")
    track = clean_track(prior.sampler, torch.from_numpy(noisy), check_noise_mm(noise_mm),
                        positive_scalar(fps, "fps"), sequence_method("denoise", method, **settings), check_seed(seed),
                        feet)
    return track.numpy()


def evaluate_takes(prior, data, task: str = "estimate", seed: int = 0) -> dict:
    """The sequence benchmark on every take of a sequence npz (benchmarks/sequences/make_sequences.py),
    each seen by a fixed virtual camera: the task's default sequence method beside independent
    per-frame inference and the filter baselines (gfpose.sequences.evaluate), with foot skate for
    estimation on takes that keep their root path. task: one of gfpose.sequences.evaluate.TASKS."""
    name = check_choice(task, "task", TASKS)
    default = DEFAULT_METHODS[name]
    methods = {default.name: default}
    if name == "estimate":
        rows = estimate_rows(prior.sampler_for("estimate"), methods, seed)
    else:
        rows = damaged_rows(prior.sampler, name, {"independent": SequenceMethod("independent")} | methods, seed)
    takes = load_takes(data)
    # Takes that keep their root path (root_mm) are seen moving, so estimation also scores foot skate.
    moving = name == "estimate" and all(take.root is not None for take in takes)
    return {"task": name, "data": str(data),
            "table": evaluate_rows(rows, fixed_camera_views(takes, global_path=moving), name, seed)}
