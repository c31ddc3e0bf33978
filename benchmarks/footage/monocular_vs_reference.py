"""Monocular GFPose lifting of each Pose2Sim demo view against the 4-view reference (issue 13, item 5).

For every camera of ../shared/data/pose2sim-demo: its BlazePose 2D as saved with the reference
(benchmarks/footage/multiview_reference.npz: frame-aligned, and for cam02 with the left/right
labels the multi-view check corrected), undistorted to an ideal pinhole whose principal point is
the image centre, is lifted by the shipped model (default sampler, fp32, S hypotheses) at the
camera's calibrated focal length (gfpose.sequences.lift.estimate_take, ``focal_px``), in chains of
``--chain-frames`` warm-started frames as `gfpose lift` does (1: every frame independently). The reference is
moved into that camera's frame (x_cam = R x_world + t) and root-centred.

Reported per camera, for all 17 joints and without the head and neck (joints 9, 10, defined
differently by BlazePose and the training skeleton):

- P-MPJPE (Procrustes) of the first hypothesis (S = 1), of the best of S and of the hypotheses' mean
  (lift.npz's interval_center);
- root-aligned MPJPE after one global scale per camera, the subject's size over the model's
  (summed median bone lengths of the reference over those of all hypotheses, head and neck
  bones excluded), at S = 1, best of S and for the mean;
- the same errors of the track `gfpose lift` writes (gfpose.sequences.lift.select_track: the coherent
  path through the hypotheses, scaled likewise), and its acceleration error against the reference:
  mean over frames and joints of the norm of the difference of second differences, mm/frame^2 at
  60 fps; and the reference's and the track's own mean acceleration for scale;
- the foot skate of the track placed in the camera frame as `gfpose lift` places it (feet held while
  in contact), scaled likewise: mm of horizontal ankle slide per frame pair where the reference's foot
  is in contact (gfpose.sequences.contacts), beside the reference's own;
- how well the first hypothesis and the reference explain the lifted 2D (orthographic fit, px), and
  each camera's pitch, roll and distance (the model was trained on upright cameras 4-6 m away).

The peer (issue 28): mediapipe's own 3D, BlazePose's world landmarks of the same video frames
(benchmarks/footage/blazepose_3d.py: H36M-17, camera-like axes), with the left/right labels of its
limbs exchanged in the frames where the multi-view check exchanged its 2D's (so that it has the
labels gfpose's input has), scored the same way: P-MPJPE, root-aligned MPJPE after one global scale
per camera by the same bone rule, and the acceleration error; with mediapipe's landmark smoothing
on; and with its labels as output.

Both together (issue 28, item 6): the same lift with every frame started from mediapipe's 3D (as
labelled) perturbed to DETECTOR_START_NOISE_MM of noise (gfpose.sequences.lift.estimate_take,
``start_3d_mm``), scored as gfpose's own (``from_detector_3d`` in the JSON).

Writes docs/results/monocular_footage.json and docs/images/footage_monocular.png (one frame per
camera: the video with its 2D above, the lifted track over the reference in black below).
``--cache`` keeps the hypotheses in an npz and reuses them on the next run.

The two-person clip (``--src ../shared/data/pose2sim-demo-multiperson``) is scored against its
reference (benchmarks/footage/multiview_reference_multiperson.npz) one person at a time
(``--person``, default every one), into docs/results/monocular_footage_multiperson.json (no figure
unless ``--figure`` is given; the hypotheses' cache gets a ``_person<p>`` suffix). Frames where
the reference, the lifted 2D or BlazePose lack a joint are left out of the errors.

    python benchmarks/footage/monocular_vs_reference.py [--src ../shared/data/pose2sim-demo] [--cache PATH]
        [--chain-frames 12] [--json docs/results/monocular_footage.json] [--reference NPZ] [--person P]
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
from triangulate import LIMB_PAIRS

import gfpose
from gfpose.atomic import atomic_write
from gfpose.checkpoint import load_model
from gfpose.data.keypoints import Keypoints2D
from gfpose.geometry import root_center
from gfpose.media.calibration import Camera, read_qualisys
from gfpose.media.video import open_media
from gfpose.metrics import min_mpjpe, mpjpe, p_mpjpe
from gfpose.prior import ESTIMATION_FILE, asset_path, pretrained_path
from gfpose.sequences.contacts import FEET, TRUE_CONTACTS, WORLD_UP, detect_contacts, foot_skate
from gfpose.sequences.lift import CHAIN_FRAMES, central_take, estimate_take, select_track
from gfpose.sequences.propagate import DETECTOR_START_NOISE_MM
from gfpose.skeleton import BONES, NUM_JOINTS
from gfpose.viz import GT_COLOR, plot_pose_2d, plot_pose_3d, set_equal_3d

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hardware  # noqa: E402  (benchmarks/hardware.py)
from blazepose_3d import default_cache, load_clip  # noqa: E402  (benchmarks/footage/blazepose_3d.py)
from multiview_reference import CLIPS, clip_suffix  # noqa: E402

COMMAND = "python benchmarks/footage/monocular_vs_reference.py"
HYPOTHESES, SEED = 50, 0
FPS = 60.0  # the recording's frame rate
HEAD_NECK = (9, 10)
JOINT_SETS = {"all_joints": tuple(range(NUM_JOINTS)),
              "without_head_neck": tuple(j for j in range(NUM_JOINTS) if j not in HEAD_NECK)}
SIZE_BONES = tuple(bone for bone in BONES if not set(bone) & set(HEAD_NECK))
PEER_LABELS = {"mediapipe_3d": "mediapipe 3D", "mediapipe_3d_smoothed": "mediapipe 3D smoothed",
               "mediapipe_3d_as_output": "mediapipe 3D labels as output"}


def camera_attitude(camera: Camera, root_world: np.ndarray) -> dict:
    """Pitch (down positive) and roll of the camera against the world's +z up, in degrees, and the
    median root depth in mm: the model was trained on upright cameras 4-6 m away."""
    up = camera.R @ np.array([0.0, 0.0, 1.0])
    return {"pitch_deg": float(np.degrees(np.arcsin(-up[2]))),
            "roll_deg": float(np.degrees(np.arctan2(up[0], -up[1]))),
            "root_depth_mm": float(np.nanmedian(root_world @ camera.R[2] + camera.t[2]))}


def reference_in_camera(points_world: np.ndarray, camera: Camera) -> np.ndarray:
    """World reference (T, 17, 3) mm -> root-centred in the camera's frame (x right, y down, z forward)."""
    return root_center(points_world @ camera.R.T + camera.t)


