"""Checks on user input at every public entry point: dtypes, shapes, NaN/inf, units, counts.

Each pose check returns a float32 numpy array with a batch dimension, or raises InputError naming
the argument, what was found and what was expected. NaN marks a missing joint (allowed); a pose
with every joint missing, an inf, or a value in the wrong units is an error. File loaders pass
names like "take.npz: keypoints_2d" so that their errors name the file too.
"""

import numbers

import numpy as np

from gfpose.errors import InputError
from gfpose.skeleton import BONES, NUM_JOINTS

MIN_BONE_MM = 40.0      # a median bone under 4 cm means metres, centimetres or inches
MAX_BONE_MM = 2000.0    # a median bone over 2 m is not a human in millimetres
TYPICAL_BONE_MM = 250.0  # an adult's median H36M-17 bone (thigh 450, upper arm 280, hip 130, ...)
MM_PER_UNIT = {"metres": 1000.0, "inches": 25.4, "centimetres": 10.0}  # the units poses come in by mistake
MAX_ROOT_MM = 3000.0    # a joint of a root-relative pose lies within 3 m of the pelvis
MAX_ABS = 1e6           # mm or px: larger values are no coordinates of a person
MIN_EXTENT_PX = 4.0     # keypoints all within a few pixels look normalised, not pixels
NORMALISED_MAX = 2.0    # every |coordinate| <= 2: normalised ([0, 1] or [-1, 1]) keypoints
MIN_IMAGE_PX = 16.0     # smaller image sizes are normalised, not pixels
MAX_COUNT = 1_000_000   # poses or hypotheses per call
MAX_SEED = 2**32


def as_numbers(value, name: str, allow_bool: bool = False) -> np.ndarray:
    """Array-like of real numbers -> float32 array; InputError for text, objects, complex, overflow."""
    try:
        array = np.asarray(value)
    except Exception as err:  # ragged lists and the like
        raise InputError(f"{name}: cannot be read as an array ({err})") from None
    if array.dtype.kind not in ("iuf" + ("b" if allow_bool else "")):
        raise InputError(f"{name}: expected real numbers, got dtype {array.dtype}")
    with np.errstate(over="ignore"):
        out = array.astype(np.float32)
    if array.dtype.itemsize > 4 and np.isinf(out).sum() > np.isinf(array).sum():
        raise InputError(f"{name}: values up to {np.nanmax(np.abs(array)):.3g} overflow float32")
    return out


def as_pose_array(value, name: str, dims: int, allow_missing: bool = True) -> np.ndarray:
    """(J, dims) or (N, J, dims) numeric array-like -> float32 (N, J, dims), NaN on missing joints."""
    array = as_numbers(value, name)
    shape = array.shape
    if array.size == 0:
        raise InputError(f"{name}: empty (shape {shape}); expected at least one pose")
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (NUM_JOINTS, dims):
        raise InputError(f"{name}: expected shape (N, {NUM_JOINTS}, {dims}) or ({NUM_JOINTS}, {dims}) "
                         f"in H36M-17 joint order, got {shape}")
    if np.isinf(array).any():
        raise InputError(f"{name}: contains inf; use NaN to mark a missing joint")
    largest = np.nanmax(np.abs(array), initial=0)
    if largest > MAX_ABS:
        raise InputError(f"{name}: values up to {largest:.3g}, implausibly large (expected |x| <= {MAX_ABS:.0g})")
    missing = np.isnan(array).any(axis=-1)
    if not allow_missing and missing.any():
        raise InputError(f"{name}: {int(missing.sum())} joints are NaN; this task needs every joint "
                         "(use complete() for missing joints)")
    empty_rows = np.flatnonzero(missing.all(axis=1))
    if len(empty_rows):
        raise InputError(f"{name}: every joint is missing in pose(s) {empty_rows[:5].tolist()}")
    array[missing] = np.nan
    return array


