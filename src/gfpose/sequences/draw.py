"""Draw a request (gfpose.tasks) for a window of T frames in one batch, so the frames can be coupled:
temporal guidance on the score (gfpose.sequences.guidance) and correlated starts (gfpose.sequences.noise).

Rows are frame-major: S tracks per frame, like Sampler.run. Without guidance and with
independent starts this draws what Sampler.run draws for one chunk (same start, condition,
imputation, time grid and sampler).
"""

import torch

from gfpose.conditions import model_to_poses
from gfpose.geometry import root_center
from gfpose.sampling import get_sampler, time_grid
from gfpose.sde import EPS
from gfpose.seeding import generator as seeded_generator
from gfpose.sequences.guidance import TemporalGuidance
from gfpose.sequences.noise import correlated_normal


@torch.inference_mode()
def draw_window(sampler, request, seed: int = 0, guidance: TemporalGuidance | None = None,
                noise_correlation: float = 0.0, stop_noise_mm: float | None = None) -> torch.Tensor:
    """(T, S, J, 3) mm root-relative: the request's T inputs as frames of one window, S tracks each.

    stop_noise_mm: stop the reverse process where its noise is this large (Sampler.start_time_for_noise)
    and return the denoised estimate there, E[x(0) | x(t), c] (Tweedie): the mean over the detail
    finer than that noise, instead of one sample of it. A start at or below that noise (denoising)
    returns the denoised estimate of the start, like request.method 'mean'."""
    frames, tracks = len(request), request.hypotheses
    device, sde, scale = sampler.device, sampler.sde, sampler.data_scale
    model = sampler.model()
    generator = seeded_generator(seed, 0, device=device)
    window = slice(None)
    cond = sampler.condition(request, window)
    joints = cond.values.shape[1]
    noise = None
    if request.start_mm is None:  # from the prior: the frames' starts may be correlated
        noise = correlated_normal((frames, tracks, joints, 3), noise_correlation, generator).reshape(-1, joints, 3)
    x = sampler.initial_state(request, window, generator, noise)
    imputation = sampler.imputation(request, window)
    score_fn = model.score_fn(cond)
    if guidance is not None:
        score_fn = guidance.wrap(score_fn)
    t_end = EPS if stop_noise_mm is None else sampler.start_time_for_noise(stop_noise_mm)
    sample = request.method == "sample" and t_end < request.t_start
    if sample:
        times = time_grid(sampler.settings.steps, request.t_start, t_end, sampler.settings.schedule, sde)
        x = get_sampler(sampler.settings.name)(score_fn, sde, x, times, generator=generator, imputation=imputation)
    if not sample or stop_noise_mm is not None:
        t = torch.tensor([t_end if sample else request.t_start], device=device)
        x = sde.denoised_from_score(x, t, score_fn(x, t))
        x = imputation.finish(x) if imputation is not None else x
    poses = model_to_poses(x.float(), scale).reshape(frames, tracks, joints, 3)
    return root_center(poses).cpu()
