"""What a detected person looks like: colour histograms of the torso and the thighs, so that two
people whose 2D overlaps can still be told apart (gfpose.data.people.track_people).

Each region is the quadrilateral of four COCO keypoints (shoulders and hips; hips and knees) shrunk
towards its centre by SHRINK (to keep the background out). Its pixels, in HSV
(matplotlib.colors.rgb_to_hsv), go into HUE_BINS x SAT_BINS hue-saturation bins when they are
coloured (saturation and value above GREY_SATURATION and DARK_VALUE, where hue means something) and
into VALUE_BINS brightness bins otherwise (white, grey, black clothes and shadow). A region's
histogram sums to 1; a region whose corners were not found, or that covers fewer than MIN_PIXELS
pixels, is NaN. Looks are compared by gfpose.data.people.look_distance.
"""

import numpy as np

REGIONS = ((5, 6, 12, 11), (11, 12, 14, 13))  # COCO: shoulders to hips (torso), hips to knees (thighs)
HUE_BINS, SAT_BINS, VALUE_BINS = 12, 3, 4
GREY_SATURATION, DARK_VALUE = 0.2, 0.15
SHRINK = 0.2
MIN_PIXELS = 50
BINS = HUE_BINS * SAT_BINS + VALUE_BINS


def region_histogram(frame: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """(BINS,) colour histogram (module docstring) of the pixels of an RGB uint8 frame (H, W, 3) inside
    the quadrilateral (4, 2) px, shrunk by SHRINK; NaN when a corner is missing or it is too small."""
    from matplotlib.colors import rgb_to_hsv
    from matplotlib.path import Path

    if not np.isfinite(corners).all():
        return np.full(BINS, np.nan)
    corners = corners + SHRINK * (corners.mean(axis=0) - corners)
    height, width = frame.shape[:2]
    low = np.clip(np.floor(corners.min(axis=0)).astype(int), 0, [width, height])
    high = np.clip(np.ceil(corners.max(axis=0)).astype(int) + 1, 0, [width, height])
    xs, ys = np.meshgrid(np.arange(low[0], high[0]), np.arange(low[1], high[1]))
    inside = Path(corners).contains_points(np.stack([xs.ravel(), ys.ravel()], axis=1))
    if inside.sum() < MIN_PIXELS:
        return np.full(BINS, np.nan)
    hsv = rgb_to_hsv(frame[ys.ravel()[inside], xs.ravel()[inside]] / 255.0)
    hue, saturation, value = hsv.T
    coloured = (saturation > GREY_SATURATION) & (value > DARK_VALUE)
    hue_bin = np.minimum((hue * HUE_BINS).astype(int), HUE_BINS - 1)
    sat_bin = np.minimum(((saturation - GREY_SATURATION) / (1 - GREY_SATURATION) * SAT_BINS).astype(int),
                         SAT_BINS - 1)
    value_bin = np.minimum((value * VALUE_BINS).astype(int), VALUE_BINS - 1)
    bins = np.where(coloured, hue_bin * SAT_BINS + sat_bin, HUE_BINS * SAT_BINS + value_bin)
    return np.bincount(bins, minlength=BINS) / len(bins)


def person_look(frame: np.ndarray, keypoints: np.ndarray) -> np.ndarray:
    """(len(REGIONS), BINS) look of one person: COCO keypoints (17, 2+) px in the frame (NaN = missing)."""
    xy = np.asarray(keypoints, dtype=np.float64)[:, :2]
    return np.stack([region_histogram(frame, xy[list(region)]) for region in REGIONS])