def median_bone_length(poses: np.ndarray, max_poses: int = 10_000) -> float:
    """Median bone length of ``(N, 17, 3)`` poses over an evenly strided sample of at most about
    ``max_poses``, over the bones with both joints present; NaN when there is none."""
    sample = poses[:: max(1, len(poses) // max_poses)]
    parent, child = np.array(BONES).T
    lengths = np.linalg.norm(sample[:, child] - sample[:, parent], axis=-1)
    lengths = lengths[np.isfinite(lengths)]
    return float(np.median(lengths)) if lengths.size else float("nan")


def check_millimetres(poses: np.ndarray, name: str) -> None:
    """The one unit check of 3D poses ``(N, 17, 3)``: InputError unless the median bone length is
    that of a human in millimetres, naming the unit the poses look like (metres ~0.25, inches ~10,
    centimetres ~25) and how to convert. Poses without a single whole bone pass (nothing to judge)."""
    median = median_bone_length(poses)
    if np.isnan(median) or MIN_BONE_MM <= median <= MAX_BONE_MM:
        return
    expected = (f"{name}: median bone length {median:.3g}; expected millimetres (a person's is "
                f"~{TYPICAL_BONE_MM:.0f}, accepted {MIN_BONE_MM:.0f}-{MAX_BONE_MM:.0f})")
    if median > MAX_BONE_MM:
        raise InputError(f"{expected}: too large for a person in millimetres; check the units and scale")
    if median == 0:
        raise InputError(f"{expected}: most bones have length 0 (joints on top of each other)")
    unit = min(MM_PER_UNIT, key=lambda u: abs(np.log(median * MM_PER_UNIT[u] / TYPICAL_BONE_MM)))
    factor = MM_PER_UNIT[unit]
    raise InputError(f"{expected}: looks like {unit} (where a person's is ~{TYPICAL_BONE_MM / factor:.2g}); "
                     f"multiply by {factor:g} to convert {unit} to millimetres")


def check_poses_mm(value, name: str = "poses", allow_missing: bool = True) -> np.ndarray:
    """3D poses in millimetres, (N, 17, 3); rejects other units (:func:`check_millimetres`).

    A pose without its pelvis must already be root-relative (every joint within 3 m of 0).
    """
    poses = as_pose_array(value, name, 3, allow_missing)
    check_millimetres(poses, name)
    rootless = np.isnan(poses[:, 0, 0])
    reach = np.nanmax(np.linalg.norm(poses[rootless], axis=-1), axis=1, initial=0)
    if (reach > MAX_ROOT_MM).any():
        raise InputError(f"{name}: pose(s) {np.flatnonzero(rootless)[reach > MAX_ROOT_MM][:5].tolist()} have no "
                         f"pelvis and joints up to {reach.max():.0f} mm from 0; without the pelvis a pose must be "
                         f"root-relative (joints within {MAX_ROOT_MM:.0f} mm)")
    return poses


def check_finite_poses(value, name: str) -> np.ndarray:
    """Complete poses (N, 17, 3), e.g. from forward kinematics: non-empty and finite, float32."""
    poses = as_numbers(value, name)
    if poses.size == 0:
        raise InputError(f"{name}: no poses (shape {poses.shape})")
    bad = ~np.isfinite(poses).reshape(len(poses), -1).all(axis=1)
    if bad.any():
        raise InputError(f"{name}: {int(bad.sum())} of {len(poses)} poses hold NaN or inf "
                         f"(first at index {int(np.argmax(bad))}); expected finite millimetres")
    return poses


def check_keypoints_px(value, name: str = "keypoints_2d", confidence=None,
                       confidence_name: str = "confidence") -> np.ndarray:
    """2D keypoints in pixels, (N, 17, 2); confidence (N, 17) <= 0 or NaN marks a joint missing."""
    keypoints = as_pose_array(value, name, 2)
    if confidence is not None:
        keypoints[~(check_confidence(confidence, len(keypoints), confidence_name) > 0)] = np.nan
        keypoints = as_pose_array(keypoints, name, 2)
    normalised = np.flatnonzero(_looks_normalised(keypoints))
    if len(normalised):
        raise InputError(f"{name}: pose(s) {normalised[:5].tolist()} lie within {NORMALISED_MAX:.0f} units of 0 "
                         f"or span under {MIN_EXTENT_PX:.0f}; expected pixels (normalised coordinates must be "
                         "multiplied by the image size)")
    return keypoints


def _looks_normalised(keypoints: np.ndarray) -> np.ndarray:
    """(N,) True for poses near 0 throughout, or with two or more joints within a few units."""
    near_zero = np.nanmax(np.abs(keypoints), axis=(1, 2)) <= NORMALISED_MAX
    extent = np.nanmax(np.nanmax(keypoints, axis=1) - np.nanmin(keypoints, axis=1), axis=1)
    several = (~np.isnan(keypoints[..., 0])).sum(axis=1) >= 2
    return near_zero | (several & (extent < MIN_EXTENT_PX))


def check_confidence(value, count: int, name: str = "confidence") -> np.ndarray:
    """(N, 17) or, for one pose, (17,) scores (bool allowed) -> float32 (N, 17)."""
    conf = as_numbers(value, name, allow_bool=True)
    if conf.shape == (NUM_JOINTS,) and count == 1:
        return conf[None]
    if conf.shape != (count, NUM_JOINTS):
        raise InputError(f"{name}: expected shape ({count}, {NUM_JOINTS}), got {conf.shape}")
    return conf


def check_image_size(value, count: int, name: str = "image_size") -> np.ndarray:
    """(w, h) or (N, 2) pixel sizes -> float32 (N, 2)."""
    size = as_numbers(value, name)
    if size.shape == (2,):
        size = np.broadcast_to(size, (count, 2)).copy()
    if size.shape != (count, 2):
        raise InputError(f"{name}: expected (w, h) or ({count}, 2) pixels, got shape {size.shape}")
    bad = size[~((size >= MIN_IMAGE_PX) & (size <= MAX_ABS))]  # NaN fails both comparisons
    if bad.size:
        raise InputError(f"{name}: has {bad[0]:.3g}; expected pixels between {MIN_IMAGE_PX:.0f} and {MAX_ABS:.0g}")
    return size


def check_keypoints_in_image(keypoints: np.ndarray, size: np.ndarray, name: str = "keypoints_2d") -> None:
    """Observed keypoints must lie within one image size around the image (else units or size are off)."""
    scaled = keypoints / size[:, None, :]
    outside = np.nanmax(np.abs(scaled - 0.5), axis=(1, 2)) > 1.5
    if outside.any():
        row = int(np.argmax(outside))
        raise InputError(f"{name}: pose {row} reaches {np.nanmax(np.abs(keypoints[row])):.3g} px, far outside "
                         f"its {size[row, 0]:.0f} x {size[row, 1]:.0f} image; expected pixels of that image "
                         "(check image_size and the keypoint units)")


def check_2d_input(keypoints_2d, image_size, confidence=None, where: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (N, 17, 2) px with NaN on missing joints and image sizes (N, 2) px, checked together."""
    keypoints = check_keypoints_px(keypoints_2d, f"{where}keypoints_2d", confidence, f"{where}confidence")
    size = check_image_size(image_size, len(keypoints), f"{where}image_size")
    check_keypoints_in_image(keypoints, size, f"{where}keypoints_2d")
    return keypoints, size


def coordinate_dims(value, name: str) -> int | None:
    """Size of the last axis of a pose array-like (None below 2 axes), without raw numpy errors."""
    array = as_numbers(value, name)
    return array.shape[-1] if array.ndim >= 2 else None


def positive_scalar(value, name: str) -> float:
    """A single finite number > 0 (e.g. a unit scale)."""
    array = as_numbers(value, name)
    if array.size != 1 or not np.isfinite(array).all() or not array.item() > 0:
        raise InputError(f"{name}: expected one positive number, got {array.ravel()[:3].tolist()} "
                         f"(shape {array.shape})")
    return float(array.item())


def check_count(value, name: str, minimum: int = 1, maximum: int = MAX_COUNT) -> int:
    """An integer in [minimum, maximum] (numpy integers allowed, bools not)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not minimum <= value <= maximum:
        raise InputError(f"{name}: expected an integer in [{minimum}, {maximum}], got {value!r}")
    return int(value)


def check_seed(value) -> int:
    return check_count(value, "seed", 0, MAX_SEED - 1)


def check_choice(value, name: str, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise InputError(f"{name}: expected one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def check_start_time(value) -> float:
    """t0 of denoising, a real number in (0.001, 1]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 1e-3 < value <= 1.0:
        raise InputError(f"t0: expected a start time in (0.001, 1], got {value!r}")
    return float(value)


def check_noise_mm(value) -> float:
    """A noise standard deviation in mm: a real number in (0, 1000]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value <= 1000:
        raise InputError(f"noise_mm: expected a standard deviation in mm in (0, 1000], got {value!r}")
    return float(value)
