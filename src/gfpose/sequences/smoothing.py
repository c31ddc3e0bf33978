"""The temporal prior shared by every sequence method: a Whittaker smoother (Eilers 2003).

For each coordinate track y (T,) with per-frame weights w (T,) >= 0 it returns

    argmin_x  sum_t w_t (x_t - y_t)^2 + lam sum_t (D x)_t^2,

with D the time difference of order d (d = 2: x_{t+1} - 2 x_t + x_{t-1}, the acceleration): the MAP
track under Gaussian data terms and a Gaussian prior on the d-th differences, i.e. the solution of
the banded system (diag(w) + lam D^T D) x = w y. Order d keeps polynomials of degree < d unchanged.

Optional rest terms k_t (x_{t+1} - x_t + d_t)^2 (weights k (T - 1,), offsets d) hold a step of the
track at -d: a foot in contact, whose root-relative ankle must move against the root's step d to stay
put in the world (gfpose.sequences.guidance.FeetAtRest). They add the tridiagonal D1^T K D1 to the
system and -D1^T K d to its right-hand side (D1 the first difference).
"""

from dataclasses import dataclass

import numpy as np

from gfpose.errors import InputError


def difference_bands(frames: int, order: int) -> np.ndarray:
    """D^T D of the order-th difference over `frames` frames, in the upper banded form of
    scipy.linalg.solveh_banded: (order + 1, frames)."""
    from scipy.sparse import diags  # imported here: training needs no scipy (see gfpose.train)

    coefficients = np.diff(np.eye(order + 1), n=order, axis=0)[0]
    d = diags(list(coefficients), list(range(order + 1)), shape=(frames - order, frames))
    gram = (d.T @ d).todia()
    bands = np.zeros((order + 1, frames))
    for k in range(order + 1):
        bands[order - k, k:] = gram.diagonal(k)
    return bands


def whittaker(values: np.ndarray, weights: np.ndarray, lam: float, order: int = 2,
              rest_weights: np.ndarray | None = None, rest_offsets: np.ndarray | None = None) -> np.ndarray:
    """Smooth the columns of values (T, K) with weights (T, K) (module docstring); lam >= 0;
    optional rest terms with weights and offsets (T - 1, K) (module docstring).

    Columns sharing a weight pattern are solved together. Every column needs a positive weight
    on at least `order` frames (otherwise its track is not determined)."""
    from scipy.linalg import solveh_banded  # imported here: training needs no scipy (see gfpose.train)

    values, weights = np.asarray(values, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    if values.ndim != 2 or values.shape != weights.shape:
        raise InputError(f"values and weights must be (T, K) of equal shape, got {values.shape} and {weights.shape}")
    if lam < 0 or (weights < 0).any():
        raise InputError(f"lam and the weights must be >= 0, got lam={lam} and a weight of {weights.min()}")
    frames = len(values)
    if order < 1:
        raise InputError(f"the difference order must be >= 1, got {order}")
    if frames <= order or lam == 0:
        return values.copy()
    if ((weights > 0).sum(axis=0) < order).any():
        raise InputError(f"every track needs a positive weight on at least {order} frames")
    rest = np.zeros((frames - 1, values.shape[1])) if rest_weights is None else np.asarray(rest_weights, np.float64)
    offsets = np.zeros_like(rest) if rest_offsets is None else np.asarray(rest_offsets, dtype=np.float64)
    if rest.shape != (frames - 1, values.shape[1]) or offsets.shape != rest.shape or (rest < 0).any():
        raise InputError(f"rest weights (>= 0) and offsets must be ({frames - 1}, {values.shape[1]}), "
                         f"got {rest.shape} and {offsets.shape}")
    rhs = weights * values
    pulled = rest * offsets  # -D1^T K d: + k d at the step's first frame, - k d at its second
    rhs[:-1] += pulled
    rhs[1:] -= pulled
    smooth = lam * difference_bands(frames, order)
    out = np.empty_like(values)
    patterns, group = np.unique(np.concatenate([weights, rest]), axis=1, return_inverse=True)
    for index, pattern in enumerate(patterns.T):
        columns = group.reshape(-1) == index
        w, k = pattern[:frames], pattern[frames:]
        bands = smooth.copy()
        bands[order] += w
        bands[order, :-1] += k
        bands[order, 1:] += k
        bands[order - 1, 1:] -= k
        out[:, columns] = solveh_banded(bands, rhs[:, columns])
    return out


@dataclass(frozen=True)
class TemporalPrior:
    """A Gaussian prior on a track's order-th time differences: std `step_mm` per coordinate
    (mm/frame^order; order 2 is the acceleration)."""

    step_mm: float = 1.0
    order: int = 2

    def __post_init__(self):
        if not self.step_mm > 0 or self.order < 1:
            raise InputError(f"temporal prior: need step_mm > 0 and order >= 1, got {self.step_mm}, {self.order}")

    def smooth(self, values: np.ndarray, weights: np.ndarray, rest_weights: np.ndarray | None = None,
               rest_offsets: np.ndarray | None = None) -> np.ndarray:
        """MAP tracks (T, K) mm of data values (T, K) mm with weights (T, K) (1/mm^2), optionally
        with rest terms (weights (T - 1, K) 1/mm^2, offsets (T - 1, K) mm; module docstring)."""
        return whittaker(values, weights, self.step_mm ** -2, self.order, rest_weights, rest_offsets)

    def smooth_track(self, track: np.ndarray, noise_mm: float) -> np.ndarray:
        """The MAP track (T, ...) mm given a finite track seen with noise of std noise_mm per coordinate."""
        flat = np.asarray(track, dtype=np.float64).reshape(len(track), -1)
        return self.smooth(flat, np.full(flat.shape, noise_mm ** -2.0)).reshape(np.shape(track))
