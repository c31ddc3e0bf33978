"""Plain baselines for tracks: Savitzky-Golay smoothing of per-frame estimates, and linear
interpolation of gaps (the usual mocap clean-up), on (T, J, 3) arrays."""

import numpy as np

from gfpose.errors import InputError


def savgol_track(track: np.ndarray, window: int, polyorder: int = 2) -> np.ndarray:
    """Savitzky-Golay smoothing along time of a finite track (T, ...); the window (odd, in frames)
    is cut to the track's length when the track is shorter."""
    track = np.asarray(track, dtype=np.float64)
    if not np.isfinite(track).all():
        raise InputError("savgol_track: the track has NaN or inf; fill gaps first (interpolate_gaps)")
    window = min(window, len(track) - (len(track) % 2 == 0))
    if window <= polyorder:
        return track.copy()
    from scipy.signal import savgol_filter  # imported here: training needs no scipy (see gfpose.train)

    return savgol_filter(track, window, polyorder, axis=0, mode="interp")


def interpolate_gaps(track: np.ndarray) -> np.ndarray:
    """(T, J, 3) with NaN joints -> each joint's coordinates linearly interpolated over time between
    the frames where it is seen (held constant before the first and after the last)."""
    track = np.asarray(track, dtype=np.float64)
    flat = track.reshape(len(track), -1).copy()
    frames = np.arange(len(track))
    for column in flat.T:
        seen = np.isfinite(column)
        if not seen.any():
            raise InputError("interpolate_gaps: a joint is missing in every frame; nothing to interpolate from")
        column[~seen] = np.interp(frames[~seen], frames[seen], column[seen])
    return flat.reshape(track.shape)
