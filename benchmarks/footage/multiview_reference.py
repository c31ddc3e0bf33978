"""The real-world 3D reference: BlazePose on the 4 synchronised-by-search Pose2Sim demo views, triangulated.

Runs the offline detector (landmark smoothing off) on cam01..cam04 of ../shared/data/pose2sim-demo,
reads the Qualisys calibration, finds the cameras' frame offsets, corrects views whose left and
right limbs were exchanged, and triangulates (confidence-weighted DLT, outlier views dropped). Each
step is also reported cumulatively from the plain reading (no distortion, offsets, corrections or
dropping) so its effect is visible. Writes docs/results/multiview_reference.json and
benchmarks/footage/multiview_reference.npz: ``points_3d`` (T, 17, 3) mm in the Qualisys world frame
(z up), ``frames`` (T,) cam01 frame indices, ``frame_offsets`` (4,) (camera v's frame t + o[v] is
cam01's frame t), the per-camera 2D (``keypoints_2d`` (4, T, 17, 2) px, ``confidence``) and
calibration (``K``, ``dist``, ``R``, ``t``; x_cam = R x_world + t, mm).

With ``--people N`` (the two-person clip ../shared/data/pose2sim-demo-multiperson, ``--people 2``),
the 2D comes from BlazePose on crops that follow each person (benchmarks/footage/blazepose_3d.py),
each view's people are matched to cam01's by two-view triangulation, the frame offsets are found
from all people at once, and every person is triangulated as above: the files are named after the
clip (multiview_reference_multiperson.npz / .json) and the npz's per-person arrays (``points_3d``,
``keypoints_2d``, ``confidence``, ``used``) get a leading person axis; ``people_order`` (P, V) says which
of blazepose_3d.py's tracked people of each view is person p.

cam01 and cam02 are 1080 px wide while the calibration's frame is 1088: the principal point is used
as calibrated (the videos lack the sensor's right-most columns); cropping 4 px from each side or
rescaling the width instead raised the plain reading's median reprojection error by about 0.9 px.

    python benchmarks/footage/multiview_reference.py [--src ../shared/data/pose2sim-demo] [--people 1]
        [--npz/--out PATH] [--json PATH]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import sys
import time
from pathlib import Path

import numpy as np
from sync import align, frame_offsets
from triangulate import correct_left_right, triangulate

from gfpose.atomic import atomic_write
from gfpose.media.calibration import read_qualisys
from gfpose.media.detect import detect_keypoints
from gfpose.media.video import open_media
from gfpose.skeleton import H36M_JOINTS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hardware  # noqa: E402  (benchmarks/hardware.py)
from blazepose_3d import load_clip  # noqa: E402  (benchmarks/footage/blazepose_3d.py)

MIN_CONFIDENCE, MAX_ERROR_PX = 0.3, 80.0
CLIPS = {"pose2sim-demo": "Pose2Sim Demo_SinglePerson", "pose2sim-demo-multiperson": "Pose2Sim Demo_MultiPerson"}
LIMB_BONES = {"r_thigh": (1, 2), "r_shank": (2, 3), "l_thigh": (4, 5), "l_shank": (5, 6),
              "l_upper_arm": (11, 12), "l_forearm": (12, 13), "r_upper_arm": (14, 15), "r_forearm": (15, 16)}


def clip_suffix(src: Path) -> str:
    """'' for ../shared/data/pose2sim-demo, '_multiperson' for pose2sim-demo-multiperson (the files' names)."""
    return src.resolve().name.removeprefix("pose2sim-demo").replace("-", "_")


def detect_all(src: Path, names: list[str]) -> tuple[np.ndarray, np.ndarray, dict]:
    """(V, T, 17, 2) px and (V, T, 17) confidence of every camera's video, and detection speed."""
    keypoints, confidence, speed = [], [], {}
    for name in names:
        media = open_media(src / f"{name}.mp4")
        start = time.perf_counter()
        detected = detect_keypoints(media.frames(), smooth=False, source=str(media.path))
        speed[name] = round(len(detected.keypoints) / (time.perf_counter() - start), 1)
        keypoints.append(detected.keypoints)
        confidence.append(detected.confidence)
        print(f"{name}: {len(detected.keypoints)} frames {media.image_size[0]} x {media.image_size[1]}, "
              f"{speed[name]} frames/s", flush=True)
    return np.stack(keypoints), np.stack(confidence), speed


def summarise(result, confidence: np.ndarray, names: list[str]) -> dict:
    """Median reprojection error (used views; every confident view) and limb-bone length spread."""
    used_error = np.where(result.used, result.reprojection_error, np.nan)
    lengths = {bone: np.linalg.norm(result.points[:, a] - result.points[:, b], axis=-1)
               for bone, (a, b) in LIMB_BONES.items()}
    return {
        "median_reprojection_px": round(float(np.nanmedian(used_error)), 2),
        "median_reprojection_px_all_confident_views": round(float(np.nanmedian(
            np.where(confidence >= MIN_CONFIDENCE, result.reprojection_error, np.nan))), 2),
        "median_reprojection_px_per_camera": {n: round(float(np.nanmedian(e)), 2)
                                              for n, e in zip(names, used_error)},
        "views_dropped": int(((confidence >= MIN_CONFIDENCE) & ~result.used).sum()),
        "points_under_two_views": int(np.isnan(result.points[..., 0]).sum()),
        "bone_length_sd_mm": {b: round(float(np.nanstd(v)), 1) for b, v in lengths.items()},
        "bone_length_median_mm": {b: round(float(np.nanmedian(v)), 1) for b, v in lengths.items()},
    }


def match_people(cameras, keypoints: np.ndarray, confidence: np.ndarray) -> tuple[np.ndarray, np.ndarray, list]:
    """People's 2D (P, V, T, 17, 2) and confidence (P, V, T, 17), each view's people reordered to be camera 0's:
    the order whose two-view triangulations with camera 0 have the smallest summed median reprojection error."""
    orders = [tuple(range(len(keypoints)))]
    for v in range(1, len(cameras)):
        def error(order):
            return sum(np.nanmedian(triangulate([cameras[0], cameras[v]], np.stack([keypoints[p, 0], keypoints[q, v]]),
                                                np.stack([confidence[p, 0], confidence[q, v]]),
                                                max_error_px=np.inf).reprojection_error)
                       for p, q in enumerate(order))
        orders.append(min(itertools.permutations(range(len(keypoints))), key=error))
    order = np.array(orders).T  # (P, V): person p is the order[p, v]-th of view v
    views = np.arange(len(cameras))
    return keypoints[order, views], confidence[order, views], order.tolist()


def person_reference(cameras, keypoints, confidence, offsets, names) -> tuple:
    """One person's triangulation, its aligned and corrected 2D (V, T, 17, 2), confidence, left/right swaps
    and each step's summary (see the module docstring), from its unaligned 2D (V, T, 17, 2)."""
    undistorted = [dataclasses.replace(camera, dist=np.zeros(5)) for camera in cameras]
    plain = dict(min_confidence=MIN_CONFIDENCE, max_error_px=np.inf)
    steps = {"plain reading (no distortion)": summarise(
        triangulate(undistorted, keypoints, confidence, **plain), confidence, names)}
    steps["+ lens distortion"] = summarise(triangulate(cameras, keypoints, confidence, **plain),
                                           confidence, names)
    keypoints, _ = align(keypoints, offsets)
    confidence, _ = align(confidence, offsets)
    steps["+ frame offsets"] = summarise(triangulate(cameras, keypoints, confidence, **plain),
                                         confidence, names)
    keypoints, confidence, swapped = correct_left_right(cameras, keypoints, confidence,
                                                        min_confidence=MIN_CONFIDENCE)
    steps["+ left/right correction"] = summarise(triangulate(cameras, keypoints, confidence, **plain),
                                                 confidence, names)
    result = triangulate(cameras, keypoints, confidence, min_confidence=MIN_CONFIDENCE,
                         max_error_px=MAX_ERROR_PX)
    steps["+ outlier views dropped (the reference)"] = summarise(result, confidence, names)
    return result, keypoints, confidence, swapped, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data/pose2sim-demo"))
    parser.add_argument("--people", type=int, default=1,
                        help="1: BlazePose on whole frames; more: on crops that follow each person (blazepose_3d.py)")
    parser.add_argument("--json", type=Path, default=None, help="default docs/results/multiview_reference<clip>.json")
    parser.add_argument("--npz", "--out", type=Path, default=None,
                        help="default benchmarks/footage/multiview_reference<clip>.npz")
    args = parser.parse_args()
    suffix = clip_suffix(args.src)
    args.json = args.json or Path(f"docs/results/multiview_reference{suffix}.json")
    args.npz = args.npz or Path(f"benchmarks/footage/multiview_reference{suffix}.npz")

    cameras = read_qualisys(args.src / "Calib.qca.txt")
    names = [camera.name for camera in cameras]
    if args.people == 1:
        keypoints, confidence, speed = detect_all(args.src, names)
        keypoints, confidence, order = keypoints[None], confidence[None], None
    else:
        run = load_clip(args.src, args.people)
        keypoints, confidence, order = match_people(cameras, run["keypoints_2d"], run["confidence"])
        speed = "blazepose_3d.py (crops that follow each person)"
    views = lambda x: np.concatenate(list(x), axis=2)  # noqa: E731  (P, V, T, J, ...) -> (V, T, P * J, ...)
    offsets = frame_offsets(cameras, views(keypoints), views(confidence))
    frames = align(keypoints[0], offsets)[1]
    people = [person_reference(cameras, kp, conf, offsets, names) for kp, conf in zip(keypoints, confidence)]

    def person_report(result, keypoints, confidence, swapped, steps) -> dict:
        return {"left_right_swaps": {n: {"legs": int(s[:, 0].sum()), "arms": int(s[:, 1].sum())}
                                     for n, s in zip(names, swapped)},
                "reference": steps["+ outlier views dropped (the reference)"], "steps": steps}

    reports = [person_report(*person) for person in people]
    report = {
        "source": f"{CLIPS.get(args.src.resolve().name, args.src.name)} (BSD-3-Clause), "
                  f"{len(names)} cameras x {keypoints.shape[2]} frames at 60 fps",
        "detector": "mediapipe 0.10.21 BlazePose, model_complexity=1, video mode, smoothing off"
                    + ("" if order is None else f"; crops that follow each of {args.people} people, "
                       "the others greyed out (benchmarks/footage/blazepose_3d.py)"),
        "triangulation": f"confidence-weighted DLT, views under confidence {MIN_CONFIDENCE} unused, "
                         f"views over {MAX_ERROR_PX:.0f} px reprojection error dropped",
        "frame_offsets": dict(zip(names, offsets.tolist())),
        "frames": len(frames),
        **({"left_right_swaps": reports[0]["left_right_swaps"]} if order is None
           else {"people_order_per_camera": dict(zip(names, np.array(order).T.tolist()))}),
        "detection_frames_per_s": speed,
        "hardware": hardware.describe(),
        "targets": {"median_reprojection_px": 12, "limb_bone_length_sd_mm": 20},
        **({k: reports[0][k] for k in ("reference", "steps")} if order is None
           else {"people": {f"person{p}": r for p, r in enumerate(reports)}}),
    }
    stack = (lambda x: x[0]) if order is None else np.stack  # one person: no person axis
    atomic_write(args.json, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2) + "\n"))
    atomic_write(args.npz, lambda tmp: np.savez_compressed(
        tmp, points_3d=stack([r.points for r, *_ in people]).astype(np.float32), frames=frames,
        frame_offsets=offsets, camera_names=np.array(names),
        keypoints_2d=stack([kp for _, kp, *_ in people]).astype(np.float32),
        confidence=stack([c for _, _, c, *_ in people]).astype(np.float32), used=stack([r.used for r, *_ in people]),
        K=np.stack([c.K for c in cameras]), dist=np.stack([c.dist for c in cameras]),
        R=np.stack([c.R for c in cameras]), t=np.stack([c.t for c in cameras]),
        joint_names=np.array(H36M_JOINTS), **({} if order is None else {"people_order": np.array(order)})))
    print(json.dumps({k: report.get(k) for k in ("frame_offsets", "left_right_swaps", "people_order_per_camera",
                                                 "detection_frames_per_s") if k in report}))
    for p, (*_, steps) in enumerate(people):
        for step, summary in steps.items():
            print(f"{'' if order is None else f'person{p} '}{step:42s} {summary['median_reprojection_px']:6.2f} px  "
                  "bone sd " + " ".join(f"{b} {v:.1f}" for b, v in summary["bone_length_sd_mm"].items()))


if __name__ == "__main__":
    main()
