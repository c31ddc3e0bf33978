"""BlazePose's own 3D, the peer row of the footage benchmark (issue 28): mediapipe's ``pose_world_landmarks``.

BlazePose runs as the multi-view reference's detection does (mediapipe 0.10.21, model_complexity=1,
video mode, landmark smoothing off; and once more with smoothing on, for the acceleration), on each
camera video of a clip, either on whole frames (one person) or on crops that follow each person
(``--people N``: crops start from the first frame's detections, the others masked out, and then
follow the previous frame's landmarks). Per person, camera and video frame it keeps:

- ``world`` (T, 17, 3) mm: the 33 world landmarks (metres, origin between the hips) mapped to H36M-17
  as the 2D is (gfpose.media.detect.BLAZEPOSE_TO_COCO, then gfpose.data.keypoints.COCO_TO_H36M),
  root-centred. Their axes are the image's, x right, y down, z away from the camera (measured against
  the one-person clip's multi-view reference in each camera's frame: the best rotation between them
  is 11-19 degrees, about no particular axis), so they compare with the reference as they stand;
- ``world_smoothed``: the same with mediapipe's landmark smoothing on;
- ``keypoints_2d`` (T, 17, 2) px and ``confidence`` (T, 17): the H36M-17 2D of that run (smoothing
  off; a landmark outside the image or crop is missing, as in gfpose.media.detect).

and ``first_bounds`` (P, V, 4), where each person's crops started (-1: whole frames). Stored as arrays
(P, V, T, ...) in ``benchmarks/footage/blazepose_<clip>.npz`` (world in int16 mm), which the benchmark
scripts make when it is missing and this command remakes:

    python benchmarks/footage/blazepose_3d.py [--src ../shared/data/pose2sim-demo] [--people 1]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from gfpose.atomic import atomic_write
from gfpose.data.keypoints import coco_to_h36m
from gfpose.geometry import root_center
from gfpose.media.calibration import read_qualisys
from gfpose.media.detect import BLAZEPOSE_TO_COCO
from gfpose.media.extra import require
from gfpose.media.video import open_media

LANDMARKS = 33
CROP_MARGIN = 0.25  # a crop is the previous frame's landmarks' bounds, each side grown by this share of their extent
MASK_VALUE = 127  # the grey over the other people (and, in the first frame, over those already found)


def blazepose(frames: Iterable[np.ndarray], *, smooth: bool = False, bounds=None) -> dict[str, np.ndarray]:
    """BlazePose on RGB frames: per person and frame the 33 landmarks' px (P, T, 33, 2), visibility
    (P, T, 33), world landmarks m (P, T, 33, 3) and the image region it saw (P, T, 4) x0, y0, x1, y1
    (NaN/0 where no person).

    ``bounds``: None for one person on whole frames; else one (x0, y0, x1, y1) px per person, the
    bounds of its landmarks in the first frame. Each person then has its own BlazePose, which sees a
    crop around the person's bounds (grown by CROP_MARGIN) with the other people's bounds greyed out
    (not where they overlap its own), and the bounds follow its landmarks from frame to frame."""
    mp = require("mediapipe", "BlazePose")
    bounds = None if bounds is None else [tuple(b) for b in bounds]
    out = {"image": [], "visibility": [], "world": [], "region": []}
    poses = [mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1, smooth_landmarks=smooth,
                                    min_detection_confidence=0.5, min_tracking_confidence=0.5)
             for _ in range(1 if bounds is None else len(bounds))]
    try:
        for frame in frames:
            height, width = frame.shape[:2]
            rows, current = [], None if bounds is None else list(bounds)
            for p, pose in enumerate(poses):
                x0, y0, x1, y1 = (0, 0, width, height) if bounds is None else grow(current[p], width, height)
                seen = frame if bounds is None else masked(frame, current, p)
                result = pose.process(np.ascontiguousarray(seen[y0:y1, x0:x1]))
                image = np.full((LANDMARKS, 2), np.nan)
                visibility, world = np.zeros(LANDMARKS), np.full((LANDMARKS, 3), np.nan)
                if result.pose_landmarks is not None:
                    marks = result.pose_landmarks.landmark
                    image = np.array([(x0 + m.x * (x1 - x0), y0 + m.y * (y1 - y0)) for m in marks])
                    visibility = np.array([m.visibility for m in marks])
                    world = np.array([(m.x, m.y, m.z) for m in result.pose_world_landmarks.landmark])
                    if bounds is not None:
                        bounds[p] = landmark_bounds(image, width, height)
                rows.append((image, visibility, world, (x0, y0, x1, y1)))
            for key, value in zip(out, zip(*rows)):
                out[key].append(value)
    finally:
        for pose in poses:
            pose.close()
    return {key: np.swapaxes(np.array(value, dtype=np.float64), 0, 1) for key, value in out.items()}


def landmark_bounds(image: np.ndarray, width: int, height: int) -> tuple[int, int, int, int]:
    """The bounds (x0, y0, x1, y1) px of landmarks (33, 2), within the image."""
    lo, hi = np.clip(image.min(0), 0, None), np.minimum(image.max(0), (width - 1, height - 1))
    return int(lo[0]), int(lo[1]), int(hi[0]) + 1, int(hi[1]) + 1


def grow(bounds, width: int, height: int) -> tuple[int, int, int, int]:
    """Bounds grown on each side by CROP_MARGIN times their larger extent, within the image."""
    x0, y0, x1, y1 = bounds
    margin = CROP_MARGIN * max(x1 - x0, y1 - y0)
    return (max(0, int(x0 - margin)), max(0, int(y0 - margin)),
            min(width, int(x1 + margin) + 1), min(height, int(y1 + margin) + 1))


def masked(frame: np.ndarray, bounds: list, keep: int | None = None) -> np.ndarray:
    """The frame with every person's bounds but ``keep``'s greyed out (``keep``'s own bounds left as they are)."""
    out = frame.copy()
    for p, (x0, y0, x1, y1) in enumerate(bounds):
        if p != keep:
            out[y0:y1, x0:x1] = MASK_VALUE
    if keep is not None:
        x0, y0, x1, y1 = bounds[keep]
        out[y0:y1, x0:x1] = frame[y0:y1, x0:x1]
    return out


def first_people(frame: np.ndarray, people: int) -> list[tuple[int, int, int, int]]:
    """Landmark bounds of ``people`` people in one frame, the tallest first: BlazePose on the frame with
    the people found so far greyed out, up to twice as many times, keeping the tallest."""
    found = []
    for _ in range(2 * people):
        others = [b for _, b in found]
        image = blazepose([masked(frame, others)])["image"][0, 0]
        if np.isnan(image).all():
            break
        found.append((np.ptp(image[:, 1]), landmark_bounds(image, frame.shape[1], frame.shape[0])))
    return [b for _, b in sorted(found, reverse=True)[:people]]


def to_h36m(landmarks: np.ndarray, confidence: np.ndarray | None = None):
    """BlazePose-33 landmarks (..., 33, D) [+ confidence (..., 33)] -> H36M-17 (..., 17, D) [and (..., 17)]."""
    coco = landmarks[..., list(BLAZEPOSE_TO_COCO), :]
    flat = coco.reshape(-1, *coco.shape[-2:])
    kp, conf = coco_to_h36m(flat, None if confidence is None else
                            confidence[..., list(BLAZEPOSE_TO_COCO)].reshape(flat.shape[:2]))
    shape = coco.shape[:-2]
    return kp.reshape(*shape, *kp.shape[1:]), None if conf is None else conf.reshape(*shape, -1)


def world_h36m(world: np.ndarray) -> np.ndarray:
    """World landmarks (..., 33, 3) m -> root-centred H36M-17 (..., 17, 3) mm (camera-like axes, see above)."""
    return root_center(to_h36m(world)[0].astype(np.float64) * 1000.0)


def keypoints_h36m(run: dict) -> tuple[np.ndarray, np.ndarray]:
    """H36M-17 px (..., 17, 2) and confidence (..., 17) of a run; landmarks outside the region it saw are missing."""
    image, region = run["image"], run["region"][..., None, :]
    inside = (image >= region[..., :2]).all(-1) & (image < region[..., 2:]).all(-1)
    return to_h36m(np.where(inside[..., None], image, np.nan), np.where(inside, run["visibility"], 0.0))


def run_clip(src: Path, people: int) -> dict[str, np.ndarray]:
    """Both runs (smoothing off, on) of every camera of a clip: arrays (P, V, T, ...) as in the docstring,
    and ``first_bounds`` (P, V, 4), the people's bounds in each camera's first frame (-1: whole frames)."""
    names = [camera.name for camera in read_qualisys(src / "Calib.qca.txt")]
    fields = {key: [] for key in ("world", "world_smoothed", "keypoints_2d", "confidence", "first_bounds")}
    for name in names:
        media = open_media(src / f"{name}.mp4")
        bounds = None if people == 1 else first_people(next(media.frames()), people)
        if bounds is not None and len(bounds) < people:
            raise SystemExit(f"{name}: {len(bounds)} people found in the first frame, not {people}")
        start = time.perf_counter()
        plain, smoothed = (blazepose(media.frames(), smooth=smooth, bounds=bounds) for smooth in (False, True))
        keypoints, confidence = keypoints_h36m(plain)
        first = np.full((people, 4), -1) if bounds is None else np.array(bounds)
        for key, value in zip(fields, (world_h36m(plain["world"]), world_h36m(smoothed["world"]),
                                       keypoints, confidence, first)):
            fields[key].append(value)
        print(f"{name}: {people} x {keypoints.shape[1]} frames, first bounds {bounds}, "
              f"{2 * keypoints.shape[1] / (time.perf_counter() - start):.1f} frames/s", flush=True)
    arrays = {key: np.swapaxes(np.array(value), 0, 1) for key, value in fields.items()}  # (P, V, ...)
    return {**arrays, "camera_names": np.array(names)}


def compact(run: dict) -> dict:
    """The run as stored: world mm in int16, 2D in float32."""
    return {key: (np.nan_to_num(value, nan=np.iinfo(np.int16).min).round().astype(np.int16)
                  if key.startswith("world") else value.astype(np.float32) if value.dtype.kind == "f" else value)
            for key, value in run.items()}


def expand(stored) -> dict:
    """The inverse of compact: world back to float mm (NaN where there was no person)."""
    return {key: (np.where(value == np.iinfo(np.int16).min, np.nan, value.astype(np.float64))
                  if key.startswith("world") else value) for key, value in dict(stored).items()}


def default_cache(src: Path) -> Path:
    """benchmarks/footage/blazepose_<clip folder name>.npz (from the repository root, as the other defaults)."""
    return Path("benchmarks/footage") / f"blazepose_{src.resolve().name}.npz"


def load_clip(src: Path, people: int = 1, cache: Path | None = None) -> dict[str, np.ndarray]:
    """The clip's BlazePose runs (run_clip), from ``cache`` (default_cache) or run and cached there."""
    cache = cache or default_cache(src)
    if cache.exists():
        stored = expand(np.load(cache))
        if stored["world"].shape[0] == people:
            return stored
    run = run_clip(src, people)
    atomic_write(cache, lambda tmp: np.savez_compressed(tmp, **compact(run)))
    return expand(compact(run))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data/pose2sim-demo"))
    parser.add_argument("--people", type=int, default=1, help="1: whole frames; more: crops that follow each")
    parser.add_argument("--cache", type=Path, default=None, help="default benchmarks/footage/blazepose_<clip>.npz")
    args = parser.parse_args()
    cache = args.cache or default_cache(args.src)
    cache.unlink(missing_ok=True)
    run = load_clip(args.src, args.people, cache)
    print(f"{cache}: world {run['world'].shape}, {cache.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