def open_prior(detector: Path | None):
    """The shipped models, with another detector model file where one is given; a model file with
    mocap joints reads the detector's 2D as its own (the derived-joint lever of benchmarks/levers.py)."""
    if detector is None:
        return gfpose.PosePrior.pretrained(device="cpu", precision="fp32")
    if load_model(detector)[1].model.joints == "mocap":
        return gfpose.PosePrior.load(pretrained_path(), device="cpu", precision="fp32", estimation=detector)
    estimation = asset_path(ESTIMATION_FILE)
    return gfpose.PosePrior.load(pretrained_path(), device="cpu", precision="fp32",
                                 estimation=estimation if estimation.is_file() else None, detector=detector)


def model_description(sampler) -> dict:
    """The lifting model's joint definition and mask strategy (from its saved config)."""
    config = getattr(sampler, "estimation", sampler).config
    return {"joints": config.model.joints, "mask_strategy": config.train.mask_strategy}


def detected_keypoints(view: dict) -> Keypoints2D:
    """One view's ideal-pinhole BlazePose 2D as detector keypoints."""
    keypoints = view["keypoints"]
    sizes = np.tile(np.asarray(view["image_size"], dtype=np.float32), (len(keypoints), 1))
    return Keypoints2D(keypoints.astype(np.float32), view["confidence"], sizes, joints="detector")


