"""The offline 2D detector (one person, and several: detect_people) on a committed frame of real footage, and its
behaviour without mediapipe."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from gfpose.errors import InputError
from gfpose.media.detect import BLAZEPOSE_TO_COCO, detect_keypoints, detect_people
from gfpose.media.extra import INSTALL, quiet_native_logs

FOOTAGE = Path(__file__).resolve().parents[1] / "src" / "gfpose" / "assets" / "footage"
FRAME = FOOTAGE / "pose2sim_cam01_f050.jpg"
# The main person's box in that 540 x 960 frame (x0, y0, x1, y1) px, chosen by eye: raised hand
# at the top, left foot at the left, cap at the right, feet at the bottom. A bystander stands at
# x < 70, y 140-380; she must not be the one detected.
PERSON_BOX = (30, 185, 415, 600)
COCO_NAMES = ("NOSE", "LEFT_EYE", "RIGHT_EYE", "LEFT_EAR", "RIGHT_EAR", "LEFT_SHOULDER", "RIGHT_SHOULDER",
              "LEFT_ELBOW", "RIGHT_ELBOW", "LEFT_WRIST", "RIGHT_WRIST", "LEFT_HIP", "RIGHT_HIP",
              "LEFT_KNEE", "RIGHT_KNEE", "LEFT_ANKLE", "RIGHT_ANKLE")


@pytest.fixture(scope="module")
def frame():
    pytest.importorskip("mediapipe")
    from gfpose.media.video import read_image
    return read_image(FRAME)


def test_blazepose_indices_are_the_coco_keypoints():
    mp = pytest.importorskip("mediapipe")
    assert tuple(mp.solutions.pose.PoseLandmark(i).name for i in BLAZEPOSE_TO_COCO) == COCO_NAMES


def test_finds_the_person_with_every_visible_keypoint_in_the_box(frame):
    found = detect_keypoints([frame], video=False)
    kp, conf = found.keypoints[0], found.confidence[0]
    assert found.image_size.tolist() == [[540, 960]]
    visible = conf > 0.5
    assert visible.sum() >= 13
    x0, y0, x1, y1 = PERSON_BOX
    inside = (kp[:, 0] >= x0) & (kp[:, 0] <= x1) & (kp[:, 1] >= y0) & (kp[:, 1] <= y1)
    assert inside[visible].all(), kp[visible & ~inside]
    assert np.ptp(kp[visible, 1]) > 0.6 * (y1 - y0)  # spans the person's height: head to feet


def test_frame_without_a_person_is_missing_not_an_error(frame):
    blank = np.full_like(frame, 128)
    found = detect_keypoints([frame, blank], video=False)
    assert not np.isnan(found.keypoints[0]).all()
    assert np.isnan(found.keypoints[1]).all() and (found.confidence[1] == 0).all()


def test_several_people_offline_include_the_main_person(frame):
    """The Tasks PoseLandmarker on the bundle made from the wheel's own models: one track per person."""
    people = detect_people([frame, frame], video=False, min_frames=1)
    assert 1 <= len(people) <= 4 and all(p.keypoints.shape == (2, 17, 2) for p in people)
    x0, y0, x1, y1 = PERSON_BOX
    main = [p for p in people if (p.confidence[0] > 0.5).sum() >= 13
            and np.nanmedian(p.keypoints[0, :, 0]) > x0 and np.nanmedian(p.keypoints[0, :, 1]) > y0]
    assert len(main) == 1, [np.nanmedian(p.keypoints[0], axis=0) for p in people]
    kp, visible = main[0].keypoints[0], main[0].confidence[0] > 0.5
    assert ((kp[visible] >= (x0, y0)) & (kp[visible] <= (x1, y1))).all()
    np.testing.assert_allclose(main[0].keypoints[1], kp, atol=1.0)  # the same person in both frames


def test_no_person_anywhere_is_an_error_naming_the_source(frame):
    with pytest.raises(InputError, match=r"blank: no person found in any of its 2 frames"):
        detect_people([np.full_like(frame, 128)] * 2, video=False, source="blank")


def test_without_mediapipe_says_exactly_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # makes `import mediapipe` fail
    with pytest.raises(InputError) as error:
        detect_keypoints([np.zeros((8, 8, 3), np.uint8)])
    assert INSTALL == 'pip install "gfpose[video]"' and INSTALL in str(error.value)


def test_native_info_and_warnings_are_dropped_and_errors_kept(capfd):
    with quiet_native_logs() as console:
        console.write("detect 2D: 1/2\r")  # a progress bar goes to the terminal, not the hold
        os.write(2, b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
                    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
                    b"W0000 00:00:1.5 12 inference_feedback_manager.cc:114] Feedback manager requires a model\n"
                    b"E0000 00:00:1.6 12 calculator_graph.cc:887] a real error\n")
    assert capfd.readouterr().err == "detect 2D: 1/2\rE0000 00:00:1.6 12 calculator_graph.cc:887] a real error\n"
