"""2D keypoints from frames, offline: mediapipe BlazePose-33 -> COCO-17 -> H36M-17 pixels.

Only ``model_complexity=1`` is used: the full landmark model and the person detector ship in the
mediapipe 0.10.21 wheel, whereas complexities 0 and 2 download their weights at run time.

Several people (:func:`detect_people`): mediapipe's Tasks ``PoseLandmarker`` (``num_poses``) runs on
a ``.task`` bundle assembled in memory from those same two tflite files, with the input
normalisation their legacy graphs use written into them by mediapipe's own metadata writer (the
wheel ships no bundle and the Tasks API refuses a model without it); nothing is downloaded.
Identities are then tracked across frames by ``gfpose.data.people``.
BlazePose's per-landmark visibility is the confidence. A frame without a person is a missing
frame (all NaN, confidence 0), and so is a landmark outside the image (BlazePose extrapolates
occluded or cropped joints there): neither is an error. mediapipe's info and warning logs are
dropped (``quiet_native_logs``); its errors still show.
"""

from __future__ import annotations

import functools
import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gfpose.data.keypoints import Keypoints2D, build_keypoints
from gfpose.data.people import MAX_COST, MAX_GAP, MIN_FRAMES, track_people
from gfpose.errors import InputError
from gfpose.media.appearance import BINS, REGIONS, person_look
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
    with quiet_native_logs() as console, mp.solutions.pose.Pose(
            static_image_mode=not video, model_complexity=1, smooth_landmarks=smooth,
            min_detection_confidence=min_confidence, min_tracking_confidence=min_confidence) as pose:
        for frame in tqdm(frames, total=total, desc="detect 2D", unit="frame", disable=not progress, file=console):
            kp, conf = _detect_coco(pose, frame)
            keypoints.append(kp)
            confidence.append(conf)
            sizes.append((frame.shape[1], frame.shape[0]))
    if not keypoints:
        raise InputError(f"{source}: no frames to detect in")
    return build_keypoints(source, np.stack(keypoints), np.stack(confidence),
                           np.array(sizes, dtype=np.float32), layout="coco", allow_empty_frames=True)


def detect_people(frames: Iterable[np.ndarray], *, max_people: int = 4, video: bool = True, fps: float | None = None,
                  min_confidence: float = 0.5, source: str = "frames", progress: bool = False,
                  total: int | None = None, max_cost: float = MAX_COST, max_gap: int = MAX_GAP,
                  min_frames: int = MIN_FRAMES) -> list[Keypoints2D]:
    """Detect up to ``max_people`` people per RGB uint8 frame (H, W, 3) -> one H36M-17 ``Keypoints2D``
    (T, 17, 2) px per person over all frames (NaN, confidence 0 where that person was not found),
    people ordered by the number of frames they were found in, most first.

    ``video=True``: consecutive frames of one clip at ``fps`` (None: 30; mediapipe follows each person from
    frame to frame); ``video=False``: every image on its own. ``min_confidence``: mediapipe's
    detection, presence and tracking threshold. Identities: ``gfpose.data.people.track_people``
    (``max_cost``, ``max_gap``, ``min_frames``) on the 2D and each person's look (colours of the torso
    and thighs, ``gfpose.media.appearance``). Frames are consumed one at a time; errors name ``source``.
    """
    mp = require("mediapipe", "2D detection")
    from mediapipe.tasks.python import BaseOptions, vision

    mode = vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_buffer=_pose_landmarker_bundle()), running_mode=mode,
        num_poses=max_people, min_pose_detection_confidence=min_confidence,
        min_pose_presence_confidence=min_confidence, min_tracking_confidence=min_confidence)
    detections, looks, sizes = [], [], []
    with quiet_native_logs() as console, vision.PoseLandmarker.create_from_options(options) as landmarker:
        for t, frame in enumerate(tqdm(frames, total=total, desc="detect 2D", unit="frame", disable=not progress,
                                       file=console)):
            _check_frame(frame)
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(frame))
            result = (landmarker.detect_for_video(image, round(t * 1000 / (fps or 30.0))) if video
                      else landmarker.detect(image))
            height, width = frame.shape[:2]
            people = [np.concatenate(_coco_from_landmarks(marks, width, height), axis=1)
                      for marks in result.pose_landmarks]
            detections.append(np.array(people, dtype=np.float32).reshape(-1, len(BLAZEPOSE_TO_COCO), 3))
            looks.append(np.array([person_look(frame, person) for person in people]).reshape(
                len(people), len(REGIONS), BINS))
            sizes.append((width, height))
    if not detections:
        raise InputError(f"{source}: no frames to detect in")
    tracks = track_people(detections, looks=looks, max_cost=max_cost, max_gap=max_gap, min_frames=min_frames)
    if not len(tracks.keypoints):
        raise InputError(f"{source}: no person found in any of its {len(detections)} frames")
    sizes = np.array(sizes, dtype=np.float32)
    return [build_keypoints(f"{source} (person {p})", rows[..., :2], rows[..., 2], sizes, layout="coco",
                            allow_empty_frames=True) for p, rows in enumerate(tracks.keypoints)]


