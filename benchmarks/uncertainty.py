"""Calibration of the per-joint intervals (gfpose.uncertainty, issue 30 item 2): the share of true
joints inside the 50% and 90% balls, per held-out set, per joint, before (temperature 1) and after
the calibration fitted here (per-joint temperatures and a widening by each frame's placement residual
over the hypotheses' spread, sqrt(1 + (k rho / sigma)^2), gfpose.uncertainty.fit_calibration), for
hypotheses drawn independently and in warm-started chains, around the hypotheses' mean and around the
track `gfpose lift` writes.

Hypotheses: the shipped models (`PosePrior.pretrained(device='cpu', precision='fp32')`, default
sampler), S = 50 per frame, drawn as `gfpose lift` draws them (``PosePrior.lift_take``,
gfpose.sequences.lift: ``chain_frames`` 1 = independent, 12 = warm-started chains, and its track).

Calibration set (fits temperatures and residual weights; ``--fit`` writes them to
src/gfpose/assets/uncertainty_calibration.json). Exact-2D ('mocap') kinds: held-out takes that no
held-out set below uses, in many short windows because coverage varies far more between takes than
between frames of a take (a take's own 90% temperature ranges from 0.6 to 6.9 for the mocap model,
and follows how far the hypotheses miss the 2D). By default (``--calibrate-on``) the HDM05 test
actors with the CMU BVH test subjects (other motions and bodies: large residuals) and the bundled
test takes no held-out set uses (the models' own kind of motion: small residuals), windows of
``--calib-frames`` frames every ``--calib-stride``, each set through a run of fixed seeded cameras
(seed 1). Training takes (``cmu-train``, ``bandai-train``) fit temperatures too low: the models err
less on the poses they were trained on. Detector kinds (what `gfpose lift` of a video sees): by
default (``--calibrate-detector-on two-person``) the real two-person clip
(../shared/data/pose2sim-demo-multiperson: each person's BlazePose 2D in each of its 4 cameras,
against its multi-view reference, benchmarks/footage/multiview_reference_multiperson.npz), lifted as
the one-person clip below; ``synthetic``: the same windows as the mocap kinds with the derived joints
where a detector puts them plus the two-person clip's real detector errors replayed on them
(detector_errors, replayed_errors). Every kind fits its own residual weight (docs/RESULTS.md,
Uncertainty).

Held-out sets: the bundled test split (``--frames`` random frames, the evaluation's fixed cameras,
independent hypotheses around their mean); the CMU test split (likewise); the sequence benchmark's
test takes (benchmarks/data/sequences.npz: 34 Bandai and 6 CMU test takes, every
``--every-take``-th, the first ``--take-frames`` frames; all four kinds, with exact 2D and again with
detector joints and a real detector's errors: the two-person clip's, in the person's height, replayed
from a random camera, person and start at the take's frame rate, as they persist over frames and hold a
per-camera offset; detector-like noise drawn independently per frame, gfpose.data.noise2d, was smoothed
away by the track); the real footage (benchmarks/footage/multiview_reference.npz, 4 cameras x
96 frames of BlazePose 2D, lifted as monocular_vs_reference.py lifts them; detector kinds), its
errors after one global scale per camera (the benchmark's bone rule, subject size over the model's:
otherwise the subject's size, not the pose, decides) and without it.

Each held-out coverage comes with its 95% bootstrap interval over the set's clusters, stretches of
CLUSTER_SECONDS of one take or of one camera's footage (frames close in time share a pose and a
body, so they are not independent draws): with 40 test takes, 6 CMU test takes or one filmed person
it is several points wide, as wide as the targets' bands.

Errors are root-relative in the camera frame (the model's frame, what lift.npz holds); the root is
the origin and is left out. Writes docs/results/uncertainty.json and docs/images/reliability.png
(observed against nominal coverage at levels 0.05 ... 0.95, calibration fitted at each level).
Hypotheses are cached in ``--cache`` (npz per set and chain kind).

    python benchmarks/uncertainty.py [--fit] [--frames 500] [--take-frames 24] [--every-take 1]
        [--calibrate-on hdm05-test+cmu-bvh-test,bandai-test] [--calib-frames 30] [--calib-stride 240]
        [--calibrate-detector-on two-person]
"""

