"""What 2D detectors write -> every person of every frame as COCO-17 rows [x, y, confidence] px.

Read through :func:`gfpose.data.keypoints.load_keypoints` (one person) or
:func:`gfpose.data.keypoints.load_people` (everyone, tracked), which tell the formats apart by content:

- COCO keypoint results JSON (Detectron2, MMPose, ...): a list of ``{"image_id", "category_id",
  "keypoints": [x, y, score] x 17, "score"}``, any number of people per ``image_id``; frames ordered
  by ``image_id``. An image without a detection is absent from such a file, so it cannot be told
  apart from a frame that never existed.
- OpenPose JSON: one ``{"people": [{"pose_keypoints_2d": [x, y, c, ...]}, ...]}`` per frame, a
  folder of ``*_keypoints.json`` files (sorted by name) or one file. BODY_25 (75 numbers) and
  COCO-18 (54 numbers) are told apart by length. A frame with no people has no detections.

Every detector layout goes to COCO-17 here and to H36M-17 in ``gfpose.data.keypoints``
(``COCO_TO_H36M``). A keypoint at (0, 0) with confidence 0 (how OpenPose and COCO write "not
found") is missing. Neither format stores the image size: pass it (``image_size=``,
``--image-size W H``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gfpose.errors import InputError

COCO_PERSON = 1
COCO_JOINTS = 17
# Index in each OpenPose layout of every COCO-17 keypoint (nose, l_eye, r_eye, l_ear, r_ear,
# l_shoulder, r_shoulder, l_elbow, r_elbow, l_wrist, r_wrist, l_hip, r_hip, l_knee, r_knee,
# l_ankle, r_ankle). BODY_25: 0 nose, 1 neck, 2-4 r shoulder/elbow/wrist, 5-7 left, 8 mid-hip,
# 9-11 r hip/knee/ankle, 12-14 left, 15 r eye, 16 l eye, 17 r ear, 18 l ear, 19-24 feet.
# COCO-18: BODY_25 without the mid-hip and the feet: 8-10 r hip/knee/ankle, 11-13 left,
# 14 r eye, 15 l eye, 16 r ear, 17 l ear.
OPENPOSE_TO_COCO = {
    "BODY_25": (0, 16, 15, 18, 17, 5, 2, 6, 3, 7, 4, 12, 9, 13, 10, 14, 11),
    "COCO-18": (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10),
}
OPENPOSE_LAYOUT_BY_LENGTH = {75: "BODY_25", 54: "COCO-18"}
COCO_RESULT_LENGTH = COCO_JOINTS * 3


def load_json(path: Path):
    """The parsed JSON document of ``path``; InputError naming it when missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InputError(f"{path}: not readable JSON ({type(e).__name__}: {e})") from e


def coco_results_frames(path: Path, doc: list) -> list[np.ndarray]:
    """A COCO keypoint results list -> per ``image_id`` (sorted) its people (K, 17, 3), best score first."""
    people: dict = {}
    for i, entry in enumerate(doc):
        if not isinstance(entry, dict) or "image_id" not in entry or "keypoints" not in entry:
            raise InputError(f"{path}: entry {i} is not a COCO keypoint result; expected "
                             "{image_id, category_id, keypoints: [x, y, score] x 17, score}")
        if entry.get("category_id", COCO_PERSON) != COCO_PERSON:
            continue
        rows = _number_rows(entry["keypoints"], COCO_RESULT_LENGTH, f"{path}: entry {i} (image_id "
                            f"{entry['image_id']!r})")
        try:
            score = float(entry.get("score", np.nan))
        except (TypeError, ValueError):
            raise InputError(f"{path}: entry {i}: score is {entry['score']!r}; expected a number") from None
        if not np.isfinite(score):  # no score: the mean confidence of the keypoints found
            found = rows[:, 2] > 0
            score = float(rows[found, 2].mean()) if found.any() else 0.0
        people.setdefault(_hashable(path, i, entry["image_id"]), []).append((score, rows))
    if not people:
        raise InputError(f"{path}: no person results (category_id {COCO_PERSON})")
    try:
        order = sorted(people)
    except TypeError:
        raise InputError(f"{path}: image_id values mix types; expected all numbers or all strings") from None
    return [np.stack([rows for _, rows in sorted(people[image], key=lambda p: -p[0])]) for image in order]


def openpose_frames(path: Path) -> list[np.ndarray]:
    """OpenPose JSON (a folder of ``*_keypoints.json``, sorted by name, or one file) -> per frame its
    people (K, 17, 3), highest mean confidence first."""
    path = Path(path)
    files = sorted(path.glob("*_keypoints.json")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: folder holds no OpenPose '*_keypoints.json' files")
    frames = [_openpose_frame(f) for f in files]
    layouts = {layout for layout, _ in frames if layout is not None}
    if len(layouts) > 1:
        raise InputError(f"{path}: frames mix OpenPose layouts {sorted(layouts)}; expected one")
    return [people for _, people in frames]


def _hashable(path: Path, i: int, image_id):
    if isinstance(image_id, bool) or not isinstance(image_id, (int, float, str)):
        raise InputError(f"{path}: entry {i}: image_id is {image_id!r}; expected a number or a string")
    return image_id


def _number_rows(values, length: int, where: str) -> np.ndarray:
    """A flat [x, y, c, ...] list of ``length`` numbers -> (length / 3, 3) float32; NaN allowed (missing),
    not infinities."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as e:
        raise InputError(f"{where}: keypoints are not numbers ({e})") from None
    if array.shape != (length,):
        raise InputError(f"{where}: keypoints have shape {array.shape}; expected {length} numbers "
                         f"({length // 3} x [x, y, confidence])")
    if (np.abs(array) > np.finfo(np.float32).max).any():
        raise InputError(f"{where}: keypoints hold infinite values; expected finite px (NaN or confidence 0 "
                         "for a keypoint not found)")
    return array.astype(np.float32).reshape(-1, 3)


def _openpose_frame(path: Path) -> tuple[str | None, np.ndarray]:
    """(layout or None, (K, 17, 3) COCO-17 rows of its people, highest mean confidence first)."""
    doc = load_json(path)
    people = doc.get("people") if isinstance(doc, dict) else None
    if not isinstance(people, list):
        raise InputError(f"{path}: not OpenPose JSON; expected {{\"people\": [{{\"pose_keypoints_2d\": ...}}]}}")
    layouts, rows = set(), []
    for i, person in enumerate(people):
        values = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
        layout = OPENPOSE_LAYOUT_BY_LENGTH.get(len(values) if isinstance(values, list) else -1)
        if layout is None:
            lengths = ", ".join(f"{n} ({name})" for n, name in OPENPOSE_LAYOUT_BY_LENGTH.items())
            raise InputError(f"{path}: people[{i}].pose_keypoints_2d is not an OpenPose body layout gfpose "
                             f"reads; expected a list of {lengths} numbers")
        layouts.add(layout)
        rows.append(_number_rows(values, len(values), f"{path}: people[{i}]")[list(OPENPOSE_TO_COCO[layout])])
    if len(layouts) > 1:
        raise InputError(f"{path}: people mix OpenPose layouts {sorted(layouts)}; expected one")
    if not rows:
        return None, np.zeros((0, COCO_JOINTS, 3), dtype=np.float32)
    rows.sort(key=lambda r: -float(np.mean(np.nan_to_num(r[:, 2]))))
    return layouts.pop(), np.stack(rows)
