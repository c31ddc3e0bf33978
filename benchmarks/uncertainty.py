"""Calibration of the per-joint intervals (gfpose.uncertainty, issue 30 item 2): the share of true
joints inside the 50% and 90% balls, per held-out set, per joint, before (temperature 1) and after
the temperatures fitted here, for hypotheses drawn independently and in warm-started chains, around
the hypotheses' mean and around the track `gfpose lift` writes.

Hypotheses: the shipped models (`PosePrior.pretrained(device='cpu', precision='fp32')`, default
sampler), S = 50 per frame, drawn as `gfpose lift` draws them (``PosePrior.lift_take``,
gfpose.sequences.lift: ``chain_frames`` 1 = independent, 12 = warm-started chains, and its track).

Calibration set (fits the temperatures; ``--fit`` writes them to
src/gfpose/assets/uncertainty_calibration.json): held-out takes that no held-out set below uses, in
many short windows because coverage varies far more between takes than between frames of a take (a
take's own 90% temperature ranges from 0.5 to 2.8): by default the HDM05 test actors and the CMU BVH
test subjects (``--calibrate-on``; windows of ``--calib-frames`` frames every ``--calib-stride``),
each through a fixed seeded camera (seed 1). Training takes (``cmu-train``, ``bandai-train``) fit
temperatures too low: the models err less on the poses they were trained on. Twice: with exact 2D
('mocap' kinds) and with the derived joints where a detector puts them plus detector-like 2D noise
('detector' kinds, what `gfpose lift` of a video sees).

Held-out sets: the bundled test split (``--frames`` random frames, the evaluation's fixed cameras,
independent hypotheses around their mean); the CMU test split (likewise); the sequence benchmark's
test takes (benchmarks/data/sequences.npz: 34 Bandai and 6 CMU test takes, every
``--every-take``-th, the first ``--take-frames`` frames; all four kinds, with exact 2D and again with
detector joints and noise); the real footage (benchmarks/footage/multiview_reference.npz, 4 cameras x
96 frames of BlazePose 2D, lifted as monocular_vs_reference.py lifts them; detector kinds), its
errors after one global scale per camera (the benchmark's bone rule, subject size over the model's:
otherwise the subject's size, not the pose, decides) and without it.

Errors are root-relative in the camera frame (the model's frame, what lift.npz holds); the root is
the origin and is left out. Writes docs/results/uncertainty.json and docs/images/reliability.png
(observed against nominal coverage at levels 0.05 ... 0.95, temperature fitted on the calibration
set at each level). Hypotheses are cached in ``--cache`` (npz per set and chain kind).

    python benchmarks/uncertainty.py [--fit] [--frames 500] [--take-frames 24] [--every-take 1]
        [--calibrate-on hdm05-test,cmu-bvh-test] [--calib-frames 30] [--calib-stride 240]
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
from gfpose.data.noise2d import detector_noise
from gfpose.data.posefile import load_pose_npz
from gfpose.evaluate import eval_inputs
from gfpose.geometry import root_center
from gfpose.joint_definitions import with_joint_definition
from gfpose.sequences.takes import Take, TakeView, fixed_camera_views, load_takes
from gfpose.skeleton import H36M_JOINTS
from gfpose.uncertainty import (
    CALIBRATION_PATH,
    JOINTS,
    KINDS,
    LEVELS,
    coverage,
    error_ratio,
    fit_temperature,
    joint_intervals,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "footage"))
COMMAND = "python benchmarks/uncertainty.py"
HYPOTHESES, SEED, WARM_CHAIN = 50, 0, 12
GRID = tuple(np.round(np.arange(0.05, 0.951, 0.05), 2))  # levels of the reliability diagram
MOVING = slice(1, None)  # every joint but the root (the origin of a root-relative pose)


def take_views(takes: list[Take], every: int, frames: int, seed: int, joints: str = "mocap"):
    """Every ``every``-th take's first ``frames`` frames, each through its fixed camera; with
    joints='detector' the derived joints where a detector puts them (truth and 2D) and detector-like
    2D noise (gfpose.data.noise2d.detector_noise: 5 px, 2% outliers of 50 px, seeded)."""
    def posed(t: Take) -> np.ndarray:
        return with_joint_definition(torch.from_numpy(t.poses[:frames]), joints).numpy()

    views = fixed_camera_views([Take(t.name, t.action, t.source, t.fps, posed(t)) for t in takes[::every]], seed)
    if joints == "mocap":
        return views
    generator = torch.Generator().manual_seed(seed)
    return [TakeView(v.take, v.track, detector_noise(torch.from_numpy(v.keypoints), generator).numpy(), v.image_size)
            for v in views]


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


def bandai_train_takes(count: int) -> list[Take]:
    """``count`` takes spread evenly over the bundled set's training split (the shipped models' own
    training takes), frames in order (near-duplicate frames were dropped from the set: 30 fps with gaps)."""
    bundled = load_bundled().select_split("train")
    names = list(dict.fromkeys(bundled.take))
    takes = []
    for name in names[::max(1, len(names) // count)][:count]:
        rows = np.flatnonzero(bundled.take == name)
        rows = rows[np.argsort(bundled.frame[rows])]
        takes.append(Take(str(name), str(bundled.action[rows[0]]), "bandai", 30.0,
                          root_center(bundled.poses_3d[rows].astype(np.float32))))
    return takes


# Calibration sources. HDM05 and CMU BVH are 120 Hz captures whose near-duplicate frames were dropped
# (benchmarks/data/README.md): a take's rate is 120 / its median step. The test splits are held-out
# actors and subjects that no shipped model saw and that no held-out set below uses; the training
# takes were seen by every shipped model (cmu17 'train' since the estimation and detector models).
CALIBRATION_SOURCES = {
    "hdm05-test": lambda: npz_takes(ROOT / "benchmarks/data/hdm05_17.npz", "test", lambda step: 120 / step, "hdm05"),
    "cmu-bvh-test": lambda: npz_takes(ROOT / "benchmarks/data/cmu_bvh17.npz", "test", lambda step: 120 / step,
                                      "cmu-bvh"),
    "cmu-train": lambda: npz_takes(ROOT / "benchmarks/data/cmu17.npz", "train", lambda step: 24 / step, "cmu"),
    "bandai-train": lambda: bandai_train_takes(40),
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


def lift_frames(prior, poseset, count: int, seed: int) -> dict:
    """Independent hypotheses of ``count`` random frames of a test split (the evaluation's cameras)."""
    inputs = eval_inputs(poseset)
    rows = np.sort(np.random.default_rng(seed).choice(len(inputs.poses), min(count, len(inputs.poses)),
                                                      replace=False))
    hyps = prior.estimate(inputs.keypoints[rows].numpy(), inputs.image_size[rows].numpy(), HYPOTHESES, seed=SEED)
    return {"hypotheses": hyps, "truth": inputs.poses[rows].numpy()}


def lift_footage(prior, chain_frames: int) -> dict:
    """The footage benchmark's 4 views lifted as `gfpose lift` lifts them (BlazePose 2D, detector
    joints, each camera's focal length), the reference in each camera's frame."""
    from monocular_vs_reference import FPS, load_views, reference_in_camera

    from gfpose.media.calibration import read_qualisys
    src = ROOT.parent / "shared/data/pose2sim-demo"
    reference = dict(np.load(ROOT / "benchmarks/footage/multiview_reference.npz"))
    cameras = read_qualisys(src / "Calib.qca.txt")
    views = load_views(src, cameras, reference)
    hyps, tracks, truth = [], [], []
    for camera, view in zip(cameras, views):
        sizes = np.tile(np.asarray(view["image_size"], dtype=np.float32), (len(view["keypoints"]), 1))
        take = prior.lift_take(view["keypoints"].astype(np.float32), sizes, FPS, HYPOTHESES, view["confidence"],
                               SEED, "detector", float(view["focal_px"]), chain_frames)
        hyps.append(take.hypotheses)
        tracks.append(root_center(take.track))
        truth.append(reference_in_camera(reference["points_3d"].astype(np.float64), camera))
    return {"hypotheses": np.stack(hyps), "track": np.stack(tracks), "truth": np.stack(truth)}


def scaled_footage(data: dict) -> dict:
    """Hypotheses and tracks of each camera times its bone-rule scale (monocular_vs_reference.bone_size)."""
    from monocular_vs_reference import bone_size
    scales = np.array([bone_size(ref) / bone_size(h) for h, ref in zip(data["hypotheses"], data["truth"])])
    return {"hypotheses": data["hypotheses"] * scales[:, None, None, None, None],
            "track": data["track"] * scales[:, None, None, None], "truth": data["truth"], "scales": scales}


def as_frames(data: dict) -> dict:
    """Footage arrays (V, T, ...) -> (V T, ...)."""
    return {k: v.reshape(-1, *v.shape[2:]) if k != "scales" else v for k, v in data.items()}


def centre(data: dict, kind: str):
    return None if kind.endswith("mean") else data["track"].astype(np.float64)


def summary(truth, hyps, center, temperature, levels=LEVELS) -> dict:
    """Coverage per level (all moving joints pooled, and per joint) and the median radius."""
    intervals = joint_intervals(hyps, center, levels, temperature=temperature)
    per_joint = coverage(truth, intervals)  # (J, L)
    pooled = np.nanmean(per_joint[MOVING], axis=0)  # every joint is seen in every frame: same as pooling rows
    out = {}
    for i, q in enumerate(levels):
        out[f"{round(100 * q)}"] = {
            "coverage": float(pooled[i]),
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
    parser.add_argument("--calibrate-on", default="hdm05-test,cmu-bvh-test",
                        help=f"calibration sources, of {', '.join(CALIBRATION_SOURCES)}")
    parser.add_argument("--calib-frames", type=int, default=30, help="frames of each calibration window")
    parser.add_argument("--calib-stride", type=int, default=240, help="a window starts every this many frames")
    parser.add_argument("--per-joint", action=argparse.BooleanOptionalAction, default=True,
                        help="a temperature per joint (else one per level)")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/gfpose_uncertainty"))
    parser.add_argument("--json", type=Path, default=ROOT / "docs/results/uncertainty.json")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs/images/reliability.png")
    args = parser.parse_args()
    torch.set_num_threads(1)
    prior = gfpose.PosePrior.pretrained(device="cpu", precision="fp32")
    tag = f"f{args.frames}_t{args.take_frames}_e{args.every_take}"
    sources = args.calibrate_on.split(",")
    if unknown := set(sources) - set(CALIBRATION_SOURCES):
        raise SystemExit(f"unknown calibration sources {sorted(unknown)}; expected some of {list(CALIBRATION_SOURCES)}")
    calib_tag = f"{'+'.join(sources)}_f{args.calib_frames}_s{args.calib_stride}"

    chains = {"independent": 1, "warm": WARM_CHAIN}
    calib_takes = windows([t for name in sources for t in CALIBRATION_SOURCES[name]()], args.calib_frames,
                          args.calib_stride)
    test_takes = load_takes(ROOT / "benchmarks/data/sequences.npz")
    calib, takes = {}, {}
    for joints in JOINTS:
        calib_views = take_views(calib_takes, 1, args.calib_frames, 1, joints)
        test_views = take_views(test_takes, args.every_take, args.take_frames, 0, joints)
        for c, n in chains.items():
            calib[joints, c] = cached(args.cache, f"calib_{joints}_{c}_{calib_tag}",
                                      lambda v=calib_views, n=n, j=joints: lift_views(prior, v, n, j))
            takes[joints, c] = cached(args.cache, f"takes_{joints}_{c}_{tag}",
                                      lambda v=test_views, n=n, j=joints: lift_views(prior, v, n, j))
    bundled = cached(args.cache, f"bundled_{tag}",
                     lambda: lift_frames(prior, load_bundled().select_split("test"), args.frames, 0))
    cmu = cached(args.cache, f"cmu_{tag}", lambda: lift_frames(
        prior, load_pose_npz(ROOT / "benchmarks/data/cmu17.npz").select_split("test"), args.frames, 0))
    footage = {c: cached(args.cache, f"footage_{c}", lambda n=n: lift_footage(prior, n)) for c, n in chains.items()}

    def split(kind: str) -> tuple[str, str]:  # 'detector-warm-track' -> ('detector', 'warm')
        return tuple(kind.split("-")[:2])

    # held-out sets: name -> kind -> data (N, ...); single-frame sets have independent hypotheses and no track
    mocap_kinds = [k for k in KINDS if k.startswith("mocap")]
    detector_kinds = [k for k in KINDS if k.startswith("detector")]
    sets = {"bundled test": {"mocap-independent-mean": bundled}, "CMU test": {"mocap-independent-mean": cmu},
            "test takes": {k: takes[split(k)] for k in mocap_kinds},
            "test takes, detector 2D": {k: takes[split(k)] for k in detector_kinds},
            "footage (scaled)": {k: as_frames(scaled_footage(footage[split(k)[1]])) for k in detector_kinds},
            "footage (unscaled)": {k: as_frames(footage[split(k)[1]]) for k in detector_kinds}}

    temperatures, grid_temperatures, calibration = {}, {}, {}
    for kind in KINDS:
        data = calib[split(kind)]
        ratios = error_ratio(data["truth"], data["hypotheses"], centre(data, kind), GRID)
        grid_temperatures[kind] = fit_temperature(ratios, GRID, per_joint=args.per_joint)
        temperatures[kind] = grid_temperatures[kind][[GRID.index(q) for q in LEVELS]]
        calibration[kind] = {"before": summary(data["truth"], data["hypotheses"], centre(data, kind), 1.0),
                             "after": summary(data["truth"], data["hypotheses"], centre(data, kind),
                                              temperatures[kind])}

    results, curves = {}, {}
    for set_name, kinds in sets.items():
        for kind, data in kinds.items():
            c = centre(data, kind)
            results.setdefault(set_name, {})[kind] = {
                "frames": len(data["truth"]),
                "before": summary(data["truth"], data["hypotheses"], c, 1.0),
                "after": summary(data["truth"], data["hypotheses"], c, temperatures[kind]),
                "centre_mpjpe_mm": float(np.nanmean(np.linalg.norm(
                    (data["hypotheses"].mean(1) if c is None else c) - data["truth"], axis=-1)[:, MOVING]))}
            curves.setdefault(kind, {})[set_name] = [
                [float(np.nanmean(coverage(data["truth"], joint_intervals(data["hypotheses"], c, GRID, temperature=t))
                                  [MOVING], axis=0)[i]) for i in range(len(GRID))]
                for t in (1.0, grid_temperatures[kind])]

    report = {
        "command": " ".join(["python", *sys.argv]),
        "hypotheses": HYPOTHESES, "seed": SEED, "warm_chain_frames": WARM_CHAIN,
        "calibration_set": f"{', '.join(sources)}: windows of {args.calib_frames} frames every {args.calib_stride} "
                           f"frames of each take, {len(calib_takes)} windows, {len(calib['mocap', 'warm']['truth'])} "
                           "frames; exact 2D (mocap), or detector joints with detector_noise (detector)",
        "definition": "ball around the centre (the hypotheses' mean or the track) of radius temperature x the "
                      "level-quantile of the hypotheses' distances from it; coverage over the 16 non-root joints",
        "per_joint_temperature": args.per_joint,
        "temperatures": {k: {f"{round(100 * q)}": [round(float(x), 3) for x in t[i]] for i, q in enumerate(LEVELS)}
                         for k, t in temperatures.items()},
        "calibration": calibration,
        "held_out": results,
        "reliability": {"levels": list(GRID), "curves": curves},
    }
    atomic_write(args.json, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=1) + "\n"))
    save_figure(args.figure, curves)
    if args.fit:
        table = {"levels": list(LEVELS), "fitted_by": COMMAND + " --fit", "calibration_set": report["calibration_set"],
                 "temperature": {k: [[round(float(x), 4) for x in row] for row in t] for k, t in temperatures.items()}}
        atomic_write(CALIBRATION_PATH, lambda tmp: Path(tmp).write_text(json.dumps(table, indent=1) + "\n"))
    print(markdown(report))


def markdown(report: dict) -> str:
    lines = ["| set | hypotheses, centre | frames | 50% before | 50% after | 90% before | 90% after | centre MPJPE |",
             "|---|---|---|---|---|---|---|---|"]
    rows = [("training takes (calibration)", k, v) for k, v in report["calibration"].items()]
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
    colors = dict(zip(["bundled test", "CMU test", "test takes", "test takes, detector 2D", "footage (scaled)",
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