@functools.lru_cache(maxsize=1)
def _pose_landmarker_bundle() -> bytes:
    """A Tasks ``pose_landmarker`` bundle (zip) from the wheel's pose_detection.tflite and
    pose_landmark_full.tflite, each given the input normalisation of its legacy graph: the detector
    [-1, 1] (mean 127.5, std 127.5), the landmark model [0, 1] (mean 0, std 255)."""
    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    modules = Path(mediapipe.__file__).parent / "modules"
    models = {"pose_detector.tflite": (modules / "pose_detection" / "pose_detection.tflite", 127.5, 127.5, 2),
              "pose_landmarks_detector.tflite": (modules / "pose_landmark" / "pose_landmark_full.tflite", 0.0,
                                                 255.0, 5)}
    bundle = io.BytesIO()
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_STORED) as archive:
        for name, (path, mean, std, outputs) in models.items():
            if not path.is_file():
                raise InputError(f"{path}: missing from the mediapipe wheel; multi-person detection needs it "
                                 "(mediapipe 0.10.21 ships it)")
            writer = metadata_writer.MetadataWriter.create(bytearray(path.read_bytes()))
            writer.add_general_info(name.removesuffix(".tflite")).add_image_input(norm_mean=[mean], norm_std=[std])
            for i in range(outputs):
                writer.add_feature_output(name=f"output_{i}")
            archive.writestr(name, bytes(writer.populate()[0]))
    return bundle.getvalue()


def _check_frame(frame: np.ndarray) -> None:
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise InputError(f"frame: expected RGB uint8 (H, W, 3), got {frame.dtype} {frame.shape}")


def _coco_from_landmarks(marks, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """COCO-17 (17, 2) px and visibility (17, 1) from 33 normalised BlazePose landmarks; a landmark
    outside the image is missing (NaN, 0)."""
    marks = [marks[i] for i in BLAZEPOSE_TO_COCO]
    xy = np.array([(m.x * width, m.y * height) for m in marks], dtype=np.float32)
    inside = (xy >= 0).all(axis=1) & (xy[:, 0] < width) & (xy[:, 1] < height)
    conf = np.where(inside, [m.visibility if m.visibility is not None else 0.0 for m in marks], 0.0)
    xy[~inside] = np.nan
    return xy, conf[:, None].astype(np.float32)


def _detect_coco(pose, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """COCO-17 (17, 2) px and visibility (17,) of the person in one frame; NaN and 0 where missing."""
    _check_frame(frame)
    kp = np.full((len(BLAZEPOSE_TO_COCO), 2), np.nan, dtype=np.float32)
    conf = np.zeros(len(BLAZEPOSE_TO_COCO), dtype=np.float32)
    result = pose.process(frame)
    if result.pose_landmarks is None:
        return kp, conf
    xy, visibility = _coco_from_landmarks(result.pose_landmarks.landmark, frame.shape[1], frame.shape[0])
    return xy, visibility[:, 0]