def lift_camera(prior, view: dict, chain_frames: int, start_3d: np.ndarray | None = None) -> np.ndarray:
    """(T, S, 17, 3) mm hypotheses of one view's ideal-pinhole 2D at its focal length (BlazePose's
    keypoints: the detector model draws them where one is shipped, as `gfpose lift` does), each
    frame started from ``start_3d`` (T, 17, 3) mm where given."""
    detected = detected_keypoints(view)
    return estimate_take(prior.sampler_for("estimate", detected.joints), detected, HYPOTHESES, seed=SEED,
                         focal_px=view["focal_px"], chain_frames=chain_frames, start_3d_mm=start_3d)


def lift_all(prior, cameras, views: list[dict], cache: Path | None, chain_frames: int,
             starts: list | None = None) -> tuple[np.ndarray, np.ndarray, float]:
    """(V, T, S, 17, 3) hypotheses of every view (each started from its ``starts`` where given), the
    (V, T, 17, 3) central answers and the lifting's frames/s (all from ``cache`` when it exists)."""
    if cache is not None and cache.exists():
        print(f"hypotheses from {cache}", flush=True)
        cached = np.load(cache)
        return cached["hypotheses"], cached["central"], float(cached["frames_per_s"])
    start, hypotheses = time.perf_counter(), []
    for camera, view, start_3d in zip(cameras, views, starts or [None] * len(views)):
        hypotheses.append(lift_camera(prior, view, chain_frames, start_3d))
        print(f"{camera.name}: lifted {len(view['keypoints'])} frames x {HYPOTHESES}", flush=True)
    hypotheses = np.stack(hypotheses)
    frames_per_s = hypotheses.shape[0] * hypotheses.shape[1] / (time.perf_counter() - start)
    central = np.stack([central_take(prior.sampler_for("estimate", "detector"), detected_keypoints(view),
                                     view["focal_px"]) for view in views])
    if cache is not None:
        atomic_write(cache, lambda tmp: np.savez_compressed(tmp, hypotheses=hypotheses, central=central,
                                                            frames_per_s=frames_per_s))
    return hypotheses, central, frames_per_s


def bone_size(poses: np.ndarray) -> float:
    """Sum over SIZE_BONES of each bone's median length (mm) over all poses (..., 17, 3)."""
    return float(sum(np.nanmedian(np.linalg.norm(poses[..., a, :] - poses[..., b, :], axis=-1))
                     for a, b in SIZE_BONES))


def acceleration(poses: np.ndarray) -> np.ndarray:
    """Second differences over frames of (T, J, 3) poses: (T - 2, J, 3) mm/frame^2."""
    return poses[2:] - 2 * poses[1:-1] + poses[:-2]


def mean_norm(x: np.ndarray) -> float:
    """Mean Euclidean norm over the last axis (NaN, a missing joint, left out)."""
    return float(np.nanmean(np.linalg.norm(x, axis=-1)))


def weak_perspective_residual(poses: np.ndarray, keypoints: np.ndarray) -> float:
    """Mean px distance of 2D keypoints (T, 17, 2) from poses (T, 17, 3) seen orthographically,
    scaled and shifted per frame to fit: how well a 3D pose explains its 2D input."""
    a = poses[..., :2] - poses[..., :2].mean(-2, keepdims=True)
    b = keypoints - keypoints.mean(-2, keepdims=True)
    scale = (a * b).sum((-2, -1), keepdims=True) / (a * a).sum((-2, -1), keepdims=True)
    return mean_norm(scale * a - b)


def complete(*poses: np.ndarray) -> np.ndarray:
    """(T,) bool: the frames where each of the (T, ..., J, D) arrays has every joint."""
    return np.logical_and.reduce([np.isfinite(x).reshape(len(x), -1).all(axis=1) for x in poses])


