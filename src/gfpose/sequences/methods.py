"""Sequence inference with the per-frame score model: one 3D track for a take, by one of

    guided       the take's frames sampled jointly, each frame's score guided towards a smooth track
                 of denoised estimates (gfpose.sequences.guidance), stopped at a small noise level and
                 returned as the guided denoised estimate (Tweedie).
    correlated   every frame started from the same noise (AR(1) correlation along time,
                 gfpose.sequences.noise) and integrated by the probability-flow ODE (deterministic
                 DPM-Solver++(2M)), so neighbouring frames follow neighbouring paths.
    path         S hypotheses per frame, independent or warm-started from the frame before
                 (`propagation`, gfpose.sequences.propagate), the Viterbi path through them on data and
                 motion costs (gfpose.sequences.paths), then the MAP track under the temporal prior
                 (gfpose.sequences.smoothing) with the path as its noisy data; for estimation, with
                 `contacts`, the feet kept still while in contact (gfpose.sequences.contacts: the track
                 placed on its 2D with contacting ankles held, then pinned).
    independent  one independent sample per frame (what gfpose does without --sequence).

Tasks: estimate (2D track -> 3D track, from the prior at T = 1), complete (3D with joints missing
for many frames, the observed joints kept: from the linearly interpolated track at a moderate noise
level) and clean (noisy 3D with gaps -> smooth full track: from the interpolated noisy track at its
noise level, Table 7). The defaults per task, DEFAULT_METHODS, are the best of
benchmarks/sequences/evaluate_sequences.py (docs/results/sequences.json). Tensors here are torch,
mm and px; gfpose.sequences.api checks user input.
"""

from dataclasses import dataclass, replace

import numpy as np
import torch

from gfpose.data.cameras import training_focal
from gfpose.errors import InputError
from gfpose.sequences.contacts import PlacedTrack, detect_contacts, estimate_up, has_body, place_with_contacts
from gfpose.sequences.damage import DEFAULT_NOISE_MM
from gfpose.sequences.draw import draw_window
from gfpose.sequences.filters import interpolate_gaps
from gfpose.sequences.guidance import FeetAtRest, TemporalGuidance
from gfpose.sequences.paths import coherent_path, observation_errors, reprojection_errors, root_translation
from gfpose.sequences.propagate import Propagation, propagate_hypotheses
from gfpose.sequences.smoothing import TemporalPrior
from gfpose.tasks import complete_3d_request, denoise_request, estimate_request

METHODS = ("guided", "correlated", "path", "independent")
REFERENCE_FPS = 30.0  # the per-frame scales below are at this rate
ODE_SAMPLER = "dpm2m"


@dataclass(frozen=True)
class SequenceMethod:
    """A sequence method and its settings (per-frame scales at 30 fps; other rates rescale them)."""

    name: str = "guided"
    # The temporal prior (guided, path): std per coordinate of a frame's acceleration, mm/frame^2.
    smoothness_mm: float = 5.0
    # guided: the noise level at which sampling stops and the denoised estimate is returned
    # (None: sample down to the end time, App. D).
    stop_noise_mm: float | None = 60.0
    # complete: the noise level of the start, the gaps linearly interpolated.
    start_noise_mm: float = 60.0
    # correlated: lag-1 correlation of the frames' starting noise (1: one start for all).
    correlation: float = 1.0
    # path: hypotheses per frame; scale of the frame-to-frame joint displacement cost (mm/frame);
    # scale of the reprojection cost (px, estimate); std per coordinate of the chosen hypotheses
    # around the smooth track (mm).
    hypotheses: int = 20
    motion_mm: float = 40.0
    reprojection_px: float = 2.0
    path_noise_mm: float = 25.0
    # estimate with path or independent: hypotheses warm-started along the take (None: every frame
    # drawn from the prior at T = 1).
    propagation: Propagation | None = None
    # Feet that stay put: path (estimate) places the track with gfpose.sequences.contacts.place_with_contacts;
    # cleaning a BVH take places it with clean_with_contacts, then guided holds the contacting feet at rest
    # (gfpose.media.bvh_denoise, gfpose.sequences.guidance.FeetAtRest).
    contacts: bool = True

    def __post_init__(self):
        if self.name not in METHODS:
            raise InputError(f"unknown sequence method {self.name!r}; expected one of {', '.join(METHODS)}")
        if self.propagation is not None and self.name not in ("path", "independent"):
            raise InputError(f"propagation works with the 'path' and 'independent' methods, not {self.name!r}")

    def prior(self, fps: float) -> TemporalPrior:
        """The temporal prior at this frame rate (acceleration per frame^2 scales as 1 / fps^2)."""
        return TemporalPrior(self.smoothness_mm * (REFERENCE_FPS / fps) ** 2, order=2)

    def tracks(self) -> int:
        """Tracks drawn per frame: the path's hypotheses, else one."""
        return self.hypotheses if self.name == "path" else 1


