"""A person's look (gfpose.media.appearance) on hand-painted frames: which bin each colour lands in,
regions shrunk off the background, missing corners and tiny regions."""

import numpy as np

from gfpose.media.appearance import BINS, HUE_BINS, REGIONS, SAT_BINS, person_look, region_histogram


def painted(torso_rgb, thighs_rgb, background=(0, 160, 0)) -> tuple[np.ndarray, np.ndarray]:
    """A 400 x 300 frame: a torso rectangle (x 100-200, y 100-200) and a thigh rectangle below it
    (y 200-300), on a green background; COCO keypoints (17, 2) at the rectangles' corners."""
    frame = np.zeros((400, 300, 3), dtype=np.uint8)
    frame[:] = background
    frame[100:200, 100:200] = torso_rgb
    frame[200:300, 100:200] = thighs_rgb
    keypoints = np.full((17, 2), np.nan)
    keypoints[[5, 6, 11, 12, 13, 14]] = [(200, 100), (100, 100), (200, 200), (100, 200), (200, 300), (100, 300)]
    return frame, keypoints


def test_each_colour_in_its_bin_and_the_background_left_out():
    """Pure red (hue 0, saturation 1) fills the top-saturation bin of hue 0; white and black fill the
    top and bottom brightness bins; the green around the rectangles is shrunk away."""
    frame, keypoints = painted((255, 0, 0), (255, 255, 255))
    look = person_look(frame, keypoints)
    assert look.shape == (len(REGIONS), BINS)
    red, white = np.zeros(BINS), np.zeros(BINS)
    red[0 * SAT_BINS + SAT_BINS - 1] = 1.0
    white[-1] = 1.0
    np.testing.assert_array_equal(look, np.stack([red, white]))
    black = region_histogram(painted((0, 0, 0), (0, 0, 0))[0], keypoints[[5, 6, 12, 11]])
    assert black[HUE_BINS * SAT_BINS] == 1.0


def test_a_region_without_its_corners_or_too_small_is_nan():
    frame, keypoints = painted((255, 0, 0), (0, 0, 255))
    keypoints[13] = np.nan  # a knee missing: no thigh region
    look = person_look(frame, keypoints)
    assert np.isfinite(look[0]).all() and np.isnan(look[1]).all()
    assert np.isnan(region_histogram(frame, np.array([(10.0, 10), (12, 10), (12, 12), (10, 12)]))).all()
    assert person_look(frame, keypoints)[0].sum() == 1.0