from __future__ import annotations

import argparse
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
from gfpose.data.bandai import load_bundled
from gfpose.data.keypoints import Keypoints2D
from gfpose.data.posefile import load_pose_npz
from gfpose.evaluate import eval_inputs
from gfpose.geometry import root_center
from gfpose.joint_definitions import with_joint_definition
from gfpose.sequences.lift import placement_residual
from gfpose.sequences.takes import Take, TakeView, fixed_camera_views, load_takes
from gfpose.skeleton import H36M_JOINTS
from gfpose.uncertainty import (
    CALIBRATION_PATH,
    JOINTS,
    KINDS,
    LEVELS,
    coverage,
    error_ratio,
    fit_calibration,
    inside,
    joint_intervals,
    relative_residual,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "footage"))
COMMAND = "python benchmarks/uncertainty.py"
HYPOTHESES, SEED, WARM_CHAIN = 50, 0, 12
BOOTSTRAP_DRAWS = 2000  # resamples of a held-out set's clusters for its coverage's 95% interval
CLUSTER_SECONDS = 1.0  # a stretch of one take (or one camera's footage) this long counts as one cluster
FOOTAGE_FPS = 60.0  # the Pose2Sim clips' frame rate
GRID = tuple(np.round(np.arange(0.05, 0.951, 0.05), 2))  # levels of the reliability diagram
MOVING = slice(1, None)  # every joint but the root (the origin of a root-relative pose)


def take_views(takes: list[Take], every: int, frames: int, seed: int, joints: str = "mocap",
               errors: list[np.ndarray] | None = None):
    """Every ``every``-th take's first ``frames`` frames, each through its fixed camera; with
    joints='detector' the derived joints where a detector puts them (truth and 2D) and a real
    detector's 2D errors replayed on them (``errors``, from detector_errors; replayed_errors)."""
    def posed(t: Take) -> np.ndarray:
        return with_joint_definition(torch.from_numpy(t.poses[:frames]), joints).numpy()

    views = fixed_camera_views([Take(t.name, t.action, t.source, t.fps, posed(t)) for t in takes[::every]], seed)
    return views if joints == "mocap" else replayed_errors(views, errors, seed)


def person_height_px(keypoints: np.ndarray) -> float:
    """(T, J, 2) px 2D keypoints -> the median over frames of their vertical extent (px)."""
    return float(np.nanmedian(np.nanmax(keypoints[..., 1], axis=-1) - np.nanmin(keypoints[..., 1], axis=-1)))


def detector_errors(clip: str = "two-person") -> list[np.ndarray]:
    """A real detector's 2D errors on video, one (T, 17, 2) sequence per person and camera of a
    footage clip: BlazePose's keypoints minus the reprojection of the clip's multi-view reference,
    over the person's height in that camera (person_height_px of the reprojection); 0 where the
    reference has no point. They persist over frames (BlazePose's on the two-person clip: median
    autocorrelation 0.70 at 1/60 s, 0.30 at 1/10 s) and hold a per-camera offset and outliers."""
    from gfpose.media.calibration import read_qualisys
    folder, reference_file = FOOTAGE_CLIPS[clip]
    reference = np.load(ROOT / "benchmarks/footage" / reference_file)
    cameras = read_qualisys(ROOT.parent / "shared/data" / folder / "Calib.qca.txt")
    points, keypoints = reference["points_3d"], reference["keypoints_2d"]
    if points.ndim == 3:  # a one-person reference has no person axis
        points, keypoints = points[None], keypoints[None]
    errors = []
    for person_points, person_keypoints in zip(points, keypoints):
        for camera, detected in zip(cameras, person_keypoints):
            projected = camera.project(person_points.astype(np.float64))
            errors.append(np.nan_to_num(detected - projected) / person_height_px(projected))
    return errors