# The best method and settings per task (docs/results/sequences.json).
DEFAULT_METHODS = {"estimate": SequenceMethod("path"), "complete-3d": SequenceMethod("guided", stop_noise_mm=None),
                   "denoise": SequenceMethod("guided")}


def _draw(sampler, request, method: SequenceMethod, fps: float, seed: int, observed=None,
          noise_mm=DEFAULT_NOISE_MM, feet: FeetAtRest | None = None):
    """(T, S, J, 3) mm: the request drawn as one window by `method` (guided: feet held at rest, if given)."""
    if method.name == "guided":
        guidance = TemporalGuidance(sampler.sde, sampler.data_scale, len(request), method.prior(fps), observed,
                                    noise_mm, feet)
        return draw_window(sampler, request, seed, guidance, stop_noise_mm=method.stop_noise_mm)
    if method.name == "correlated":
        return draw_window(sampler.with_settings(name=ODE_SAMPLER), request, seed,
                           noise_correlation=method.correlation)
    return draw_window(sampler, request, seed)


def _track(poses: torch.Tensor, data_errors: torch.Tensor | None, error_scale: float, method: SequenceMethod,
           fps: float) -> torch.Tensor:
    """(T, J, 3): the one track of a single-track method, or the smoothed Viterbi path of 'path'."""
    if method.name != "path":
        return poses[:, 0]
    if data_errors is None:
        data_errors, error_scale = torch.zeros(poses.shape[:2]), 1.0
    path = coherent_path(poses, data_errors, error_scale, method.motion_mm * REFERENCE_FPS / fps)
    return torch.from_numpy(method.prior(fps).smooth_track(path.numpy(), method.path_noise_mm)).to(path.dtype)


def estimate_track(sampler, keypoints_px: torch.Tensor, image_size: torch.Tensor, fps: float,
                   method: SequenceMethod = DEFAULT_METHODS["estimate"], seed: int = 0) -> torch.Tensor:
    """2D track (T, J, 2) px (NaN = missing) in images (T, 2) -> 3D track (T, J, 3) mm root-relative."""
    if method.propagation is not None:
        poses = propagate_hypotheses(sampler, keypoints_px, image_size, method.tracks(), method.propagation, seed)
    else:
        poses = _draw(sampler, estimate_request(keypoints_px, image_size, method.tracks()), method, fps, seed)
    if method.name == "path":
        return path_through(poses, keypoints_px, image_size, fps, method)
    return _track(poses, None, method.reprojection_px, method, fps)


def path_through(hypotheses_mm: torch.Tensor, keypoints_px: torch.Tensor, image_size: torch.Tensor, fps: float,
                 method: SequenceMethod = DEFAULT_METHODS["estimate"]) -> torch.Tensor:
    """(T, S, J, 3) mm hypotheses of a 2D track (T, J, 2) px -> the smoothed Viterbi path (T, J, 3)
    on reprojection and motion costs (the 'path' method over hypotheses already drawn), the feet
    pinned while in contact when method.contacts (placed_path_through's track)."""
    if method.contacts and method.name == "path":
        return torch.from_numpy(placed_path_through(hypotheses_mm, keypoints_px, image_size, fps, method).track
                                ).to(hypotheses_mm.dtype)
    focal = training_focal(image_size)
    errors = reprojection_errors(hypotheses_mm, keypoints_px, image_size, focal)
    return _track(hypotheses_mm, errors, method.reprojection_px, method, fps)


