"""User 2D keypoints -> H36M-17 pixels with NaN = missing: the one reader of 2D keypoint files.

:func:`load_keypoints` reads one person, :func:`load_people` every person (identities tracked from
frame to frame, ``gfpose.data.people``). Both tell the formats apart by content:

- gfpose's own npz or JSON (one person; schemas below);
- COCO keypoint results JSON and OpenPose JSON, a folder or one file (``gfpose.data.detector_files``),
  any number of people per frame. They do not store the image size: pass ``image_size``.

npz keys: ``keypoints_2d`` (N, 17, 2) px, optional ``confidence`` (N, 17), optional ``layout``
('h36m' default, or 'coco'), ``image_size`` (2,) or (N, 2) (w, h) px, required.

JSON schema (one object)::

    {"layout": "coco",                       # optional, "h36m" (default) or "coco"
     "image_size": [1920, 1080],             # required, (w, h) px, or one [w, h] per frame
     "keypoints": [[[x, y], ... 17], ...],   # N x 17 [x, y]; null = missing
     "confidence": [[c, ... 17], ...]}       # optional, N x 17

A joint with confidence 0 (or <= 0, or NaN) or a NaN/null coordinate is missing (NaN).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gfpose.data.detector_files import coco_results_frames, load_json, openpose_frames
from gfpose.data.people import MAX_COST, MAX_GAP, MIN_FRAMES, track_people
from gfpose.data.posefile import read_npz
from gfpose.errors import InputError
from gfpose.skeleton import NUM_JOINTS
from gfpose.validation import as_numbers, check_2d_input, check_confidence, check_image_size

LAYOUTS = ("h36m", "coco")

# Source COCO-17 indices of each H36M-17 joint (derived joints average theirs):
# pelvis = mean(hips), spine = mean(pelvis, thorax) = mean(hips, shoulders),
# thorax = mean(shoulders), neck/nose = nose, head = mean(eyes, ears).
COCO_TO_H36M = (
    (11, 12), (12,), (14,), (16,), (11,), (13,), (15,),
    (11, 12, 5, 6), (5, 6), (0,), (1, 2, 3, 4),
    (5,), (7,), (9,), (6,), (8,), (10,),
)


@dataclass
class Keypoints2D:
    """H36M-17 keypoints (N, 17, 2) px (NaN = missing), confidence (N, 17) or None, image_size (N, 2),
    and where their derived joints sit: 'detector' when made from COCO-17 keypoints (COCO_TO_H36M),
    'mocap' when given as H36M-17 (gfpose.joint_definitions)."""

    keypoints: np.ndarray
    confidence: np.ndarray | None
    image_size: np.ndarray
    joints: str = "mocap"


def mark_missing(kp: np.ndarray, conf: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """NaN for joints with a NaN coordinate or confidence <= 0 / NaN; their confidence becomes 0."""
    kp = np.array(kp, dtype=np.float32)
    missing = np.isnan(kp).any(axis=-1)
    if conf is not None:
        conf = np.array(conf, dtype=np.float32)
        missing |= ~(conf > 0)
        conf[missing] = 0.0
    kp[missing] = np.nan
    return kp, conf


def coco_to_h36m(kp: np.ndarray, conf: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """COCO-17 (N, 17, 2) [+ confidence (N, 17)] -> H36M-17 (see ``COCO_TO_H36M``).

    A derived joint is missing if any source is, and gets the lowest confidence of its sources.
    """
    kp, conf = mark_missing(kp, conf)
    out = np.stack([kp[:, list(src)].mean(axis=1) for src in COCO_TO_H36M], axis=1)
    if conf is not None:
        conf = np.stack([conf[:, list(src)].min(axis=1) for src in COCO_TO_H36M], axis=1)
    return out, conf


def build_keypoints(source, kp, conf, size, layout: str = "h36m",
                    allow_empty_frames: bool = False) -> Keypoints2D:
    """Checked :class:`Keypoints2D` from raw arrays of ``layout`` ('h36m' or 'coco'); errors name ``source``.

    ``allow_empty_frames``: a frame with every joint missing (a video frame without a person)
    stays all NaN instead of being refused; the other frames are checked as usual.
    """
    kp = as_numbers(kp, f"{source}: keypoints_2d")
    if kp.ndim != 3 or kp.shape[1:] != (NUM_JOINTS, 2):
        raise InputError(f"{source}: keypoints have shape {kp.shape}; expected (N, {NUM_JOINTS}, 2) px")
    n = len(kp)
    if conf is not None:
        conf = check_confidence(conf, n, f"{source}: confidence")
    if layout not in LAYOUTS:
        raise InputError(f"{source}: layout is {layout!r}; expected one of {LAYOUTS}")
    if size is None:
        raise InputError(f"{source}: no image_size; expected (w, h) px of the images the keypoints "
                         "come from (used to normalise them)")
    kp, conf = coco_to_h36m(kp, conf) if layout == "coco" else mark_missing(kp, conf)
    size = check_image_size(size, n, f"{source}: image_size")
    seen = np.ones(n, dtype=bool)
    if allow_empty_frames:
        seen = ~np.isnan(kp).all(axis=(1, 2))
        if n and not seen.any():
            raise InputError(f"{source}: no frame has any keypoint")
    where = f"{source}: " if seen.all() else f"{source} (counting only the frames with keypoints): "
    kp[seen], size[seen] = check_2d_input(kp[seen], size[seen], where=where)
    return Keypoints2D(kp, conf, size, joints="detector" if layout == "coco" else "mocap")


def _gfpose_json(path: Path, doc) -> dict:
    try:
        frames = [[(None, None) if j is None else j for j in f] for f in doc["keypoints"]]
        return dict(kp=np.array(frames, dtype=np.float32),
                    conf=None if doc.get("confidence") is None
                    else np.array(doc["confidence"], dtype=np.float32),
                    size=doc.get("image_size"), layout=doc.get("layout", "h36m"))
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as e:
        raise InputError(f"{path}: not keypoint JSON as documented in gfpose.data.keypoints "
                         f"({type(e).__name__}: {e})") from e


def _gfpose_npz(path: Path) -> dict:
    z = read_npz(path)
    if "keypoints_2d" not in z:
        raise InputError(f"{path}: no 'keypoints_2d' array; found keys {sorted(z)}")
    return dict(kp=z["keypoints_2d"], conf=z.get("confidence"), size=z.get("image_size"),
                layout=str(z.get("layout", "h36m")))


def _read(path: Path) -> tuple[str, object]:
    """('gfpose', fields for build_keypoints) or ('detections', per frame (K, 17, 3) COCO-17 rows)."""
    if path.is_dir():
        return "detections", openpose_frames(path)
    if path.suffix.lower() != ".json":
        return "gfpose", _gfpose_npz(path)
    doc = load_json(path)
    if isinstance(doc, list):
        return "detections", coco_results_frames(path, doc)
    if isinstance(doc, dict) and "people" in doc:
        return "detections", openpose_frames(path)
    if isinstance(doc, dict) and "keypoints" in doc:
        return "gfpose", _gfpose_json(path, doc)
    found = sorted(doc)[:8] if isinstance(doc, dict) else type(doc).__name__
    raise InputError(f"{path}: not a keypoint layout gfpose reads (found {found}); expected COCO keypoint "
                     "results (a list of {image_id, keypoints, score}), OpenPose ({people: [...]}) or "
                     "gfpose keypoint JSON ({keypoints, image_size}); see gfpose.data.keypoints")


def load_people(path: str | Path, image_size=None, *, max_cost: float = MAX_COST, max_gap: int = MAX_GAP,
                min_frames: int = MIN_FRAMES) -> list[Keypoints2D]:
    """Every person of a 2D keypoint file (formats in the module docstring), one :class:`Keypoints2D`
    over all the file's frames each (NaN, confidence 0 where that person was not found), people
    ordered by the number of frames they were found in, most first.

    Identities are tracked across frames (``gfpose.data.people.track_people``: ``max_cost`` the gate
    in body sizes, ``max_gap`` the frames an identity waits, ``min_frames`` the fewest frames a kept
    identity was found in), but where no frame holds more than one detection: that is one person,
    every frame kept (images that are no video, too). gfpose's own files hold one person.
    ``image_size`` (w, h) or (N, 2) px is used when the file holds none (detector files never do).
    """
    path = Path(path)
    kind, content = _read(path)
    if kind == "gfpose":
        if content["size"] is None:
            content["size"] = image_size
        return [build_keypoints(path, **content)]
    if image_size is None:
        raise InputError(f"{path}: detector keypoint files do not record the image size; pass it "
                         "(image_size=(w, h) in Python, --image-size W H on the command line)")
    size = check_image_size(image_size, len(content), f"{path}: image_size")
    if not any(len(people) for people in content):
        raise InputError(f"{path}: no people detected in any of its {len(content)} frames")
    if all(len(people) <= 1 for people in content):  # one person per frame at most: one identity, untracked
        rows = np.stack([people[0] if len(people) else np.full((17, 3), np.nan, np.float32) for people in content])
        return [build_keypoints(path, rows[..., :2], rows[..., 2], size, layout="coco", allow_empty_frames=True)]
    tracks = track_people(content, max_cost=max_cost, max_gap=max_gap, min_frames=min_frames)
    if not len(tracks.keypoints):
        raise InputError(f"{path}: no person with at least 3 keypoints found in any of its {len(content)} frames")
    people = []
    for p, rows in enumerate(tracks.keypoints):
        source = path if len(tracks.keypoints) == 1 else f"{path} (person {p})"
        people.append(build_keypoints(source, rows[..., :2], rows[..., 2], size, layout="coco",
                                      allow_empty_frames=True))
    return people


def load_keypoints(path: str | Path, image_size=None) -> Keypoints2D:
    """One person's 2D keypoints from a file (formats in the module docstring); ``image_size`` (w, h)
    or (N, 2) px is used when the file holds none.

    Where a detector file holds several people, this is the one found in most frames, its identity
    tracked across frames (:func:`load_people`, which returns them all), with a warning.
    """
    people = load_people(path, image_size)
    if len(people) > 1:
        present = [int((~np.isnan(p.keypoints).all(axis=(1, 2))).sum()) for p in people]
        warnings.warn(f"{path}: {len(people)} people tracked (found in {present} of {len(people[0].keypoints)} "
                      "frames); reading only the first (gfpose.data.keypoints.load_people reads them all)",
                      stacklevel=2)
    return people[0]
