"""Monocular GFPose lifting of each Pose2Sim demo view against the 4-view reference (issue 13, item 5).

For every camera of ../shared/data/pose2sim-demo: its BlazePose 2D as saved with the reference
(benchmarks/footage/multiview_reference.npz: frame-aligned, and for cam02 with the left/right
labels the multi-view check corrected), undistorted to an ideal pinhole whose principal point is
the image centre, is lifted by the shipped model (default sampler, fp32, S hypotheses) at the
camera's calibrated focal length (gfpose.media.lift.estimate_take, ``focal_px``), in chains of
``--chain-frames`` warm-started frames as `gfpose lift` does (1: every frame independently). The reference is
moved into that camera's frame (x_cam = R x_world + t) and root-centred.

Reported per camera, for all 17 joints and without the head and neck (joints 9, 10, defined
differently by BlazePose and the training skeleton):

- P-MPJPE (Procrustes) of the first hypothesis (S = 1) and of the best of S;
- root-aligned MPJPE after one global scale per camera, the subject's size over the model's
  (summed median bone lengths of the reference over those of all hypotheses, head and neck
  bones excluded), at S = 1 and best of S;
- the same errors of the track `gfpose lift` writes (gfpose.media.lift.select_track: the coherent
  path through the hypotheses, scaled likewise), and its acceleration error against the reference:
  mean over frames and joints of the norm of the difference of second differences, mm/frame^2 at
  60 fps; and the reference's and the track's own mean acceleration for scale;
- how well the first hypothesis and the reference explain the lifted 2D (orthographic fit, px), and
  each camera's pitch, roll and distance (the model was trained on upright cameras 4-6 m away).

Writes docs/results/monocular_footage.json and docs/images/footage_monocular.png (one frame per
camera: the video with its 2D above, the lifted track over the reference in black below).
``--cache`` keeps the hypotheses in an npz and reuses them on the next run.

    python benchmarks/footage/monocular_vs_reference.py [--src ../shared/data/pose2sim-demo] [--cache PATH]
        [--chain-frames 12] [--json docs/results/monocular_footage.json]
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
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import gfpose
from gfpose.atomic import atomic_write
from gfpose.data.keypoints import Keypoints2D
from gfpose.geometry import root_center
from gfpose.media.calibration import Camera, read_qualisys
from gfpose.media.lift import VIDEO_CHAIN_FRAMES, estimate_take, select_track, to_training_camera
from gfpose.media.video import open_media
from gfpose.metrics import min_mpjpe, mpjpe, p_mpjpe
from gfpose.skeleton import BONES, NUM_JOINTS
from gfpose.viz import GT_COLOR, plot_pose_2d, plot_pose_3d, set_equal_3d

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hardware  # noqa: E402  (benchmarks/hardware.py)

COMMAND = "python benchmarks/footage/monocular_vs_reference.py"
HYPOTHESES, SEED = 50, 0
FPS = 60.0  # the recording's frame rate
HEAD_NECK = (9, 10)
JOINT_SETS = {"all_joints": tuple(range(NUM_JOINTS)),
              "without_head_neck": tuple(j for j in range(NUM_JOINTS) if j not in HEAD_NECK)}
SIZE_BONES = tuple(bone for bone in BONES if not set(bone) & set(HEAD_NECK))


def ideal_pinhole(camera: Camera, keypoints: np.ndarray, image_size: tuple[int, int]) -> tuple[np.ndarray, float]:
    """Distorted px (T, 17, 2) -> px of an undistorted camera with the principal point at the image
    centre (what the model assumes), and that camera's focal length (mean of fx, fy)."""
    focal = float(np.mean(np.diag(camera.K)[:2]))
    return np.asarray(image_size) / 2 + focal * camera.normalise(keypoints), focal


