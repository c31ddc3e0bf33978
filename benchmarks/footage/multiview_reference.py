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

cam01 and cam02 are 1080 px wide while the calibration's frame is 1088: the principal point is used
as calibrated (the videos lack the sensor's right-most columns); cropping 4 px from each side or
rescaling the width instead raised the plain reading's median reprojection error by about 0.9 px.

    python benchmarks/footage/multiview_reference.py [--src ../shared/data/pose2sim-demo]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

from gfpose.atomic import atomic_write
from gfpose.media.calibration import read_qualisys
from gfpose.media.detect import detect_keypoints
from gfpose.media.sync import align, frame_offsets
from gfpose.media.triangulate import correct_left_right, triangulate
from gfpose.media.video import open_media
from gfpose.skeleton import H36M_JOINTS

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hardware  # noqa: E402  (benchmarks/hardware.py)

MIN_CONFIDENCE, MAX_ERROR_PX = 0.3, 80.0
LIMB_BONES = {"r_thigh": (1, 2), "r_shank": (2, 3), "l_thigh": (4, 5), "l_shank": (5, 6),
              "l_upper_arm": (11, 12), "l_forearm": (12, 13), "r_upper_arm": (14, 15), "r_forearm": (15, 16)}


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data/pose2sim-demo"))
    parser.add_argument("--json", type=Path, default=Path("docs/results/multiview_reference.json"))
    parser.add_argument("--npz", type=Path, default=Path("benchmarks/footage/multiview_reference.npz"))
    args = parser.parse_args()

    cameras = read_qualisys(args.src / "Calib.qca.txt")
    names = [camera.name for camera in cameras]
    keypoints, confidence, speed = detect_all(args.src, names)

    undistorted = [dataclasses.replace(camera, dist=np.zeros(5)) for camera in cameras]
    plain = dict(min_confidence=MIN_CONFIDENCE, max_error_px=np.inf)
    steps = {"plain reading (no distortion)": summarise(
        triangulate(undistorted, keypoints, confidence, **plain), confidence, names)}
    steps["+ lens distortion"] = summarise(triangulate(cameras, keypoints, confidence, **plain),
                                           confidence, names)
    offsets = frame_offsets(cameras, keypoints, confidence)
    keypoints, frames = align(keypoints, offsets)
    confidence, _ = align(confidence, offsets)
    steps["+ frame offsets"] = summarise(triangulate(cameras, keypoints, confidence, **plain),
                                         confidence, names)
    keypoints, confidence, swapped = correct_left_right(cameras, keypoints, confidence,
                                                        min_confidence=MIN_CONFIDENCE)
    steps["+ left/right correction"] = summarise(triangulate(cameras, keypoints, confidence, **plain),
                                                 confidence, names)
    result = triangulate(cameras, keypoints, confidence, min_confidence=MIN_CONFIDENCE,
                         max_error_px=MAX_ERROR_PX)
    steps["+ outlier views dropped (the reference)"] = reference = summarise(result, confidence, names)

    report = {
        "source": "Pose2Sim Demo_SinglePerson (BSD-3-Clause), 4 cameras x 100 frames at 60 fps",
        "detector": "mediapipe 0.10.21 BlazePose, model_complexity=1, video mode, smoothing off",
        "triangulation": f"confidence-weighted DLT, views under confidence {MIN_CONFIDENCE} unused, "
                         f"views over {MAX_ERROR_PX:.0f} px reprojection error dropped",
        "frame_offsets": dict(zip(names, offsets.tolist())),
        "frames": len(frames),
        "left_right_swaps": {n: {"legs": int(s[:, 0].sum()), "arms": int(s[:, 1].sum())}
                             for n, s in zip(names, swapped)},
        "detection_frames_per_s": speed,
        "hardware": hardware.describe(),
        "targets": {"median_reprojection_px": 12, "limb_bone_length_sd_mm": 20},
        "reference": reference,
        "steps": steps,
    }
    atomic_write(args.json, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2) + "\n"))
    atomic_write(args.npz, lambda tmp: np.savez_compressed(
        tmp, points_3d=result.points.astype(np.float32), frames=frames, frame_offsets=offsets,
        camera_names=np.array(names), keypoints_2d=keypoints.astype(np.float32),
        confidence=confidence.astype(np.float32), used=result.used,
        K=np.stack([c.K for c in cameras]), dist=np.stack([c.dist for c in cameras]),
        R=np.stack([c.R for c in cameras]), t=np.stack([c.t for c in cameras]),
        joint_names=np.array(H36M_JOINTS)))
    print(json.dumps({k: report[k] for k in ("frame_offsets", "left_right_swaps", "detection_frames_per_s")}))
    for step, summary in steps.items():
        print(f"{step:42s} {summary['median_reprojection_px']:6.2f} px  bone sd "
              + " ".join(f"{b} {v:.1f}" for b, v in summary["bone_length_sd_mm"].items()))


if __name__ == "__main__":
    main()
