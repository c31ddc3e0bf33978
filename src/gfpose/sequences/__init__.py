"""Whole takes: temporally coherent lifting, completion and denoising with the per-frame score model.

    lift       a take's 2D -> hypotheses warm-started along it and one coherent track (PosePrior.lift_take)
    api        complete_sequence, denoise_sequence, evaluate_takes (numpy in and out, checked)
    methods    the sequence methods (guided, correlated, path, independent) on torch tensors
    draw       a request drawn as one window of frames (guidance, correlated starts, early stop)
    propagate  hypotheses warm-started frame to frame in chains
    guidance   temporal guidance on the denoised estimate (Tweedie)
    smoothing  the temporal prior: a Whittaker smoother (banded least squares)
    noise      correlated starting noise (AR(1) along time)
    paths      Viterbi path through per-frame hypotheses; reprojection and motion costs
    filters    baselines: Savitzky-Golay smoothing, linear interpolation of gaps
    metrics    P1 / P2 per frame, velocity and acceleration error
    takes      fixed-rate test takes and their fixed-camera views; damage: jitter and limb gaps
    evaluate   the benchmark rows (BVH in, BVH out: gfpose.media.bvh_denoise)
"""

from gfpose.sequences.api import complete_sequence, denoise_sequence

__all__ = ["complete_sequence", "denoise_sequence"]