def joint_set_errors(hyps: np.ndarray, scaled_track: np.ndarray, reference: np.ndarray, scale: float,
                     central: np.ndarray) -> dict:
    """Errors (mm) of (T, S, J, 3) hypotheses, a (T, J, 3) track and (T, J, 3) central answers against a
    (T, J, 3) reference (frame by frame on the frames where none lacks a joint)."""
    ok = complete(hyps, scaled_track, reference, central)
    h, ref = torch.from_numpy(hyps[ok]).double(), torch.from_numpy(reference[ok]).double()
    one = torch.from_numpy(central[ok]).double()
    return {
        "p_mpjpe_central": float(p_mpjpe(one, ref).mean()),
        "mpjpe_scaled_central": float(mpjpe(scale * one, ref).mean()),
        "p_mpjpe_s1": float(p_mpjpe(h[:, 0], ref).mean()),
        "p_mpjpe_best": float(min_mpjpe(h, ref, protocol=2).mean()),
        "mpjpe_scaled_s1": float(mpjpe(scale * h[:, 0], ref).mean()),
        "mpjpe_scaled_best": float(min_mpjpe(scale * h, ref, protocol=1).mean()),
        "mpjpe_unscaled_s1": float(mpjpe(h[:, 0], ref).mean()),
        "p_mpjpe_mean": float(p_mpjpe(h.mean(1), ref).mean()),
        "mpjpe_scaled_mean": float(mpjpe(scale * h.mean(1), ref).mean()),
        "p_mpjpe_track": float(p_mpjpe(torch.from_numpy(scaled_track[ok]), ref).mean()),
        "mpjpe_scaled_track": float(mpjpe(torch.from_numpy(scaled_track[ok]), ref).mean()),
        "acceleration_error": mean_norm(acceleration(scaled_track) - acceleration(reference)),
        "reference_acceleration": mean_norm(acceleration(reference)),
        "track_acceleration": mean_norm(acceleration(scaled_track)),
    }


def scaled_track(hyps: np.ndarray, view: dict, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, S, 17, 3) -> the root-centred (T, 17, 3) track of `gfpose lift` (gfpose.sequences.lift.select_track,
    the coherent path through the hypotheses) and the same placed in the camera frame (its root path, feet held
    while in contact), both times ``scale`` (about the camera centre: the placed track still fits the 2D)."""
    sizes = np.tile(np.asarray(view["image_size"], dtype=np.float32), (len(hyps), 1))
    keypoints = Keypoints2D(view["keypoints"].astype(np.float32), None, sizes, joints="detector")
    placed = select_track(hyps.astype(np.float32), keypoints, FPS, float(view["focal_px"]))
    return root_center(placed.track.astype(np.float64)) * scale, placed.points.astype(np.float64) * scale


def reference_contacts(world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The world reference (T, 17, 3) with joints missing in some frames filled by linear interpolation over
    time, and its feet's contacts (T, 2) (TRUE_CONTACTS), none in a frame where an ankle was missing."""
    frames, filled = np.arange(len(world)), world.copy()
    for joint, axis in np.ndindex(world.shape[1:]):
        known = np.isfinite(world[:, joint, axis])
        filled[:, joint, axis] = np.interp(frames, frames[known], world[known, joint, axis])
    contacts = detect_contacts(filled, FPS, WORLD_UP, TRUE_CONTACTS)
    return filled, contacts & np.isfinite(world[:, FEET]).all(axis=-1)


def skate(points: np.ndarray, contacts: np.ndarray, up) -> float:
    """foot_skate of (T, 17, 3) points over the contact frames where their ankles are known."""
    known = np.isfinite(points[:, FEET]).all(axis=-1)
    return foot_skate(np.nan_to_num(points), contacts & known, up)


