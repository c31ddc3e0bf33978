"""Sequence entry points: numpy in, numpy out, every input checked (like gfpose.prior.PosePrior).

    lift_sequence(prior, keypoints (T, 17, 2) px, image_size)  -> track (T, 17, 3) mm
    complete_sequence(prior, partial (T, 17, 3) mm, NaN = missing) -> track (T, 17, 3) mm
    denoise_sequence(prior, poses (T, 17, 3) mm, noise_mm)    -> track (T, 17, 3) mm (gaps filled)

Tracks are root-relative millimetres in the input's frame (camera frame for lifting). `method`
picks the sequence method (gfpose.sequences.methods.METHODS; None: the task's best,
DEFAULT_METHODS); keyword settings change its SequenceMethod fields. The whole take is one window.
"""

from dataclasses import fields, replace

import numpy as np
import torch

from gfpose.data.cameras import IMAGE_SIZE
from gfpose.errors import InputError
from gfpose.sequences.damage import DEFAULT_NOISE_MM
from gfpose.sequences.methods import (
    DEFAULT_METHODS,
    METHODS,
    SequenceMethod,
    clean_track,
    complete_track,
    estimate_track,
)
from gfpose.validation import check_2d_input, check_choice, check_noise_mm, check_poses_mm, check_seed, positive_scalar

DEFAULT_FPS = 30.0  # the frame rate of a take that does not say


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


def lift_sequence(prior, keypoints, image_size=IMAGE_SIZE, fps: float = DEFAULT_FPS, method: str | None = None,
                  confidence=None, seed: int = 0, **settings) -> np.ndarray:
    """A 2D track (T, 17, 2) px (NaN or confidence 0 = missing joint; every frame needs one joint)
    -> one coherent 3D track (T, 17, 3) mm, root-relative camera frame."""
    points, size = check_2d_input(np.asarray(keypoints), image_size, confidence)
    track = estimate_track(prior.sampler_for("estimate"), torch.from_numpy(_check_track(points, "keypoints")),
                           torch.from_numpy(size), positive_scalar(fps, "fps"),
                           sequence_method("estimate", method, **settings), check_seed(seed))
    return track.numpy()


def complete_sequence(prior, partial, fps: float = DEFAULT_FPS, method: str | None = None, seed: int = 0,
                      **settings) -> np.ndarray:
    """A 3D track (T, 17, 3) mm with joints missing (NaN) for any number of frames -> the full
    track, observed joints kept as given (root-centred where the pelvis is observed)."""
    poses = _check_track(check_poses_mm(partial, "partial"), "partial")
    track = complete_track(prior.sampler, torch.from_numpy(poses), positive_scalar(fps, "fps"),
                           sequence_method("complete", method, **settings), check_seed(seed))
    return track.numpy()


def denoise_sequence(prior, poses, noise_mm: float = DEFAULT_NOISE_MM, fps: float = DEFAULT_FPS,
                     method: str | None = None, seed: int = 0, **settings) -> np.ndarray:
    """A noisy 3D track (T, 17, 3) mm (jitter of std noise_mm per coordinate; NaN = gap) -> a
    clean, complete track (T, 17, 3) mm, root-relative (the pelvis of each frame, interpolated
    where missing, is subtracted)."""
    noisy = _check_track(check_poses_mm(poses, "poses"), "poses")
    track = clean_track(prior.sampler, torch.from_numpy(noisy), check_noise_mm(noise_mm),
                        positive_scalar(fps, "fps"), sequence_method("clean", method, **settings), check_seed(seed))
    return track.numpy()