def camera_attitude(camera: Camera, root_world: np.ndarray) -> dict:
    """Pitch (down positive) and roll of the camera against the world's +z up, in degrees, and the
    median root depth in mm: the model was trained on upright cameras 4-6 m away."""
    up = camera.R @ np.array([0.0, 0.0, 1.0])
    return {"pitch_deg": float(np.degrees(np.arcsin(-up[2]))),
            "roll_deg": float(np.degrees(np.arctan2(up[0], -up[1]))),
            "root_depth_mm": float(np.median(root_world @ camera.R[2] + camera.t[2]))}


def reference_in_camera(points_world: np.ndarray, camera: Camera) -> np.ndarray:
    """World reference (T, 17, 3) mm -> root-centred in the camera's frame (x right, y down, z forward)."""
    return root_center(points_world @ camera.R.T + camera.t)


def lift_camera(prior, keypoints: np.ndarray, confidence: np.ndarray, image_size, focal: float,
                chain_frames: int) -> np.ndarray:
    """(T, S, 17, 3) mm hypotheses of one view's ideal-pinhole 2D at its focal length."""
    sizes = np.tile(np.asarray(image_size, dtype=np.float32), (len(keypoints), 1))
    return estimate_take(prior, Keypoints2D(keypoints.astype(np.float32), confidence, sizes), HYPOTHESES,
                         seed=SEED, focal_px=focal, chain_frames=chain_frames)


def lift_all(prior, cameras, views: list[dict], cache: Path | None, chain_frames: int) -> tuple[np.ndarray, float]:
    """(V, T, S, 17, 3) hypotheses of every view and the lifting's frames/s (both from ``cache`` when it exists)."""
    if cache is not None and cache.exists():
        print(f"hypotheses from {cache}", flush=True)
        cached = np.load(cache)
        return cached["hypotheses"], float(cached["frames_per_s"])
    start, hypotheses = time.perf_counter(), []
    for camera, view in zip(cameras, views):
        hypotheses.append(lift_camera(prior, view["keypoints"], view["confidence"], view["image_size"],
                                      view["focal_px"], chain_frames))
        print(f"{camera.name}: lifted {len(view['keypoints'])} frames x {HYPOTHESES}", flush=True)
    hypotheses = np.stack(hypotheses)
    frames_per_s = hypotheses.shape[0] * hypotheses.shape[1] / (time.perf_counter() - start)
    if cache is not None:
        atomic_write(cache, lambda tmp: np.savez_compressed(tmp, hypotheses=hypotheses, frames_per_s=frames_per_s))
    return hypotheses, frames_per_s


def bone_size(poses: np.ndarray) -> float:
    """Sum over SIZE_BONES of each bone's median length (mm) over all poses (..., 17, 3)."""
    return float(sum(np.median(np.linalg.norm(poses[..., a, :] - poses[..., b, :], axis=-1))
                     for a, b in SIZE_BONES))


def acceleration(poses: np.ndarray) -> np.ndarray:
    """Second differences over frames of (T, J, 3) poses: (T - 2, J, 3) mm/frame^2."""
    return poses[2:] - 2 * poses[1:-1] + poses[:-2]


def mean_norm(x: np.ndarray) -> float:
    """Mean Euclidean norm over the last axis."""
    return float(np.linalg.norm(x, axis=-1).mean())


def weak_perspective_residual(poses: np.ndarray, keypoints: np.ndarray) -> float:
    """Mean px distance of 2D keypoints (T, 17, 2) from poses (T, 17, 3) seen orthographically,
    scaled and shifted per frame to fit: how well a 3D pose explains its 2D input."""
    a = poses[..., :2] - poses[..., :2].mean(-2, keepdims=True)
    b = keypoints - keypoints.mean(-2, keepdims=True)
    scale = (a * b).sum((-2, -1), keepdims=True) / (a * a).sum((-2, -1), keepdims=True)
    return mean_norm(scale * a - b)