def score_views(hypotheses: np.ndarray, central: np.ndarray, views: list[dict], references: list, names: list,
                cameras: list, reference_world: np.ndarray) -> tuple[dict, list]:
    """Every camera's errors (camera_errors) of its (T, S, 17, 3) hypotheses and (T, 17, 3) central
    answers, and its scaled track; with
    the foot skate (gfpose.sequences.contacts.foot_skate: mm of horizontal ankle slide per frame pair the
    reference's foot is in contact, TRUE_CONTACTS on the world reference, z up) of the placed track and of
    the reference itself."""
    hypotheses = hypotheses.astype(np.float64)
    scales = [bone_size(ref) / bone_size(h) for h, ref in zip(hypotheses, references)]
    tracks = [scaled_track(h, view, scale) for h, view, scale in zip(hypotheses, views, scales)]
    reference_world, contacts = reference_contacts(reference_world)
    errors = {}
    for name, h, one, ref, view, scale, (track, placed), camera in zip(names, hypotheses, central, references, views,
                                                                        scales, tracks, cameras):
        errors[name] = camera_errors(h, ref, view["keypoints"], scale, track, one.astype(np.float64))
        errors[name]["foot_skate_mm"] = {"track": skate(placed, contacts, camera.R @ WORLD_UP),
                                         "reference": skate(reference_world, contacts, WORLD_UP)}
    return errors, [track for track, _ in tracks]


def camera_errors(hyps: np.ndarray, reference: np.ndarray, keypoints: np.ndarray, scale: float,
                  track: np.ndarray, central: np.ndarray) -> dict:
    """The global scale, the 2D fit (px) of the first hypothesis and of the reference to the lifted
    2D (T, 17, 2), and every joint set's errors of one camera's hypotheses (T, S, 17, 3) and central
    answers (T, 17, 3)."""
    errors = {name: joint_set_errors(hyps[..., joints, :], track[:, joints], reference[:, joints], scale,
                                     central[:, joints]) for name, joints in JOINT_SETS.items()}
    fit = {"s1": weak_perspective_residual(hyps[:, 0], keypoints),
           "reference": weak_perspective_residual(reference, keypoints)}
    return {"scale": scale, "fit_2d_px": fit, **errors}


