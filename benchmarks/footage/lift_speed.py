"""Frames/s of `gfpose lift` on real footage (issue 13's target: 50 hypotheses at >= 30 frames/s).

Times what LiftResult.lift_seconds times, 2D -> hypotheses -> 3D track (gfpose.sequences.lift.estimate_take
and select_track), on the 4 Pose2Sim demo views' BlazePose 2D saved with the multi-view reference
(benchmarks/footage/multiview_reference.npz: 4 x 96 frames at 60 fps), with the shipped models, the
default sampler and 50 hypotheses, once per chain length in one process: 1 (every frame drawn from
the prior at T = 1) and the default chains of warm-started frames (gfpose.sequences.propagate).
Detection frames/s (BlazePose, gfpose.media.detect) is timed beside it on the committed clip when
the video extra is installed. Writes docs/results/lift_speed.json.

    python benchmarks/footage/lift_speed.py [--threads N] [--chains 1,12]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from importlib import resources
from pathlib import Path

import numpy as np
import torch

import gfpose
from gfpose.atomic import atomic_write
from gfpose.data.keypoints import Keypoints2D
from gfpose.errors import InputError
from gfpose.media.extra import require
from gfpose.sequences.lift import CHAIN_FRAMES, estimate_take, select_track

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hardware  # noqa: E402  (benchmarks/hardware.py)

HYPOTHESES, FPS = 50, 60.0
ROOT = Path(__file__).resolve().parents[2]


def views_2d(reference: dict) -> list[Keypoints2D]:
    """Each camera's saved 2D (px) with its confidence, in portrait frames of 1088 x 1920 px (the
    larger of the cameras' sizes: the timing does not depend on it)."""
    keypoints, confidence = reference["keypoints_2d"].astype(np.float32), reference["confidence"]
    sizes = np.tile(np.array([1088.0, 1920.0], np.float32), (keypoints.shape[1], 1))
    return [Keypoints2D(kp, conf, sizes) for kp, conf in zip(keypoints, confidence)]


def lift_rate(prior, views: list[Keypoints2D], chain_frames: int) -> dict:
    """Frames/s of hypotheses + track over all views, and the seconds of each part."""
    sampling = tracking = 0.0
    for view in views:
        start = time.perf_counter()
        hyps = estimate_take(prior.sampler_for("estimate", view.joints), view, HYPOTHESES,
                             chain_frames=chain_frames)
        middle = time.perf_counter()
        select_track(hyps, view, FPS)
        sampling, tracking = sampling + middle - start, tracking + time.perf_counter() - middle
    frames = sum(len(view.keypoints) for view in views)
    return {"chain_frames": chain_frames, "frames": frames, "hypotheses_seconds": round(sampling, 2),
            "track_seconds": round(tracking, 2), "frames_per_s": round(frames / (sampling + tracking), 1)}


def detection_rate() -> dict | None:
    """BlazePose frames/s on the committed clip, or None without the video extra."""
    try:
        require("mediapipe", "detection")
    except InputError:
        return None
    from gfpose.media.lift import detect_media
    clip = Path(str(resources.files("gfpose") / "assets" / "footage" / "pose2sim_cam01.mp4"))
    keypoints, _, _, frames_per_s, _ = detect_media(clip)
    return {"clip": clip.name, "frames": len(keypoints.keypoints), "frames_per_s": round(frames_per_s, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=ROOT / "benchmarks/footage/multiview_reference.npz")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    parser.add_argument("--chains", default=f"1,{CHAIN_FRAMES}", help="chain lengths to time")
    parser.add_argument("--json", type=Path, default=ROOT / "docs/results/lift_speed.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    prior = gfpose.PosePrior.pretrained(device="cpu")
    views = views_2d(dict(np.load(args.reference)))
    estimate_take(prior.sampler_for("estimate"), views[0], HYPOTHESES)  # warm-up: the network's first calls are slower
    rows = []
    for chain in (int(c) for c in args.chains.split(",")):
        rows.append(lift_rate(prior, views, chain))
        print(rows[-1], flush=True)
    report = {"command": " ".join(["python", *sys.argv]), "hypotheses": HYPOTHESES,
              "sampler": vars(prior.sampler_for("estimate").settings), "threads": torch.get_num_threads(),
              "lifting": rows, "speed_up": round(rows[-1]["frames_per_s"] / rows[0]["frames_per_s"], 2),
              "detection": detection_rate(), "hardware": hardware.describe()}
    atomic_write(args.json, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2) + "\n"))
    print(json.dumps({k: report[k] for k in ("lifting", "speed_up", "detection")}, indent=1))


if __name__ == "__main__":
    main()
