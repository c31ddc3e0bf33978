"""2D keypoints from frames, offline: mediapipe BlazePose-33 -> COCO-17 -> H36M-17 pixels.

Only ``model_complexity=1`` is used: the full landmark model and the person detector ship in the
mediapipe 0.10.21 wheel, whereas complexities 0 and 2 download their weights at run time.
BlazePose's per-landmark visibility is the confidence. A frame without a person is a missing
frame (all NaN, confidence 0), and so is a landmark outside the image (BlazePose extrapolates
occluded or cropped joints there): neither is an error. mediapipe's info and warning logs are
dropped (``quiet_native_logs``); its errors still show.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from tqdm import tqdm

from gfpose.data.keypoints import Keypoints2D, build_keypoints
from gfpose.errors import InputError
from gfpose.media.extra import quiet_native_logs, require

# BlazePose-33 landmark of each COCO-17 keypoint (nose, eyes' centres, ears, shoulders ... ankles).
BLAZEPOSE_TO_COCO = (0, 2, 5, 7, 8, 11, 12, 13, 14, 15, 16, 23, 24, 25, 26, 27, 28)


def detect_keypoints(frames: Iterable[np.ndarray], *, video: bool = True, smooth: bool = True,
                     min_confidence: float = 0.5, source: str = "frames", progress: bool = False,
                     total: int | None = None) -> Keypoints2D:
    """Detect one person per RGB uint8 frame (H, W, 3) -> H36M-17 ``Keypoints2D`` (T, 17, 2) px.

    ``video=True`` tracks the person from frame to frame (consecutive frames of one clip: faster);
    ``video=False`` detects anew in every image. ``smooth`` applies mediapipe's landmark filter
    across video frames (steadier, but it lags fast motion: the multi-view reference turns it off).
    ``min_confidence`` is mediapipe's detection and tracking threshold. Frames are consumed one at
    a time; errors name ``source``.
    """
    mp = require("mediapipe", "2D detection")
    keypoints, confidence, sizes = [], [], []
    with quiet_native_logs():
        pose = mp.solutions.pose.Pose(static_image_mode=not video, model_complexity=1, smooth_landmarks=smooth,
                                      min_detection_confidence=min_confidence,
                                      min_tracking_confidence=min_confidence)
    with pose:
        for frame in tqdm(frames, total=total, desc="detect 2D", unit="frame", disable=not progress):
            kp, conf = _detect_coco(pose, frame)
            keypoints.append(kp)
            confidence.append(conf)
            sizes.append((frame.shape[1], frame.shape[0]))
    if not keypoints:
        raise InputError(f"{source}: no frames to detect in")
    return build_keypoints(source, np.stack(keypoints), np.stack(confidence),
                           np.array(sizes, dtype=np.float32), layout="coco", allow_empty_frames=True)


def _detect_coco(pose, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COCO-17 (17, 2) px and visibility (17,) of the person in one frame; NaN and 0 where missing."""
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise InputError(f"frame: expected RGB uint8 (H, W, 3), got {frame.dtype} {frame.shape}")
    kp = np.full((len(BLAZEPOSE_TO_COCO), 2), np.nan, dtype=np.float32)
    conf = np.zeros(len(BLAZEPOSE_TO_COCO), dtype=np.float32)
    with quiet_native_logs():
        result = pose.process(frame)
    if result.pose_landmarks is None:
        return kp, conf
    height, width = frame.shape[:2]
    marks = [result.pose_landmarks.landmark[i] for i in BLAZEPOSE_TO_COCO]
    xy = np.array([(m.x * width, m.y * height) for m in marks], dtype=np.float32)
    inside = (xy >= 0).all(axis=1) & (xy[:, 0] < width) & (xy[:, 1] < height)
    kp[inside] = xy[inside]
    conf[inside] = [m.visibility for m, ok in zip(marks, inside) if ok]
    return kp, conf