def replayed_errors(views: list[TakeView], errors: list[np.ndarray], seed: int,
                    errors_fps: float = FOOTAGE_FPS) -> list[TakeView]:
    """Each take view's 2D plus a stretch of one of ``errors`` (a random person and camera, from a
    random start, sampled at the view's frame rate, wrapping where the stretch is longer than the
    sequence) times the view's person height in px: a real detector's errors, kept as they persist."""
    rng = np.random.default_rng(seed)
    out = []
    for view in views:
        error = errors[rng.integers(len(errors))]
        steps = np.round(np.arange(len(view.keypoints)) * errors_fps / view.take.fps).astype(int)
        at = (rng.integers(max(1, len(error) - steps[-1])) + steps) % len(error)
        noisy = view.keypoints + (error[at] * person_height_px(view.keypoints)).astype(view.keypoints.dtype)
        out.append(TakeView(view.take, view.track, noisy, view.image_size))
    return out


def npz_takes(path: Path, split: str, fps_of_step, prefix: str) -> list[Take]:
    """The takes of one split of a pose npz with `take` and `frame` labels, frames in order; the
    frame rate from the median step between kept frames (``fps_of_step(step)``)."""
    poseset = load_pose_npz(path).select_split(split)
    takes = []
    for name in sorted(set(poseset.take)):
        rows = np.flatnonzero(poseset.take == name)
        rows = rows[np.argsort(poseset.frame[rows])]
        step = float(np.median(np.diff(poseset.frame[rows]))) if len(rows) > 1 else 1.0
        takes.append(Take(f"{prefix}_{name}", str(poseset.action[rows[0]]), prefix, fps_of_step(step),
                          root_center(poseset.poses_3d[rows].astype(np.float32))))
    return takes


def windows(takes: list[Take], frames: int, stride: int) -> list[Take]:
    """Pieces of ``frames`` frames starting every ``stride`` frames of each take (at least its first)."""
    return [Take(f"{t.name}@{start}", t.action, t.source, t.fps, t.poses[start:start + frames])
            for t in takes for start in range(0, max(1, len(t.poses) - frames + 1), stride)]


def bandai_takes(bundled, names) -> list[Take]:
    """The takes ``names`` of a split of the bundled set, frames in order (near-duplicate frames were
    dropped from the set: 30 fps with gaps)."""
    takes = []
    for name in names:
        rows = np.flatnonzero(bundled.take == name)
        rows = rows[np.argsort(bundled.frame[rows])]
        takes.append(Take(str(name), str(bundled.action[rows[0]]), "bandai", 30.0,
                          root_center(bundled.poses_3d[rows].astype(np.float32))))
    return takes