def placed_path_through(hypotheses_mm: torch.Tensor, keypoints_px: torch.Tensor, image_size: torch.Tensor,
                        fps: float, method: SequenceMethod = DEFAULT_METHODS["estimate"]) -> PlacedTrack:
    """path_through's track and where it stands: a PlacedTrack (numpy, mm) of the root-relative
    track (T, J, 3), its camera-frame root path (T, 3) and the feet's contacts (T, 2) bool (right,
    left). With method.contacts: gfpose.sequences.contacts.place_with_contacts (the feet held and
    pinned while in contact); without: each frame placed on its 2D (paths.root_translation), the
    contacts detected on that placement."""
    focal = training_focal(image_size)
    errors = reprojection_errors(hypotheses_mm, keypoints_px, image_size, focal)
    track = _track(hypotheses_mm, errors, method.reprojection_px, method, fps)
    if method.contacts:
        return place_with_contacts(track.numpy(), keypoints_px.numpy(), focal.numpy(), (image_size / 2).numpy(), fps)
    root = root_translation(track, keypoints_px, focal, image_size / 2)
    placed = (track + root[:, None]).double().numpy()
    contacts = (detect_contacts(placed, fps, estimate_up(placed)) if has_body(placed)
                else np.zeros((len(placed), 2), dtype=bool))
    return PlacedTrack(track.double().numpy(), root.double().numpy(), contacts)


def complete_track(sampler, partial_mm: torch.Tensor, fps: float,
                   method: SequenceMethod = DEFAULT_METHODS["complete-3d"], seed: int = 0) -> torch.Tensor:
    """3D track (T, J, 3) mm with NaN joints -> full track, observed joints kept (imputation, App. G).
    Starts from the gaps linearly interpolated when every joint is seen in some frame, else from the prior."""
    request = complete_3d_request(partial_mm, method.tracks())
    if torch.isfinite(request.observed_mm).any(dim=0).all():
        start = torch.from_numpy(interpolate_gaps(request.observed_mm.numpy())).to(partial_mm.dtype)
        request = replace(request, start_mm=start, t_start=sampler.start_time_for_noise(method.start_noise_mm))
    track = _track(_draw(sampler, request, method, fps, seed), None, 1.0, method, fps)
    return torch.where(torch.isfinite(request.observed_mm), request.observed_mm, track)


def clean_track(sampler, noisy_mm: torch.Tensor, noise_mm: float, fps: float,
                method: SequenceMethod = DEFAULT_METHODS["denoise"], seed: int = 0,
                feet: FeetAtRest | None = None) -> torch.Tensor:
    """Noisy 3D track (T, J, 3) mm, NaN in gaps -> a clean full root-relative track: the gaps filled
    by linear interpolation, root-centred, then denoised from the time whose noise matches noise_mm
    (Table 7); guided and path also keep the track near the observed joints (data noise noise_mm);
    guided with `feet` also holds the contacting ankles still in the world (gfpose.sequences.guidance)."""
    if feet is not None and method.name != "guided":
        raise InputError(f"feet at rest need the 'guided' method, not {method.name!r}")
    filled = torch.from_numpy(interpolate_gaps(noisy_mm.numpy())).to(noisy_mm.dtype)
    start, observed = filled - filled[:, :1], noisy_mm - filled[:, :1]
    request = replace(denoise_request(start, sampler.start_time_for_noise(noise_mm)), hypotheses=method.tracks())
    poses = _draw(sampler, request, method, fps, seed, observed, noise_mm, feet)
    errors = observation_errors(poses, observed) if method.name == "path" else None
    return _track(poses, errors, noise_mm, method, fps)