def as_labelled(poses: np.ndarray, detected: np.ndarray, labelled: np.ndarray) -> tuple[np.ndarray, int]:
    """Poses (T, 17, 3) with left and right limbs (LIMB_PAIRS) exchanged in the frames where the
    reference's 2D ``labelled`` (T, 17, 2), corrected by the multi-view check, has the detector's 2D
    ``detected`` (as output) exchanged; and how many limb pairs were exchanged."""
    poses, exchanged = poses.copy(), 0
    for joints in map(np.array, LIMB_PAIRS.values()):
        mirrored = np.roll(joints, len(joints) // 2)
        distance = [np.nan_to_num(np.linalg.norm(detected[:, order] - labelled[:, joints], axis=-1)).sum(1)
                    for order in (joints, mirrored)]
        frames = distance[1] < distance[0]
        poses[np.ix_(frames, joints)] = poses[np.ix_(frames, mirrored)]
        exchanged += int(frames.sum())
    return poses, exchanged


def peer_errors(poses: np.ndarray, reference: np.ndarray) -> dict:
    """One global scale (the bone rule) and each joint set's P-MPJPE, scaled root-aligned MPJPE (frames
    where neither lacks a joint), own acceleration and acceleration error (mm, mm/frame^2) of a
    (T, 17, 3) track (mediapipe's 3D) against the (T, 17, 3) reference."""
    scale = bone_size(reference) / bone_size(poses)
    errors = {"scale": scale}
    for name, joints in JOINT_SETS.items():
        track, ref = scale * poses[:, joints], reference[:, joints]
        ok = complete(track, ref)
        t, r = torch.from_numpy(track[ok]), torch.from_numpy(ref[ok])
        errors[name] = {"p_mpjpe": float(p_mpjpe(t, r).mean()), "mpjpe_scaled": float(mpjpe(t, r).mean()),
                        "acceleration": mean_norm(acceleration(track)),
                        "acceleration_error": mean_norm(acceleration(track) - acceleration(ref))}
    return errors


def peer_poses(peer: dict, person: int, reference: dict, view: int) -> tuple[dict, int]:
    """mediapipe's 3D (T, 17, 3) of one camera on the reference's frames, per PEER_LABELS variant: as
    labelled (the reference's left/right corrections), smoothed (landmark smoothing on, as labelled)
    and as output; and the limb pairs relabelled."""
    index, who = reference["frames"] + reference["frame_offsets"][view], person_order(reference)[person, view]
    plain, smoothed = peer["world"][who, view, index], peer["world_smoothed"][who, view, index]
    detected, labelled = peer["keypoints_2d"][who, view, index], reference["keypoints_2d"][view]
    (plain_labelled, relabelled), (smoothed_labelled, _) = (
        as_labelled(poses, detected, labelled) for poses in (plain, smoothed))
    return dict(zip(PEER_LABELS, (plain_labelled, smoothed_labelled, plain))), relabelled


def peer_all(peer: dict, person: int, reference: dict, references: list, names: list) -> dict:
    """peer_poses of each camera against the reference: every variant's errors per camera
    (peer_errors) and their average, and the limb pairs relabelled per camera."""
    variants = {variant: {} for variant in PEER_LABELS}
    relabelled = {}
    for v, (name, ref) in enumerate(zip(names, references)):
        poses, relabelled[name] = peer_poses(peer, person, reference, v)
        for variant in variants:
            variants[variant][name] = peer_errors(poses[variant], ref)
    return {"relabelled_limb_pairs": relabelled,
            **{variant: {**rows, "average": average(rows)} for variant, rows in variants.items()}}


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


def comparison_table(report: dict, joint_set: str) -> str:
    """Per camera and on average: gfpose (S = 1, track; alone and started from mediapipe's 3D) beside
    mediapipe's 3D (PEER_LABELS)."""
    lines = ["| camera | method | scale | P-MPJPE | MPJPE scaled | accel. | accel. error |", "|" + "---|" * 7]
    peer = report["peer"]
    for camera in report["errors"]:
        rows = []
        for label, row in (("gfpose", report["errors"][camera]),
                           ("gfpose from mediapipe 3D", report["from_detector_3d"]["errors"][camera])):
            ours = row[joint_set]
            rows += [(f"{label} S=1", row["scale"], ours["p_mpjpe_s1"], ours["mpjpe_scaled_s1"], None, None),
                     *([("gfpose central", row["scale"], ours["p_mpjpe_central"], ours["mpjpe_scaled_central"], None,
                         None)] if label == "gfpose" else []),
                     (f"{label} track", row["scale"], ours["p_mpjpe_track"], ours["mpjpe_scaled_track"],
                      ours["track_acceleration"], ours["acceleration_error"])]
        rows += [(label, peer[variant][camera]["scale"],
                  *(peer[variant][camera][joint_set][k] for k in ("p_mpjpe", "mpjpe_scaled", "acceleration",
                                                                  "acceleration_error")))
                 for variant, label in PEER_LABELS.items()]
        lines += [f"| {camera} | {label} | {scale:.3f} | "
                  + " | ".join("-" if x is None else f"{x:.1f}" for x in values) + " |"
                  for label, scale, *values in rows]
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
        keypoints, focal = camera.ideal_pinhole(raw, size)  # the 2D `gfpose lift --calibration` lifts
        views.append({"keypoints": keypoints, "confidence": reference["confidence"][v], "image_size": list(size),
                      "focal_px": focal, "undistortion_shift_px": mean_norm(keypoints - raw),
                      **camera_attitude(camera, reference["points_3d"][:, 0].astype(np.float64))})
    return views


def person_order(reference: dict) -> np.ndarray:
    """(P, V): which of BlazePose's tracked people of each view is the reference's person p (blazepose_3d.py)."""
    return reference.get("people_order", np.zeros((1, len(reference["camera_names"])), dtype=int))


def person_view(reference: dict, person: int) -> dict:
    """One person of a reference: a two-person reference's per-person arrays (leading person axis) indexed."""
    if reference["points_3d"].ndim == 3:
        return reference
    return {k: (v[person] if k in ("points_3d", "keypoints_2d", "confidence", "used") else v)
            for k, v in reference.items()}


def make_report(args, prior, views: dict, errors: dict, peer: dict, frames_per_s: float, figure, shown: int,
                frames: int, from_detector_3d: dict) -> dict:
    """The JSON: settings, definitions, each camera's view, every camera's errors and their average, those
    of the lift started from mediapipe's 3D, the peer's."""
    suffix = clip_suffix(args.src)
    return rounded({
        "command": COMMAND,
        "source": f"{CLIPS.get(args.src.resolve().name, args.src.name)} (BSD-3-Clause), "
                  f"{len(views)} cameras x {frames} frame-aligned frames at 60 fps",
        "reference": f"{args.reference} (docs/results/multiview_reference{suffix}.json)",
        "model": "gfpose.PosePrior.pretrained(device='cpu', precision='fp32')"
                 + ("" if args.detector is None else f" with the detector model {args.detector}"),
        "estimation_model": model_description(prior.sampler_for("estimate", "detector")),
        "sampler": dataclasses.asdict(prior.sampler.settings),
        "hypotheses": HYPOTHESES, "seed": SEED, "chain_frames": args.chain_frames,
        "input_2d": "the reference's saved BlazePose 2D (frame-aligned; left/right-corrected by the multi-view "
                    "check where a view had them exchanged), undistorted to a pinhole with the principal point "
                    "at the image centre",
        "units": "mm; accelerations mm/frame^2 at 60 fps; fit_2d_px px",
        "scale": "one per camera: the reference's summed median bone lengths over those of all hypotheses "
                 "(head and neck bones excluded); applied to the root-aligned MPJPE and the track",
        "acceleration": "mean over frames and joints of the norm of the difference of second differences; "
                        "track = the coherent path of gfpose lift (gfpose.sequences.lift.select_track)",
        "fit_2d_px": "mean px distance of the lifted (ideal-pinhole) 2D from the first hypothesis and from the "
                     "reference seen orthographically, scaled and shifted per frame to fit",
        "joint_sets": {"all_joints": "the 17 H36M joints",
                       "without_head_neck": f"all but {list(HEAD_NECK)} (neck, head)"},
        "figure": None if figure is None else str(figure), "figure_frame": shown,
        "views": {name: {k: x for k, x in view.items() if k not in ("keypoints", "confidence")}
                  for name, view in views.items()},
        "lift_frames_per_s": frames_per_s,
        "hardware": hardware.describe(),
        "errors": {**errors, "average": average(errors)},
        "from_detector_3d": {
            "what": "the same lift with every frame started from mediapipe's 3D (the peer's mediapipe_3d "
                    f"variant) perturbed to {DETECTOR_START_NOISE_MM:g} mm noise and drawn back under the 2D "
                    "(gfpose.sequences.lift.estimate_take, start_3d_mm); "
                    "scored as errors",
            "start_noise_mm": DETECTOR_START_NOISE_MM,
            "lift_frames_per_s": from_detector_3d["lift_frames_per_s"],
            "errors": {**from_detector_3d["errors"], "average": average(from_detector_3d["errors"])},
        },
        "peer": {
            "what": "mediapipe 0.10.21 BlazePose's own 3D (pose_world_landmarks, model_complexity=1, video mode) "
                    "of the same video frames, mapped to H36M-17 as its 2D is, in camera-like axes "
                    "(benchmarks/footage/blazepose_3d.py, cached in " + str(args.blazepose) + ")",
            "variants": {"mediapipe_3d": "landmark smoothing off (as the reference's 2D), left/right limbs "
                                         "exchanged where the multi-view check exchanged its 2D's (the labels "
                                         "gfpose's input has)",
                         "mediapipe_3d_smoothed": "the same with mediapipe's landmark smoothing on (relabelled "
                                                  "in the same frames)",
                         "mediapipe_3d_as_output": "smoothing off, left/right labels as BlazePose output them"},
            "metrics": "P-MPJPE; root-aligned MPJPE after one global scale per camera (the reference's summed "
                      "median bone lengths over mediapipe's); acceleration (of the scaled track) and "
                      "acceleration error as for gfpose's track",
            **peer,
        },
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data/pose2sim-demo"))
    parser.add_argument("--reference", type=Path, default=None,
                        help="default benchmarks/footage/multiview_reference<clip>.npz")
    parser.add_argument("--person", type=int, default=None, help="a two-person reference's person (default: each)")
    parser.add_argument("--json", type=Path, default=None, help="default docs/results/monocular_footage<clip>.json")
    parser.add_argument("--figure", type=Path, default=None,
                        help="default docs/images/footage_monocular.png for the one-person clip, none otherwise")
    parser.add_argument("--cache", type=Path, default=None, help="npz of the hypotheses, reused if present")
    parser.add_argument("--detector", type=Path, default=None,
                        help="a detector model file (model.joints = detector) instead of the shipped one")
    parser.add_argument("--blazepose", type=Path, default=None,
                        help="npz of BlazePose's 3D (default benchmarks/footage/blazepose_<clip>.npz, made if missing)")
    parser.add_argument("--chain-frames", type=int, default=CHAIN_FRAMES,
                        help="warm-started chains as gfpose lift draws them (1: every frame independently)")
    args = parser.parse_args()
    suffix = clip_suffix(args.src)
    args.reference = args.reference or Path(f"benchmarks/footage/multiview_reference{suffix}.npz")
    args.json = args.json or Path(f"docs/results/monocular_footage{suffix}.json")
    if args.figure is None and not suffix:
        args.figure = Path("docs/images/footage_monocular.png")

    full = dict(np.load(args.reference))
    if not (np.diff(full["frames"]) == 1).all():
        raise SystemExit("the reference's frames are not consecutive; acceleration needs them to be")
    cameras = read_qualisys(args.src / "Calib.qca.txt")
    names = [camera.name for camera in cameras]
    if names != full["camera_names"].tolist():
        raise SystemExit(f"cameras {names} differ from the reference's {full['camera_names'].tolist()}")
    people = len(person_order(full))
    peer = load_clip(args.src, people, args.blazepose)
    args.blazepose = args.blazepose or default_cache(args.src)
    prior = open_prior(args.detector)
    reports = {}
    for person in range(people) if args.person is None else [args.person]:
        tag = "" if people == 1 else f"_person{person}"
        reference = person_view(full, person)
        views = load_views(args.src, cameras, reference)
        cache = None if args.cache is None else args.cache.with_name(args.cache.stem + tag + args.cache.suffix)
        references = [reference_in_camera(reference["points_3d"].astype(np.float64), c) for c in cameras]
        hypotheses, central, frames_per_s = lift_all(prior, cameras, views, cache, args.chain_frames)
        world = reference["points_3d"].astype(np.float64)
        errors, tracks = score_views(hypotheses, central, views, references, names, cameras, world)
        starts = [peer_poses(peer, person, reference, v)[0]["mediapipe_3d"] for v in range(len(cameras))]
        cache = None if cache is None else cache.with_name(cache.stem + "_from_detector_3d" + cache.suffix)
        started, _, started_per_s = lift_all(prior, cameras, views, cache, args.chain_frames, starts)
        from_detector_3d = {"errors": score_views(started, central, views, references, names, cameras, world)[0],
                            "lift_frames_per_s": started_per_s}
        peer_rows = peer_all(peer, person, reference, references, names)
        shown = len(reference["frames"]) // 2
        figure = None if args.figure is None else args.figure.with_name(args.figure.stem + tag + args.figure.suffix)
        if figure is not None:
            save_figure(figure, args.src, names, reference["frame_offsets"], shown, reference["keypoints_2d"],
                        tracks, references)
        reports[f"person{person}"] = report = make_report(args, prior, dict(zip(names, views)), errors, peer_rows,
                                                          frames_per_s, figure, shown, len(reference["frames"]),
                                                          from_detector_3d)
        for joint_set in JOINT_SETS:
            print(f"\n{'' if people == 1 else f'person {person}, '}{joint_set} (mm; accelerations mm/frame^2)\n"
                  + markdown_table(report["errors"], joint_set)
                  + f"\n\ngfpose beside mediapipe's 3D, {joint_set}\n"
                  + comparison_table(report, joint_set))
    report = reports["person0"] if people == 1 else {"people": reports}
    atomic_write(args.json, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2) + "\n"))


if __name__ == "__main__":
    main()