def joint_set_errors(hyps: np.ndarray, scaled_track: np.ndarray, reference: np.ndarray, scale: float) -> dict:
    """Errors (mm) of (T, S, J, 3) hypotheses and a (T, J, 3) track against a (T, J, 3) reference."""
    h, ref = torch.from_numpy(hyps).double(), torch.from_numpy(reference).double()
    return {
        "p_mpjpe_s1": float(p_mpjpe(h[:, 0], ref).mean()),
        "p_mpjpe_best": float(min_mpjpe(h, ref, protocol=2).mean()),
        "mpjpe_scaled_s1": float(mpjpe(scale * h[:, 0], ref).mean()),
        "mpjpe_scaled_best": float(min_mpjpe(scale * h, ref, protocol=1).mean()),
        "mpjpe_unscaled_s1": float(mpjpe(h[:, 0], ref).mean()),
        "p_mpjpe_track": float(p_mpjpe(torch.from_numpy(scaled_track), ref).mean()),
        "mpjpe_scaled_track": float(mpjpe(torch.from_numpy(scaled_track), ref).mean()),
        "acceleration_error": mean_norm(acceleration(scaled_track) - acceleration(reference)),
        "reference_acceleration": mean_norm(acceleration(reference)),
        "track_acceleration": mean_norm(acceleration(scaled_track)),
    }


def scaled_track(hyps: np.ndarray, view: dict, scale: float) -> np.ndarray:
    """(T, S, 17, 3) -> the root-centred (T, 17, 3) track of `gfpose lift` (gfpose.media.lift.select_track,
    the coherent path through the hypotheses) times ``scale``."""
    sizes = np.tile(np.asarray(view["image_size"], dtype=np.float32), (len(hyps), 1))
    keypoints = to_training_camera(view["keypoints"].astype(np.float32), sizes, view["focal_px"])
    return root_center(select_track(hyps.astype(np.float32), keypoints, sizes, FPS).astype(np.float64)) * scale


def camera_errors(hyps: np.ndarray, reference: np.ndarray, keypoints: np.ndarray, scale: float,
                  track: np.ndarray) -> dict:
    """The global scale, the 2D fit (px) of the first hypothesis and of the reference to the lifted
    2D (T, 17, 2), and every joint set's errors of one camera's hypotheses (T, S, 17, 3)."""
    errors = {name: joint_set_errors(hyps[..., joints, :], track[:, joints], reference[:, joints], scale)
              for name, joints in JOINT_SETS.items()}
    fit = {"s1": weak_perspective_residual(hyps[:, 0], keypoints),
           "reference": weak_perspective_residual(reference, keypoints)}
    return {"scale": scale, "fit_2d_px": fit, **errors}


def average(per_camera: dict) -> dict:
    """Mean over cameras of every number of camera_errors (nested one level)."""
    rows = list(per_camera.values())
    return {key: (float(np.mean([r[key] for r in rows])) if not isinstance(value, dict)
                  else {k: float(np.mean([r[key][k] for r in rows])) for k in value})
            for key, value in rows[0].items()}


def rounded(x, digits: int = 1):
    """Round every float in nested dicts (scales to 3 digits)."""
    if isinstance(x, dict):
        return {k: rounded(v, 3 if k == "scale" else digits) for k, v in x.items()}
    return round(x, digits) if isinstance(x, float) else x


def markdown_table(per_camera: dict, joint_set: str) -> str:
    """One row per camera and the average: scale and the joint set's errors."""
    columns = ("p_mpjpe_s1", "p_mpjpe_best", "p_mpjpe_track", "mpjpe_scaled_s1", "mpjpe_scaled_best",
               "mpjpe_scaled_track", "track_acceleration", "acceleration_error", "reference_acceleration")
    header = ("| camera | scale | P-MPJPE S=1 | P-MPJPE best of 50 | P-MPJPE track | MPJPE scaled S=1 "
              "| MPJPE scaled best of 50 | MPJPE scaled track | track accel. | accel. error | reference accel. |")
    lines = [header, "|" + "---|" * (len(columns) + 2)]
    for name, row in per_camera.items():
        lines.append(f"| {name} | {row['scale']:.3f} | "
                     + " | ".join(f"{row[joint_set][c]:.1f}" for c in columns) + " |")
    return "\n".join(lines)