def bandai_train_takes(count: int) -> list[Take]:
    """``count`` takes spread evenly over the bundled set's training split (the shipped models' own
    training takes)."""
    bundled = load_bundled().select_split("train")
    names = list(dict.fromkeys(bundled.take))
    return bandai_takes(bundled, names[::max(1, len(names) // count)][:count])


def bandai_test_takes(held_out_frames: int) -> list[Take]:
    """The bundled test split's takes that no held-out set below uses: neither a test take of the
    sequence benchmark nor holding one of the bundled test set's ``held_out_frames`` random frames."""
    bundled = load_bundled().select_split("test")
    _, rows = sampled_rows(bundled, held_out_frames, 0)
    used = set(bundled.take[rows]) | {t.name for t in load_takes(ROOT / "benchmarks/data/sequences.npz")}
    return bandai_takes(bundled, [name for name in dict.fromkeys(bundled.take) if name not in used])


# Calibration sources, each a function of the command's arguments. HDM05 and CMU BVH are 120 Hz
# captures whose near-duplicate frames were dropped (benchmarks/data/README.md): a take's rate is 120 /
# its median step. The test splits are held-out actors and subjects that no shipped model saw and
# that no held-out set below uses; 'bandai-test' the bundled test takes no held-out set uses (the
# shipped models' own kind of motion); the training takes were seen by every shipped model (cmu17
# 'train' since the estimation and detector models).
CALIBRATION_SOURCES = {
    "hdm05-test": lambda args: npz_takes(ROOT / "benchmarks/data/hdm05_17.npz", "test", lambda step: 120 / step,
                                         "hdm05"),
    "cmu-bvh-test": lambda args: npz_takes(ROOT / "benchmarks/data/cmu_bvh17.npz", "test", lambda step: 120 / step,
                                           "cmu-bvh"),
    "bandai-test": lambda args: bandai_test_takes(args.frames),
    "cmu-train": lambda args: npz_takes(ROOT / "benchmarks/data/cmu17.npz", "train", lambda step: 24 / step, "cmu"),
    "bandai-train": lambda args: bandai_train_takes(40),
}


def cached(cache: Path, name: str, make):
    """make() -> dict of arrays, kept in cache/name.npz."""
    path = cache / f"{name}.npz"
    if path.exists():
        return dict(np.load(path))
    start = time.perf_counter()
    out = make()
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **out)
    print(f"{name}: {time.perf_counter() - start:.0f} s", flush=True)
    return out


def lift_views(prior, views, chain_frames: int, joints: str) -> dict:
    """Hypotheses (N, S, 17, 3) and tracks (N, 17, 3) of every take view, concatenated, with the truth."""
    hyps, tracks, truth = [], [], []
    for view in views:
        sizes = np.tile(view.image_size.astype(np.float32), (len(view.keypoints), 1))
        take = prior.lift_take(view.keypoints.astype(np.float32), sizes, view.take.fps, HYPOTHESES, seed=SEED,
                               joints=joints, chain_frames=chain_frames)
        hyps.append(take.hypotheses)
        tracks.append(take.track)
        truth.append(view.track)
    return {"hypotheses": np.concatenate(hyps), "track": np.concatenate(tracks), "truth": np.concatenate(truth)}


def view_residuals(views, hypotheses: np.ndarray, joints: str) -> np.ndarray:
    """(N,) placement residual of the hypotheses' mean of every frame of the take views, concatenated."""
    out, start = [], 0
    for view in views:
        frames = len(view.keypoints)
        sizes = np.tile(view.image_size.astype(np.float32), (frames, 1))
        out.append(placement_residual(hypotheses[start:start + frames].mean(1),
                                      Keypoints2D(view.keypoints.astype(np.float32), None, sizes, joints)))
        start += frames
    return np.concatenate(out)


def sampled_rows(poseset, count: int, seed: int):
    """The evaluation inputs of a test split and ``count`` random rows of them."""
    inputs = eval_inputs(poseset)
    rows = np.sort(np.random.default_rng(seed).choice(len(inputs.poses), min(count, len(inputs.poses)),
                                                      replace=False))
    return inputs, rows


def lift_frames(prior, poseset, count: int, seed: int) -> dict:
    """Independent hypotheses of ``count`` random frames of a test split (the evaluation's cameras)."""
    inputs, rows = sampled_rows(poseset, count, seed)
    hyps = prior.estimate(inputs.keypoints[rows].numpy(), inputs.image_size[rows].numpy(), HYPOTHESES, seed=SEED)
    return {"hypotheses": hyps, "truth": inputs.poses[rows].numpy()}


def frame_residuals(poseset, count: int, seed: int, hypotheses: np.ndarray) -> np.ndarray:
    """(N,) placement residual of the hypotheses' mean of lift_frames' rows."""
    inputs, rows = sampled_rows(poseset, count, seed)
    keypoints = Keypoints2D(inputs.keypoints[rows].numpy(), None, inputs.image_size[rows].numpy(), "mocap")
    return placement_residual(hypotheses.mean(1), keypoints)


FOOTAGE_CLIPS = {  # clip -> (its folder in ../shared/data, its multi-view reference in benchmarks/footage)
    "one-person": ("pose2sim-demo", "multiview_reference.npz"),
    "two-person": ("pose2sim-demo-multiperson", "multiview_reference_multiperson.npz"),
}


def lift_footage(prior, chain_frames: int, clip: str) -> dict:
    """Every person's views of a footage clip lifted as `gfpose lift` lifts them (the reference's
    BlazePose 2D of that person, detector joints, each camera's focal length), with the reference in
    each camera's frame and each frame's placement residual: arrays (P V, T, ...), person-major."""
    from monocular_vs_reference import FPS, load_views, person_order, person_view, reference_in_camera

    from gfpose.media.calibration import read_qualisys
    folder, reference_file = FOOTAGE_CLIPS[clip]
    src = ROOT.parent / "shared/data" / folder
    full = dict(np.load(ROOT / "benchmarks/footage" / reference_file))
    cameras = read_qualisys(src / "Calib.qca.txt")
    out = {"hypotheses": [], "track": [], "truth": [], "residual": []}
    for person in range(len(person_order(full))):
        reference = person_view(full, person)
        for camera, view in zip(cameras, load_views(src, cameras, reference)):
            sizes = np.tile(np.asarray(view["image_size"], dtype=np.float32), (len(view["keypoints"]), 1))
            keypoints = Keypoints2D(view["keypoints"].astype(np.float32), view["confidence"], sizes, "detector")
            take = prior.lift_take(keypoints.keypoints, sizes, FPS, HYPOTHESES, view["confidence"], SEED,
                                   "detector", float(view["focal_px"]), chain_frames)
            out["hypotheses"].append(take.hypotheses)
            out["track"].append(root_center(take.track))
            out["truth"].append(reference_in_camera(reference["points_3d"].astype(np.float64), camera))
            out["residual"].append(placement_residual(take.hypotheses.mean(1), keypoints, float(view["focal_px"])))
    return {k: np.stack(v) for k, v in out.items()}


def scaled_footage(data: dict) -> dict:
    """Hypotheses and tracks of each camera times its bone-rule scale (monocular_vs_reference.bone_size)."""
    from monocular_vs_reference import bone_size
    scales = np.array([bone_size(ref) / bone_size(h) for h, ref in zip(data["hypotheses"], data["truth"])])
    return {"hypotheses": data["hypotheses"] * scales[:, None, None, None, None],
            "track": data["track"] * scales[:, None, None, None], "truth": data["truth"], "scales": scales,
            "residual": data["residual"]}  # a property of the input: the user scales the balls, not it


def as_frames(data: dict, fps: float) -> dict:
    """Footage arrays (V, T, ...) at ``fps`` -> (V T, ...), with each frame's cluster: its view's
    stretch of CLUSTER_SECONDS."""
    views, frames = data["truth"].shape[:2]
    blocks = (np.arange(frames) / fps // CLUSTER_SECONDS).astype(int)
    cluster = (np.arange(views)[:, None] * (blocks[-1] + 1) + blocks).reshape(-1)
    return {**{k: v.reshape(-1, *v.shape[2:]) if k != "scales" else v for k, v in data.items()}, "cluster": cluster}


def centre(data: dict, kind: str):
    return None if kind.endswith("mean") else data["track"].astype(np.float64)


def cluster_interval(hits: np.ndarray, clusters: np.ndarray, draws: int = BOOTSTRAP_DRAWS) -> np.ndarray:
    """(L, 2) 95% bootstrap interval of the pooled coverage of (N, J, L) hits (1 inside, 0 outside,
    NaN missing), resampling the clusters (N,) a frame belongs to (its take, or a stretch of footage):
    the frames of one take share its pose and body, so they are not independent draws."""
    labels, which = np.unique(clusters, return_inverse=True)
    inside_sum = np.stack([np.nansum(hits[which == c], axis=(0, 1)) for c in range(len(labels))])  # (C, L)
    seen = np.stack([np.isfinite(hits[which == c]).sum(axis=(0, 1)) for c in range(len(labels))])
    pick = np.random.default_rng(SEED).integers(len(labels), size=(draws, len(labels)))
    shares = inside_sum[pick].sum(axis=1) / seen[pick].sum(axis=1)  # (draws, L)
    return np.percentile(shares, [2.5, 97.5], axis=0).T


def summary(data: dict, center, temperature, weight, levels=LEVELS) -> dict:
    """Coverage per level (all moving joints pooled, and per joint) and the median radius; with the
    frames' clusters in ``data`` also the pooled coverage's 95% bootstrap interval over them."""
    truth = data["truth"]
    intervals = joint_intervals(data["hypotheses"], center, levels, temperature=temperature,
                                residual_mm=data["residual"], residual_weight=weight)
    per_joint = coverage(truth, intervals)  # (J, L)
    pooled = np.nanmean(per_joint[MOVING], axis=0)  # every joint is seen in every frame: same as pooling rows
    spans = (cluster_interval(inside(truth, intervals.center, intervals.radius)[:, MOVING], data["cluster"])
             if "cluster" in data else None)
    out = {}
    for i, q in enumerate(levels):
        out[f"{round(100 * q)}"] = {
            "coverage": float(pooled[i]),
            **({"coverage_ci95": [float(x) for x in spans[i]]} if spans is not None else {}),
            "per_joint": {name: round(float(c), 3) for name, c in zip(H36M_JOINTS[1:], per_joint[MOVING, i])},
            "median_radius_mm": float(np.nanmedian(intervals.radius[..., MOVING, i])),
            "joints_within_5_points": int((np.abs(per_joint[MOVING, i] - q) <= 0.05).sum()),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fit", action="store_true", help="write the fitted temperatures to the package")
    parser.add_argument("--frames", type=int, default=500, help="random frames of each single-frame test split")
    parser.add_argument("--take-frames", type=int, default=24, help="first frames of each test take")
    parser.add_argument("--every-take", type=int, default=1, help="of the test takes")
    parser.add_argument("--calibrate-on", default="hdm05-test+cmu-bvh-test,bandai-test",
                        help="calibration sets, comma-separated; a set is one or more sources joined by '+', seen "
                             f"through one run of seeded cameras; sources: {', '.join(CALIBRATION_SOURCES)}")
    parser.add_argument("--calibrate-detector-on", choices=("two-person", "synthetic"), default="two-person",
                        help="the detector kinds' calibration set: the two-person clip's real BlazePose 2D, or the "
                             "--calibrate-on takes with detector-like noise")
    parser.add_argument("--detector-errors", choices=tuple(FOOTAGE_CLIPS), default="two-person",
                        help="the footage clip whose real detector errors the detector-2D takes replay")
    parser.add_argument("--calib-frames", type=int, default=30, help="frames of each calibration window")
    parser.add_argument("--calib-stride", type=int, default=240, help="a window starts every this many frames")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/gfpose_uncertainty"))
    parser.add_argument("--json", type=Path, default=ROOT / "docs/results/uncertainty.json")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs/images/reliability.png")
    args = parser.parse_args()
    torch.set_num_threads(1)
    prior = gfpose.PosePrior.pretrained(device="cpu", precision="fp32")
    tag = f"f{args.frames}_t{args.take_frames}_e{args.every_take}"
    calib_sets = args.calibrate_on.split(",")
    if unknown := {s for name in calib_sets for s in name.split("+")} - set(CALIBRATION_SOURCES):
        raise SystemExit(f"unknown calibration sources {sorted(unknown)}; expected some of {list(CALIBRATION_SOURCES)}")
    calib_takes = {name: windows([t for s in name.split("+") for t in CALIBRATION_SOURCES[s](args)],
                                 args.calib_frames, args.calib_stride) for name in calib_sets}

    chains = {"independent": 1, "warm": WARM_CHAIN}
    footage = {(clip, c): cached(args.cache, f"footage_{clip}_{c}", lambda n=n, clip=clip: lift_footage(prior, n, clip))
               for clip in FOOTAGE_CLIPS for c, n in chains.items()}
    test_takes = load_takes(ROOT / "benchmarks/data/sequences.npz")
    calib, takes = {}, {}
    errors = detector_errors(args.detector_errors)
    for joints in JOINTS:
        test_views = take_views(test_takes, args.every_take, args.take_frames, 0, joints, errors)
        named = f"detector_{args.detector_errors}_errors" if joints == "detector" else joints
        for c, n in chains.items():
            takes[joints, c] = cached(args.cache, f"takes_{named}_{c}_{tag}",
                                      lambda v=test_views, n=n, j=joints: lift_views(prior, v, n, j))
            takes[joints, c]["residual"] = view_residuals(test_views, takes[joints, c]["hypotheses"], joints)
            takes[joints, c]["cluster"] = np.repeat(np.arange(len(test_views)), [len(v.keypoints) for v in test_views])
            if joints == "detector" and args.calibrate_detector_on == "two-person":
                calib[joints, c] = as_frames(footage["two-person", c], FOOTAGE_FPS)
                continue
            parts = []
            for name, pieces in calib_takes.items():
                views = take_views(pieces, 1, args.calib_frames, 1, joints, errors)
                part = cached(args.cache, f"calib_{named}_{c}_{name}_f{args.calib_frames}_s{args.calib_stride}",
                              lambda v=views, n=n, j=joints: lift_views(prior, v, n, j))
                parts.append({**part, "residual": view_residuals(views, part["hypotheses"], joints)})
            calib[joints, c] = {k: np.concatenate([part[k] for part in parts]) for k in parts[0]}
    single = {}
    cmu_test = ROOT / "benchmarks/data/cmu17.npz"
    for name, load, fps in (("bundled", lambda: load_bundled().select_split("test"), 30.0),  # frame numbers' rates
                            ("cmu", lambda: load_pose_npz(cmu_test).select_split("test"), 24.0)):
        poseset = load()
        single[name] = cached(args.cache, f"{name}_{tag}",
                              lambda poseset=poseset: lift_frames(prior, poseset, args.frames, 0))
        single[name]["residual"] = frame_residuals(poseset, args.frames, 0, single[name]["hypotheses"])
        rows = sampled_rows(poseset, args.frames, 0)[1]
        stretch = (poseset.frame[rows] / fps // CLUSTER_SECONDS).astype(int).astype(str)
        single[name]["cluster"] = np.char.add(np.char.add(poseset.action[rows], poseset.take[rows]), stretch)

    def split(kind: str) -> tuple[str, str]:  # 'detector-warm-track' -> ('detector', 'warm')
        return tuple(kind.split("-")[:2])

    # held-out sets: name -> kind -> data (N, ...); single-frame sets have independent hypotheses and no track
    mocap_kinds = [k for k in KINDS if k.startswith("mocap")]
    detector_kinds = [k for k in KINDS if k.startswith("detector")]
    sets = {"bundled test": {"mocap-independent-mean": single["bundled"]},
            "CMU test": {"mocap-independent-mean": single["cmu"]},
            "test takes": {k: takes[split(k)] for k in mocap_kinds},
            "detector-2D takes": {k: takes[split(k)] for k in detector_kinds},
            "footage (scaled)": {k: as_frames(scaled_footage(footage["one-person", split(k)[1]]), FOOTAGE_FPS)
                                 for k in detector_kinds},
            "footage (unscaled)": {k: as_frames(footage["one-person", split(k)[1]], FOOTAGE_FPS)
                                   for k in detector_kinds}}

    fitted, calibration = {}, {}  # kind -> ((G, J) temperatures, (G,) residual weights) at the GRID levels
    at_levels = [GRID.index(q) for q in LEVELS]
    for kind in KINDS:
        data = calib[split(kind)]
        ratios = error_ratio(data["truth"], data["hypotheses"], centre(data, kind), GRID)
        fitted[kind] = fit_calibration(ratios, relative_residual(data["residual"], data["hypotheses"]), GRID)
        calibration[kind] = {"before": summary(data, centre(data, kind), 1.0, 0.0),
                             "after": summary(data, centre(data, kind), fitted[kind][0][at_levels],
                                              fitted[kind][1][at_levels])}
    temperatures = {k: t[at_levels] for k, (t, _) in fitted.items()}
    weights = {k: w[at_levels] for k, (_, w) in fitted.items()}

    results, curves = {}, {}
    for set_name, kinds in sets.items():
        for kind, data in kinds.items():
            c = centre(data, kind)
            results.setdefault(set_name, {})[kind] = {
                "frames": len(data["truth"]),
                "before": summary(data, c, 1.0, 0.0),
                "after": summary(data, c, temperatures[kind], weights[kind]),
                "centre_mpjpe_mm": float(np.nanmean(np.linalg.norm(
                    (data["hypotheses"].mean(1) if c is None else c) - data["truth"], axis=-1)[:, MOVING]))}
            curves.setdefault(kind, {})[set_name] = [
                [float(np.nanmean(coverage(data["truth"], joint_intervals(
                    data["hypotheses"], c, GRID, temperature=t, residual_mm=data["residual"], residual_weight=w))
                    [MOVING], axis=0)[i]) for i in range(len(GRID))]
                for t, w in ((1.0, 0.0), fitted[kind])]

    report = {
        "command": " ".join(["python", *sys.argv]),
        "hypotheses": HYPOTHESES, "seed": SEED, "warm_chain_frames": WARM_CHAIN,
        "calibration_set": f"{', '.join(calib_sets)}: windows of {args.calib_frames} frames every "
                           f"{args.calib_stride} frames of each take, "
                           f"{sum(len(w) for w in calib_takes.values())} windows, "
                           f"{len(calib['mocap', 'warm']['truth'])} frames, exact 2D (mocap kinds); detector kinds: "
                           + ("the two-person clip's BlazePose 2D, 2 people x 4 cameras x "
                              f"{footage['two-person', 'warm']['truth'].shape[1]} frames"
                              if args.calibrate_detector_on == "two-person" else
                              "the same windows, detector joints with the two-person clip's detector errors"),
        "definition": "ball around the centre (the hypotheses' mean or the track) of radius temperature x "
                      "sqrt(1 + (weight x placement residual / the hypotheses' mean spread)^2) x the level-quantile "
                      "of the hypotheses' distances from their mean; coverage over the 16 non-root joints",
        "temperatures": {k: {f"{round(100 * q)}": [round(float(x), 3) for x in t[i]] for i, q in enumerate(LEVELS)}
                         for k, t in temperatures.items()},
        "residual_weights": {k: {f"{round(100 * q)}": float(w[i]) for i, q in enumerate(LEVELS)}
                             for k, w in weights.items()},
        "residual_median_mm": {set_name: {kind: float(np.nanmedian(data["residual"])) for kind, data in kinds.items()}
                               for set_name, kinds in sets.items()},
        "relative_residual_median": {set_name: {kind: float(np.nanmedian(relative_residual(data["residual"],
                                                                                            data["hypotheses"])))
                                                for kind, data in kinds.items()} for set_name, kinds in sets.items()},
        "calibration": calibration,
        "held_out": results,
        "reliability": {"levels": list(GRID), "curves": curves},
    }
    atomic_write(args.json, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=1) + "\n"))
    save_figure(args.figure, curves)
    if args.fit:
        table = {"levels": list(LEVELS), "fitted_by": COMMAND + " --fit", "calibration_set": report["calibration_set"],
                 "temperature": {k: [[round(float(x), 4) for x in row] for row in t] for k, t in temperatures.items()},
                 "residual_weight": {k: [float(x) for x in w] for k, w in weights.items()}}
        atomic_write(CALIBRATION_PATH, lambda tmp: Path(tmp).write_text(json.dumps(table, indent=1) + "\n"))
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = ["| set | hypotheses, centre | frames | 50% before | 50% after | 90% before | 90% after | centre MPJPE |",
             "|---|---|---|---|---|---|---|---|"]
    rows = [("calibration set", k, v) for k, v in report["calibration"].items()]
    rows += [(s, k, v) for s, kinds in report["held_out"].items() for k, v in kinds.items()]
    for set_name, kind, v in rows:
        cells = [f"{100 * v[when][level]['coverage']:.1f}" for level in ("50", "90") for when in ("before", "after")]
        lines.append(f"| {set_name} | {kind} | {v.get('frames', '')} | {' | '.join(cells)} | "
                     f"{v.get('centre_mpjpe_mm', float('nan')):.1f} |")
    return "\n".join(lines)


def save_figure(path: Path, curves: dict) -> None:
    """Observed against nominal coverage, one panel per kind, before (dashed) and after (solid)."""
    fig = Figure(figsize=(4 * len(curves), 4))
    FigureCanvasAgg(fig)
    colors = dict(zip(["bundled test", "CMU test", "test takes", "detector-2D takes", "footage (scaled)",
                       "footage (unscaled)"], ["C0", "C1", "C2", "C4", "C3", "C7"]))
    columns = (len(curves) + 1) // 2
    fig.set_size_inches(3.2 * columns, 6.6)
    for i, (kind, sets) in enumerate(curves.items()):
        ax = fig.add_subplot(2, columns, i + 1)
        ax.plot([0, 1], [0, 1], color="0.6", linewidth=0.8)
        for set_name, (before, after) in sets.items():
            ax.plot(GRID, before, "--", color=colors[set_name], linewidth=1)
            ax.plot(GRID, after, "-", color=colors[set_name], linewidth=1.5, label=set_name)
        ax.set_title(kind, fontsize=10)
        ax.set_xlabel("nominal level")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_aspect("equal")
        if i % columns == 0:
            ax.set_ylabel("share of true joints inside")
            ax.legend(fontsize=7, loc="upper left", title="solid: calibrated, dashed: T = 1", title_fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))


if __name__ == "__main__":
    main()
