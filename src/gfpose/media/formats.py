"""What 2D detectors write -> :class:`gfpose.data.keypoints.Keypoints2D` (H36M-17 px, NaN = missing).

Recognised by content, not by name (:func:`read_keypoints`):

- COCO keypoint results JSON (Detectron2, MMPose, ...): a list of ``{"image_id", "category_id",
  "keypoints": [x, y, score] x 17, "score"}``. Per ``image_id`` the highest-scoring person;
  frames ordered by ``image_id``. An image without a detection is absent from such a file, so
  it cannot be told apart from a frame that never existed.
- OpenPose JSON: one ``{"people": [{"pose_keypoints_2d": [x, y, c, ...]}, ...]}`` per frame, a
  folder of ``*_keypoints.json`` files (sorted by name) or one file. BODY_25 (75 numbers) and
  COCO-18 (54 numbers) are told apart by length. Per frame the person of highest mean
  confidence; a frame with no people is a missing frame (all NaN).
- gfpose's own npz / JSON (:func:`gfpose.data.keypoints.load_keypoints`).

Every detector layout goes to H36M-17 through COCO-17 (``COCO_TO_H36M``). A keypoint at (0, 0)
with confidence 0 (how OpenPose and COCO write "not found") is missing. Neither format stores
the image size: pass it (``image_size=``, ``--image-size W H``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gfpose.data.keypoints import Keypoints2D, build_keypoints, load_keypoints
from gfpose.errors import InputError

COCO_PERSON = 1
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
COCO_RESULT_LENGTH = 17 * 3


def read_keypoints(path, image_size=None) -> Keypoints2D:
    """2D keypoints from ``path`` in any format above; ``image_size`` (w, h) or (N, 2) px.

    A folder is read as OpenPose per-frame files; a ``.json`` is told apart by its content; any
    other file goes to gfpose's own readers (which use ``image_size`` when the file has none).
    """
    path = Path(path)
    if path.is_dir():
        return read_openpose(path, image_size)
    if path.suffix.lower() != ".json":
        return load_keypoints(path, image_size)
    doc = _load_json(path)
    if isinstance(doc, list):
        return _coco_results(path, doc, image_size)
    if isinstance(doc, dict) and "people" in doc:
        return read_openpose(path, image_size)
    if isinstance(doc, dict) and "keypoints" in doc:
        return load_keypoints(path, image_size)
    found = sorted(doc)[:8] if isinstance(doc, dict) else type(doc).__name__
    raise InputError(f"{path}: not a keypoint layout gfpose reads (found {found}); expected COCO keypoint "
                     "results (a list of {image_id, keypoints, score}), OpenPose ({people: [...]}) or "
                     "gfpose keypoint JSON ({keypoints, image_size}); see gfpose.media.formats")


def read_coco_results(path, image_size=None) -> Keypoints2D:
    """COCO keypoint results JSON -> one frame per ``image_id`` (sorted), its best-scoring person."""
    path = Path(path)
    return _coco_results(path, _load_json(path), image_size)


def read_openpose(path, image_size=None) -> Keypoints2D:
    """OpenPose JSON: a folder of ``*_keypoints.json`` (one frame each, sorted by name) or one file."""
    path = Path(path)
    files = sorted(path.glob("*_keypoints.json")) if path.is_dir() else [path]
    if not files:
        raise InputError(f"{path}: folder holds no OpenPose '*_keypoints.json' files")
    frames = [_openpose_frame(f) for f in files]
    layouts = {layout for layout, _ in frames if layout is not None}
    if len(layouts) > 1:
        raise InputError(f"{path}: frames mix OpenPose layouts {sorted(layouts)}; expected one")
    empty = np.full((17, 3), np.nan, dtype=np.float32)
    coco = np.stack([empty if person is None else person[list(OPENPOSE_TO_COCO[layout])]
                     for layout, person in frames])
    return _to_keypoints(path, coco, image_size)


def _load_json(path: Path):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path}: not readable JSON ({type(e).__name__}: {e})") from e


def _number_rows(values, length: int, where: str) -> np.ndarray:
    """A flat [x, y, c, ...] list of ``length`` numbers -> (length / 3, 3) float32."""
    try:
        array = np.asarray(values, dtype=np.float32)
    except (TypeError, ValueError) as e:
        raise InputError(f"{where}: keypoints are not numbers ({e})") from None
    if array.shape != (length,):
        raise InputError(f"{where}: keypoints have shape {array.shape}; expected {length} numbers")
    return array.reshape(-1, 3)


def _coco_results(path: Path, doc: list, image_size) -> Keypoints2D:
    best: dict = {}
    for i, entry in enumerate(doc):
        if not isinstance(entry, dict) or "image_id" not in entry or "keypoints" not in entry:
            raise InputError(f"{path}: entry {i} is not a COCO keypoint result; expected "
                             "{image_id, category_id, keypoints: [x, y, score] x 17, score}")
        if entry.get("category_id", COCO_PERSON) != COCO_PERSON:
            continue
        keypoints = _number_rows(entry["keypoints"], COCO_RESULT_LENGTH, f"{path}: entry {i}")
        score = float(entry.get("score", np.nanmean(keypoints[:, 2])))
        image = entry["image_id"]
        if image not in best or score > best[image][0]:
            best[image] = (score, keypoints)
    if not best:
        raise InputError(f"{path}: no person results (category_id {COCO_PERSON})")
    try:
        order = sorted(best)
    except TypeError:
        raise InputError(f"{path}: image_id values mix types; expected all numbers or all strings") from None
    return _to_keypoints(path, np.stack([best[image][1] for image in order]), image_size)


def _openpose_frame(path: Path) -> tuple[str | None, np.ndarray | None]:
    """(layout, (N_layout, 3) rows of its most confident person), or (None, None) for no people."""
    doc = _load_json(path)
    people = doc.get("people") if isinstance(doc, dict) else None
    if not isinstance(people, list):
        raise InputError(f"{path}: not OpenPose JSON; expected {{\"people\": [{{\"pose_keypoints_2d\": ...}}]}}")
    if not people:
        return None, None
    candidates = []
    for i, person in enumerate(people):
        values = person.get("pose_keypoints_2d") if isinstance(person, dict) else None
        layout = OPENPOSE_LAYOUT_BY_LENGTH.get(len(values) if isinstance(values, list) else -1)
        if layout is None:
            lengths = ", ".join(f"{n} ({name})" for n, name in OPENPOSE_LAYOUT_BY_LENGTH.items())
            raise InputError(f"{path}: people[{i}].pose_keypoints_2d is not an OpenPose body layout gfpose "
                             f"reads; expected a list of {lengths} numbers")
        candidates.append((layout, _number_rows(values, len(values), f"{path}: people[{i}]")))
    return max(candidates, key=lambda c: float(np.mean(c[1][:, 2])))


def _to_keypoints(path: Path, coco_rows: np.ndarray, image_size) -> Keypoints2D:
    """(N, 17, 3) COCO-17 [x, y, confidence] -> checked H36M-17 keypoints."""
    if image_size is None:
        raise InputError(f"{path}: detector keypoint files do not record the image size; pass it "
                         "(image_size=(w, h) in Python, --image-size W H on the command line)")
    return build_keypoints(path, coco_rows[..., :2], coco_rows[..., 2], image_size, layout="coco",
                           allow_empty_frames=True)