def video_frame(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` (RGB uint8) of a video."""
    return next(itertools.islice(open_media(path).frames(), index, None))


def draw_view(fig: Figure, column: int, image: np.ndarray, keypoints: np.ndarray, track: np.ndarray,
              reference: np.ndarray, title: str) -> None:
    """Column ``column`` (1-based) of the 2 x 4 figure: image with 2D above, 3D track over reference below."""
    ax = fig.add_subplot(2, 4, column)
    ax.imshow(image)
    plot_pose_2d(ax, keypoints)
    ax.set_aspect("equal", adjustable="box")  # keep the crop below (plot_pose_2d adjusts the data limits)
    lo, hi = keypoints.min(0), keypoints.max(0)
    margin = 0.15 * (hi - lo).max()
    ax.set_xlim(lo[0] - margin, hi[0] + margin)
    ax.set_ylim(hi[1] + margin, lo[1] - margin)
    ax.set_axis_off()
    ax.set_title(title, fontsize=9)
    ax3 = fig.add_subplot(2, 4, column + 4, projection="3d")
    ax3.view_init(elev=15, azim=-70)
    ax3.computed_zorder = False
    plot_pose_3d(ax3, track, fit=False)
    plot_pose_3d(ax3, reference, color=GT_COLOR, alpha=0.6, fit=False)
    set_equal_3d(ax3, np.stack([track, reference]))
    ax3.tick_params(labelsize=6)


def frame_errors(track: np.ndarray, reference: np.ndarray) -> tuple[float, float]:
    """P-MPJPE and root-aligned MPJPE (mm) of one scaled track pose against the reference."""
    t, r = torch.from_numpy(track).double(), torch.from_numpy(reference).double()
    return float(p_mpjpe(t, r)), float(mpjpe(t, r))


def save_figure(path: Path, src: Path, names, offsets, frame: int, raw_2d, tracks, references) -> None:
    """One frame (row ``frame`` of the reference) per camera; see draw_view."""
    fig = Figure(figsize=(16, 8), dpi=90)
    FigureCanvasAgg(fig)
    for v, name in enumerate(names):
        index = frame + int(offsets[v])
        procrustes, scaled = frame_errors(tracks[v][frame], references[v][frame])
        title = (f"{name} frame {index}: track (colour) vs reference (black)\n"
                 f"P-MPJPE {procrustes:.0f} mm, scaled MPJPE {scaled:.0f} mm")
        draw_view(fig, v + 1, video_frame(src / f"{name}.mp4", index), raw_2d[v, frame], tracks[v][frame],
                  references[v][frame], title)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp))


def load_views(src: Path, cameras, reference) -> list[dict]:
    """Per camera: ideal-pinhole 2D, confidence, video image size, focal length, undistortion shift, attitude."""
    views = []
    for v, camera in enumerate(cameras):
        size = open_media(src / f"{camera.name}.mp4").image_size
        raw = reference["keypoints_2d"][v].astype(np.float64)
        keypoints, focal = ideal_pinhole(camera, raw, size)
        views.append({"keypoints": keypoints, "confidence": reference["confidence"][v], "image_size": list(size),
                      "focal_px": focal, "undistortion_shift_px": mean_norm(keypoints - raw),
                      **camera_attitude(camera, reference["points_3d"][:, 0].astype(np.float64))})
    return views


def make_report(args, prior, views: dict, errors: dict, frames_per_s: float, shown: int) -> dict:
    """The JSON: settings, definitions, each camera's view, every camera's errors and their average."""
    return rounded({
        "command": COMMAND,
        "source": "Pose2Sim Demo_SinglePerson (BSD-3-Clause), 4 cameras x 96 frame-aligned frames at 60 fps",
        "reference": f"{args.reference} (docs/results/multiview_reference.json)",
        "model": "gfpose.PosePrior.pretrained(device='cpu', precision='fp32')",
        "sampler": dataclasses.asdict(prior.sampler.settings),
        "hypotheses": HYPOTHESES, "seed": SEED, "chain_frames": args.chain_frames,
        "input_2d": "the reference's saved BlazePose 2D (frame-aligned; cam02 left/right-corrected by the "
                    "multi-view check), undistorted to a pinhole with the principal point at the image centre",
        "units": "mm; accelerations mm/frame^2 at 60 fps; fit_2d_px px",
        "scale": "one per camera: the reference's summed median bone lengths over those of all hypotheses "
                 "(head and neck bones excluded); applied to the root-aligned MPJPE and the track",
        "acceleration": "mean over frames and joints of the norm of the difference of second differences; "
                        "track = the coherent path of gfpose lift (gfpose.media.lift.select_track)",
        "fit_2d_px": "mean px distance of the lifted (ideal-pinhole) 2D from the first hypothesis and from the "
                     "reference seen orthographically, scaled and shifted per frame to fit",
        "joint_sets": {"all_joints": "the 17 H36M joints",
                       "without_head_neck": f"all but {list(HEAD_NECK)} (neck, head)"},
        "figure": str(args.figure), "figure_frame": shown,
        "views": {name: {k: x for k, x in view.items() if k not in ("keypoints", "confidence")}
                  for name, view in views.items()},
        "lift_frames_per_s": frames_per_s,
        "hardware": hardware.describe(),
        "errors": {**errors, "average": average(errors)},
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data/pose2sim-demo"))
    parser.add_argument("--reference", type=Path, default=Path("benchmarks/footage/multiview_reference.npz"))
    parser.add_argument("--json", type=Path, default=Path("docs/results/monocular_footage.json"))
    parser.add_argument("--figure", type=Path, default=Path("docs/images/footage_monocular.png"))
    parser.add_argument("--cache", type=Path, default=None, help="npz of the hypotheses, reused if present")
    parser.add_argument("--chain-frames", type=int, default=VIDEO_CHAIN_FRAMES,
                        help="warm-started chains as gfpose lift draws them (1: every frame independently)")
    args = parser.parse_args()

    reference = dict(np.load(args.reference))
    if not (np.diff(reference["frames"]) == 1).all():
        raise SystemExit("the reference's frames are not consecutive; acceleration needs them to be")
    cameras = read_qualisys(args.src / "Calib.qca.txt")
    names = [camera.name for camera in cameras]
    if names != reference["camera_names"].tolist():
        raise SystemExit(f"cameras {names} differ from the reference's {reference['camera_names'].tolist()}")
    views = load_views(args.src, cameras, reference)
    prior = gfpose.PosePrior.pretrained(device="cpu", precision="fp32")
    hypotheses, frames_per_s = lift_all(prior, cameras, views, args.cache, args.chain_frames)
    hypotheses = hypotheses.astype(np.float64)

    references = [reference_in_camera(reference["points_3d"].astype(np.float64), c) for c in cameras]
    scales = [bone_size(ref) / bone_size(h) for h, ref in zip(hypotheses, references)]
    tracks = [scaled_track(h, view, scale) for h, view, scale in zip(hypotheses, views, scales)]
    errors = {name: camera_errors(h, ref, view["keypoints"], scale, track)
              for name, h, ref, view, scale, track in zip(names, hypotheses, references, views, scales, tracks)}
    shown = len(reference["frames"]) // 2
    save_figure(args.figure, args.src, names, reference["frame_offsets"], shown, reference["keypoints_2d"],
                tracks, references)
    report = make_report(args, prior, dict(zip(names, views)), errors, frames_per_s, shown)
    atomic_write(args.json, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2) + "\n"))
    for joint_set in JOINT_SETS:
        print(f"\n{joint_set} (mm; accelerations mm/frame^2)\n" + markdown_table(report["errors"], joint_set))


if __name__ == "__main__":
    main()
