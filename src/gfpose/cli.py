"""The `gfpose` command: demo, train, estimate, complete, denoise, generate, score, evaluate, lift,
export-bvh, viz, export, data. Each command parses its arguments and calls library functions with
plain arguments; nothing below this module sees argparse."""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from gfpose.data.bvh_folder import MIN_MOTION_MM
from gfpose.data.rigs import BVH_RIGS, find_rig
from gfpose.data.specs import DATA_HELP, open_dataset
from gfpose.definition_fit import MIN_POSES
from gfpose.errors import InputError
from gfpose.sequences.damage import DEFAULT_NOISE_MM
from gfpose.sequences.lift import CHAIN_FRAMES, DEFAULT_FPS
from gfpose.tasks import DENOISE_T0

CHECKPOINT_HELP = ("model file, or 'free': the shipped model trained on freely licensed data only "
                   "(default: the shipped models)")
POSE_KEYS = ("track", "poses_3d")  # score, export-bvh: the first present is read unless --key says


def _add_sampler_args(parser):
    from gfpose.precision import PRECISIONS
    from gfpose.prior import DEFAULT_SAMPLER
    from gfpose.sampling import SOLVERS
    parser.add_argument("--sampler", default=DEFAULT_SAMPLER.name, choices=tuple(SOLVERS),
                        help="the solver (gfpose.sampling; em is Alg. 1)")
    parser.add_argument("--steps", type=int, default=None, help="sampling steps (default: the sampler's default)")
    parser.add_argument("--schedule", default=None, help="time grid: uniform, quadratic or logsnr")
    parser.add_argument("--precision", choices=PRECISIONS, default=None,
                        help="the network's precision (default auto: bf16 where the hardware has it natively, "
                        "else fp32; int8 is fastest with --compile)")
    parser.add_argument("--compile", action="store_true", help="torch.compile the network (1.2x in bf16, 1.4x "
                        "in int8 on a 2-core CPU; worth it for large inputs, costs ~30 s once)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)


def load_prior(args, checkpoint=None):
    from gfpose.prior import PosePrior
    changes = {"name": args.sampler}
    if args.steps is not None:
        changes["steps"] = args.steps
    if args.schedule is not None:
        changes["schedule"] = args.schedule
    if args.precision is not None:
        changes["precision"] = args.precision
    if args.compile:
        changes["compile"] = True
    if checkpoint == "free":
        prior = PosePrior.free(args.device)
    else:
        prior = PosePrior.load(checkpoint, args.device) if checkpoint else PosePrior.pretrained(args.device)
    return prior.with_sampler(**changes)


def _save_npz(path, **arrays) -> None:
    from gfpose.data.posefile import save_pose_npz
    from gfpose.skeleton import H36M_JOINTS
    save_pose_npz(path, joint_names=np.array(H36M_JOINTS), **arrays)
    print(f"wrote {path}")


def cmd_train(args):
    from gfpose.config import Config
    from gfpose.runtime import resolve_device
    from gfpose.train import train
    config = Config.from_json_file(args.config) if args.config else Config()
    overrides = list(args.set)
    if args.steps is not None:
        overrides.append(f"train.steps={args.steps}")
    if args.data is not None:
        overrides.append(f"train.data={args.data}")
    config = config.with_overrides(overrides)
    data = open_dataset(config.train.data, "train", 1, args.keypoints_2d)
    print(f"training on {len(data)} poses from {config.train.data}; run folder {args.out}")
    summary = train(config, data, args.out, resolve_device(args.device), progress=not args.quiet)
    print(json.dumps(summary))


def _read_input(path, key):
    from gfpose.data.posefile import read_npz
    arrays = read_npz(path)
    if key not in arrays:
        raise InputError(f"{path}: no '{key}' array (found {sorted(arrays)})")
    return arrays


def cmd_estimate(args):
    from gfpose.data.keypoints import load_keypoints
    kp = load_keypoints(args.input)
    prior = load_prior(args, args.checkpoint)
    if args.sequence:
        fps = args.fps or DEFAULT_FPS
        take = prior.lift_take(kp.keypoints, kp.image_size, fps, args.hypotheses or 50, kp.confidence, args.seed,
                               kp.joints, args.focal_px, args.chain_frames or CHAIN_FRAMES)
        return _save_npz(args.output, track=take.track, hypotheses=take.hypotheses, central=take.central,
                         spread_mm=take.spread_mm, keypoints_2d=kp.keypoints, image_size=kp.image_size,
                         fps=np.float32(fps), joint_definition=np.array(kp.joints))
    hyps = prior.estimate(kp.keypoints, kp.image_size, args.hypotheses or 1, confidence=kp.confidence, seed=args.seed,
                          joints=kp.joints)
    central = prior.central_estimate(kp.keypoints, kp.image_size, kp.confidence, kp.joints)
    _save_npz(args.output, hypotheses=hyps, central=central, keypoints_2d=kp.keypoints, image_size=kp.image_size,
              joint_definition=np.array(kp.joints))


def cmd_complete(args):
    """3D completion of an npz with 'poses_3d'; 2D keypoints (a file `estimate` reads) are completed
    by estimation, which fills missing 2D joints in 3D (complete-2d)."""
    from gfpose.data.posefile import read_npz
    from gfpose.sequences.api import complete_sequence
    arrays = read_npz(args.input) if Path(args.input).suffix == ".npz" else {"keypoints_2d": None}
    if "poses_3d" not in arrays:
        if "keypoints_2d" not in arrays:
            raise InputError(f"{args.input}: no 'poses_3d' (3D, mm) or 'keypoints_2d' (2D, px) array "
                             f"(found {sorted(arrays)})")
        if args.sequence:
            raise InputError(f"{args.input}: a 2D take is lifted by `gfpose estimate --sequence` or `gfpose lift`")
        print("note: 2D keypoints: completing in 3D by estimation (complete-2d)")
        return cmd_estimate(args)
    prior = load_prior(args, args.checkpoint)
    partial = arrays["poses_3d"]
    if args.sequence:
        track = complete_sequence(prior, partial, args.fps or DEFAULT_FPS, args.sequence_method, args.seed)
        return _save_npz(args.output, track=track, poses_3d_partial=partial, fps=np.float32(args.fps or DEFAULT_FPS))
    hyps = prior.complete(partial, num_hypotheses=args.hypotheses or 1, mode=args.mode, seed=args.seed)
    _save_npz(args.output, hypotheses=hyps, poses_3d_partial=partial)


def cmd_denoise(args):
    from gfpose.sequences.api import denoise_sequence
    prior = load_prior(args, args.checkpoint)
    if Path(args.input).suffix.lower() == ".bvh":
        return _denoise_bvh(args, prior)
    noisy = _read_input(args.input, "poses_3d")["poses_3d"]
    if args.sequence:
        fps = args.fps or DEFAULT_FPS
        track = denoise_sequence(prior, noisy, args.noise_mm or DEFAULT_NOISE_MM, fps, args.sequence_method, args.seed)
        return _save_npz(args.output, track=track, poses_3d_noisy=noisy, fps=np.float32(fps))
    clean = prior.denoise(noisy, t0=args.t0, seed=args.seed, noise_mm=args.noise_mm, method=args.method)
    _save_npz(args.output, poses_3d=clean, poses_3d_noisy=noisy)


def _denoise_bvh(args, prior) -> None:
    """`gfpose denoise take.bvh -o clean.bvh`: BVH in, BVH out (gfpose.media.bvh_denoise)."""
    if Path(args.output).suffix.lower() != ".bvh":
        raise InputError(f"{args.output}: a BVH input is cleaned into a BVH file; name the output *.bvh")
    from gfpose.media.bvh_denoise import denoise_bvh  # bvhio only here: training needs no bvhio
    from gfpose.media.bvh_export import contacts_path
    noise_mm = args.noise_mm or DEFAULT_NOISE_MM
    clean = denoise_bvh(prior, args.input, args.output, args.rig, noise_mm, args.sequence_method, args.seed)
    print(f"wrote {args.output} ({len(clean)} frames, jitter of {noise_mm:g} mm removed, feet held in contact; "
          f"contacts in {contacts_path(args.output)})")


def cmd_generate(args):
    prior = load_prior(args, args.checkpoint)
    _save_npz(args.output, poses_3d=prior.generate(args.count, seed=args.seed))


def _read_poses(path, key: str | None, frame: str):
    """(poses (N, 17, 3) mm, their frame, the key read, the file's arrays) of the npz array `key` (default: the
    first of POSE_KEYS); frame 'auto' is 'world' when the file has 'up_axis', else 'camera'; world
    poses come out +z up."""
    from gfpose.data.posefile import read_npz, y_up_to_z_up
    from gfpose.validation import as_numbers
    arrays = read_npz(path)
    key = key or next((k for k in POSE_KEYS if k in arrays), None)
    if key not in arrays:
        raise InputError(f"{path}: no {key or ' or '.join(POSE_KEYS)!r} array (found {sorted(arrays)}); "
                         "expected (N, 17, 3) poses in mm")
    scale = float(arrays.get("poses_3d_scale_mm", 1.0)) if key == "poses_3d" else 1.0
    poses = as_numbers(arrays[key], f"{path}: {key}") * scale
    poses = poses[None] if poses.ndim == 2 else poses
    frame = frame if frame != "auto" else ("world" if "up_axis" in arrays else "camera")
    if frame == "world" and str(arrays.get("up_axis", "z")) == "y":
        poses = y_up_to_z_up(poses)
    return poses, frame, key, arrays


def cmd_score(args):
    from gfpose.data.posefile import save_pose_npz
    from gfpose.plausibility import BODY_PARTS
    from gfpose.prior import PosePrior
    from gfpose.skeleton import H36M_JOINTS
    poses, frame, key, arrays = _read_poses(args.input, args.key, args.frame)
    # Poses lifted from a detector's 2D (gfpose lift, estimate) carry its joint definition, not the prior's.
    declared = str(arrays.get("joint_definition", "mocap"))
    complete = np.isfinite(poses.reshape(len(poses), -1)).all(axis=1)
    if not complete.any():
        raise InputError(f"{args.input}: {key} has no pose without NaN joints to score")
    prior = PosePrior.load(args.checkpoint, args.device) if args.checkpoint else PosePrior.pretrained(args.device)
    threshold = prior.plausibility_reference.threshold if args.threshold is None else args.threshold
    fit = args.fit_definition or (declared != "mocap" and complete.sum() >= MIN_POSES)
    definition = prior.fit_definition(poses[complete], frame) if fit else None
    joints = np.full(poses.shape[:2], np.nan, dtype=np.float32)
    joints[complete] = prior.joint_scores(poses[complete], frame, definition)
    parts = np.full((len(poses), len(BODY_PARTS)), np.nan, dtype=np.float32)
    parts[complete] = prior.plausibility_reference.deviations(joints[complete])
    score = parts.max(axis=1)
    flag = score > threshold  # NaN (not scored) is never flagged
    flagged, skipped = np.flatnonzero(flag), np.flatnonzero(~complete)
    if args.output:
        save_pose_npz(args.output, score=score, flag=flag, part_scores=parts, part_names=np.array(list(BODY_PARTS)),
                      joint_scores=joints, threshold=np.float32(threshold), frame=np.array(frame),
                      joint_names=np.array(H36M_JOINTS))
    worst = [list(BODY_PARTS)[int(np.argmax(parts[i]))] for i in flagged]
    described = definition.describe() if definition is not None else None
    if args.json:
        return print(json.dumps({"frames": len(poses), "scored": int(complete.sum()), "threshold": float(threshold),
                                 "frame": frame, "flagged": flagged.tolist(), "worst_part": worst,
                                 "not_scored": skipped.tolist(), "definition": described,
                                 "score": [None if np.isnan(v) else round(float(v), 3) for v in score]}))
    if described:
        print(("" if args.fit_definition else f"the file's joints are {declared!r}-defined: ") +
              f"joint definition fitted to the file: bone length factors {described['bone_length_factors']}, "
              f"offsets (mm; x to the left hip, y up the spine, z forward) {described['offsets_mm']}")
    print(f"{len(flagged)} of {int(complete.sum())} poses flagged as implausible "
          f"(score > {threshold:.2f}, {frame} frame)"
          + (f"; {len(skipped)} with NaN joints not scored" if len(skipped) else ""))
    for index, part in zip(flagged, worst):
        print(f"  pose {index}: score {score[index]:.1f}, worst part: {part}")
    if definition is None and len(flagged) > complete.sum() / 2 and complete.sum() >= MIN_POSES:
        print("most poses are flagged: if they come from another tool (a detector, other mocap), its joints are "
              "probably defined otherwise than the prior's; rerun with --fit-definition")
    if args.output:
        print(f"wrote {args.output}")


def cmd_evaluate(args):
    from gfpose.evaluate import EvalTask, evaluate
    from gfpose.metrics import format_by_action
    from gfpose.runtime import close_distributed, init_distributed, local_device
    if args.sequence:
        from gfpose.sequences.api import evaluate_takes
        result = evaluate_takes(load_prior(args, args.checkpoint), args.data, args.task, args.seed)
        return print(json.dumps(result, indent=2))
    spec = EvalTask(args.task, args.hypotheses, noise_2d=args.noise_2d, missing=args.missing, mode=args.mode,
                    noise_3d=args.noise_3d, t0=args.t0, denoiser=args.denoiser, seed=args.seed)
    prior = load_prior(args, args.checkpoint)
    rank, _ = init_distributed(prior.device)  # under torchrun each rank evaluates its share of chunks
    prior = prior.to(local_device(prior.device))
    data = open_dataset(args.data, args.split, args.every, args.keypoints_2d)
    result = evaluate(prior.sampler_for(spec.task), data, spec, progress=not args.json and rank == 0)
    result.update(checkpoint=args.checkpoint or "pretrained", data=args.data, split=args.split, every=args.every)
    close_distributed()
    if rank != 0:
        return
    if args.json:
        print(json.dumps(result))
    else:
        title = (f"{args.task} on {args.data} ({args.split}, {result['count']} inputs, S={args.hypotheses}, "
                 f"{result['sampler']['name']} x {result['sampler']['steps']} steps, {result['seconds']} s)")
        print(format_by_action(result["table"], title=title))


def cmd_lift(args):
    from gfpose.media.lift import lift
    prior = load_prior(args, args.checkpoint)
    result = lift(prior, args.input, args.out, args.image_size, args.video, args.fps, args.hypotheses, args.seed,
                  args.focal_px, args.chain_frames, args.max_people, args.calibration, args.camera)
    people = f" of {len(result.bvh)} people" if len(result.bvh) > 1 else ""
    print(f"lifted {result.lifted_frames} frames{people} x {args.hypotheses} hypotheses in "
          f"{result.lift_seconds:.1f} s ({result.lifted_frames / result.lift_seconds:.1f} frames/s)")
    for note in result.notes:
        print(f"note: {note}")
    for path in (result.npz, *result.bvh, result.mp4, result.gif):
        if path is not None:
            print(f"wrote {path}")


def cmd_export_bvh(args):
    from gfpose.media.bvh_export import export_bvh
    poses, frame, _, arrays = _read_poses(args.input, args.key, args.frame)
    fps = args.fps or (float(arrays["fps"]) if "fps" in arrays else DEFAULT_FPS)
    filled = export_bvh(poses, args.output, fps, frame)
    if len(filled):
        print(f"note: {len(filled)} frames with missing joints were interpolated")
    print(f"wrote {args.output} ({len(poses)} frames at {fps:g} fps, {frame} frame -> metres, Y up)")


def cmd_viz(args):
    from gfpose import viz
    from gfpose.data.posefile import read_npz
    arrays = read_npz(args.input)
    if "hypotheses" in arrays:
        kp = arrays.get("keypoints_2d")
        viz.save_hypotheses_figure(args.output, None if kp is None else kp[args.index],
                                   arrays["hypotheses"][args.index])
    elif "poses_3d" in arrays:
        poses, frame, _, _ = _read_poses(args.input, "poses_3d", args.frame)  # in mm, world poses +z up
        if args.output.endswith(".gif"):
            viz.save_gif(args.output, poses, frame=frame)
        else:
            viz.save_pose_grid(args.output, poses[: args.max_poses], frame=frame)
    else:
        raise InputError(f"{args.input}: nothing to draw (expected 'hypotheses' or 'poses_3d')")
    print(f"wrote {args.output}")


def cmd_build_bandai(args):
    from gfpose.data.bandai import build_bandai
    build_bandai(args.src, args.output)


def cmd_build_mocap_set(args):
    """build-hdm05 / build-cmu-bvh: a public mocap subset -> a pose npz, summary printed."""
    if args.data_command == "build-hdm05":
        from gfpose.data.hdm05 import build_hdm05 as build
    else:
        from gfpose.data.cmu_bvh import build_cmu_bvh as build
    print(json.dumps(build(args.src, args.output)))


def cmd_build_bvh(args):
    from gfpose.data.bvh_folder import build_bvh_folder
    summary = build_bvh_folder(args.src, find_rig(args.rig), args.output, min_motion_mm=args.min_motion_mm,
                               test_fraction=args.test_fraction)
    print(json.dumps(summary))


def cmd_export(args):
    import torch

    from gfpose.checkpoint import load_model, save_model
    state, config, step = load_model(args.model)
    save_model(args.output, state, config, step, dtype=torch.float16 if args.half else None)
    print(f"wrote {args.output} (step {step}, {'float16' if args.half else 'float32'})")


def cmd_demo(args):
    from gfpose.demo import run_demo
    run_demo(args.out, hypotheses=args.hypotheses, count=args.count, device=args.device)


def _start_time(text: str):
    return text if text == "auto" else float(text)


def _add_frame_arg(parser):
    parser.add_argument("--frame", choices=("auto", "camera", "world"), default="auto",
                        help="camera (x right, y down, z forward) or world (z up); auto: world if the file has "
                        "'up_axis', else camera")


def _add_camera_args(parser, default_chain: str):
    parser.add_argument("--focal-px", type=float, default=None,
                        help="the camera's focal length in px (default: the training camera's, 1.145 x image "
                        "width, 47.2 degrees across; see gfpose.sequences.lift)")
    parser.add_argument("--chain-frames", type=int, default=None,
                        help="frames per chain: each chain's first frame is drawn from the prior, the others "
                        f"warm-started from the frame before (about 7x faster); 1 lifts every frame "
                        f"independently (default: {default_chain})")


def _add_sequence_args(parser, task: str) -> None:
    """--sequence and its options for `estimate` (the lift of gfpose.sequences.lift), `complete` and
    `denoise` (the sequence methods of gfpose.sequences.methods)."""
    from gfpose.sequences.methods import DEFAULT_METHODS, METHODS
    parser.add_argument("--sequence", action="store_true", help="the input is one take in frame order: "
                        "write one coherent 3D track ('track', T x 17 x 3 mm)")
    parser.add_argument("--fps", type=float, default=None,
                        help=f"the take's frame rate (default: a BVH's, else {DEFAULT_FPS:g})")
    if task == "estimate":
        return _add_camera_args(parser, default_chain=str(CHAIN_FRAMES))
    default = DEFAULT_METHODS["complete-3d" if task == "complete" else task].name
    parser.add_argument("--sequence-method", default=None, choices=METHODS,
                        help=f"(default {default}) guided: frames sampled jointly with temporal guidance; correlated: "
                        "shared starting noise + ODE; path: smoothed Viterbi path through per-frame hypotheses; "
                        "independent: per-frame samples")
    if task == "denoise":
        parser.add_argument("--rig", default="bandai", metavar="NAME|FILE.toml",
                            help=f"BVH input: the skeleton's rig, one of {', '.join(BVH_RIGS)} ('gfpose' for files "
                            "gfpose wrote) or a rig file of your own (gfpose.data.rigs)")


def _parsed(parse):
    """An argparse type from a spec parser, so a bad spec is a usage error naming the argument."""
    def convert(text):
        try:
            return parse(text)
        except ValueError as err:
            raise argparse.ArgumentTypeError(str(err)) from None
    convert.__name__ = parse.__qualname__
    return convert


def build_parser() -> argparse.ArgumentParser:
    from gfpose.evaluate import TASKS
    from gfpose.perturbations import MissingJoints, PoseNoise
    from gfpose.tasks import COMPLETION_MODES, DENOISE_METHODS
    parser = argparse.ArgumentParser(prog="gfpose", description="GFPose: a 3D human pose prior as a gradient field")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="estimate 3D hypotheses for bundled test poses with the shipped model")
    p.add_argument("--out", default="gfpose-demo")
    p.add_argument("--hypotheses", type=int, default=50)
    p.add_argument("--count", type=int, default=64)
    p.add_argument("--device", default="auto")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("train", help="train a score model (resumes from --out if it holds a run)")
    p.add_argument("--data", default=None, help=f"{DATA_HELP} (default: the config's train.data, 'bundled')")
    p.add_argument("--keypoints-2d", default=None, help="VideoPose3D 2D file for Human3.6M")
    p.add_argument("--out", required=True)
    p.add_argument("--config", default=None,
                   help="JSON file with 'model' and 'train' sections, or the name of a shipped one "
                        "(gfpose/configs: paper, gpu, quick, unified, estimation, detector, free)")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=cmd_train)

    for name, func, help_text in (("estimate", cmd_estimate, "2D keypoints (npz/json) -> 3D hypotheses"),
                                  ("complete", cmd_complete, "partial 3D (npz poses_3d, NaN = missing) or 2D -> 3D"),
                                  ("denoise", cmd_denoise, "noisy 3D poses (npz poses_3d) -> clean 3D"),
                                  ("generate", cmd_generate, "draw poses from the prior")):
        p = sub.add_parser(name, help=help_text)
        if name != "generate":
            p.add_argument("input")
        p.add_argument("-o", "--output", required=True)
        p.add_argument("--checkpoint", default=None, help=CHECKPOINT_HELP)
        _add_sampler_args(p)
        if name != "generate":
            _add_sequence_args(p, name)
        if name in ("estimate", "complete"):
            p.add_argument("-S", "--hypotheses", type=int, default=None,
                           help="hypotheses per pose (default 1; with --sequence, 50 for estimate)")
        if name == "complete":
            p.add_argument("--mode", default="both", choices=COMPLETION_MODES)
        if name == "denoise":
            p.add_argument("--t0", type=float, default=DENOISE_T0)
            p.add_argument("--noise-mm", type=float, default=None,
                           help="the noise's standard deviation per coordinate in mm, if known: sets t0 to match it")
            p.add_argument("--method", default="sample", choices=DENOISE_METHODS,
                           help="'sample': reverse SDE from t0; 'mean': posterior mean (Tweedie), least error")
        if name == "generate":
            p.add_argument("-n", "--count", type=int, default=100)
        p.set_defaults(func=func)

    p = sub.add_parser("score", help="how plausible 3D poses (npz 'track' or 'poses_3d', mm) are under the prior; "
                       "flags implausible ones")
    p.add_argument("input")
    p.add_argument("-o", "--output", default=None, help="npz with score, flag, part_scores and joint_scores per pose")
    p.add_argument("--key", default=None, help="array to score (default: the first of track, poses_3d)")
    _add_frame_arg(p)
    p.add_argument("--threshold", type=float, default=None,
                   help="flag scores above this (default: the model's 99th percentile on held-out real poses)")
    p.add_argument("--checkpoint", default=None, help="model file (default: the shipped scoring model)")
    p.add_argument("--fit-definition", action="store_true",
                   help="another tool's poses: first fit the change of joint definition (bone lengths, where hips, "
                   "shoulders, neck and head sit) that makes the file most plausible, then score in it "
                   f"(at least {MIN_POSES} poses; about 10 s per 100 on a CPU); automatic for files whose "
                   "joint_definition is not 'mocap' (gfpose lift and estimate from a detector's 2D)")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", action="store_true", help="print one JSON object: flagged poses and every score")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("evaluate", help="per-action metrics of a model on a data set")
    p.add_argument("checkpoint", nargs="?", default=None, help=CHECKPOINT_HELP)
    p.add_argument("--data", default="bundled", help=DATA_HELP)
    p.add_argument("--keypoints-2d", default=None)
    p.add_argument("--split", default="test")
    p.add_argument("--every", type=int, default=1, help="evaluate every k-th pose (a fixed subset)")
    p.add_argument("--task", default="estimate", choices=TASKS)
    p.add_argument("--hypotheses", type=int, default=1)
    p.add_argument("--noise-2d", type=float, default=0.0, help="detector-like 2D noise sigma in px")
    p.add_argument("--missing", default=MissingJoints(), type=_parsed(MissingJoints.parse),
                   help="'joints:K' or 'parts:r_leg,l_leg'")
    p.add_argument("--mode", default="both", choices=COMPLETION_MODES)
    p.add_argument("--noise-3d", default=PoseNoise("gaussian", 100.0), type=_parsed(PoseNoise.parse),
                   help="'gaussian:VAR_MM2' or 'uniform:HALF_WIDTH_MM'")
    p.add_argument("--t0", type=_start_time, default=DENOISE_T0,
                   help="denoising start time, or 'auto' to match the noise of --noise-3d")
    p.add_argument("--denoiser", default="sample", choices=DENOISE_METHODS,
                   help="denoise task: reverse-SDE sample or posterior mean (Tweedie)")
    p.add_argument("--json", action="store_true", help="print one JSON object with every figure")
    p.add_argument("--sequence", action="store_true", help="whole takes (a sequence npz, benchmarks/sequences): "
                   "the task's sequence method beside per-frame inference and a filter baseline, as JSON")
    _add_sampler_args(p)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("viz", help="draw an output npz as PNG (or GIF for a pose sequence)")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--index", type=int, default=0)
    p.add_argument("--max-poses", type=int, default=16)
    p.add_argument("--frame", choices=("auto", "camera", "world"), default="auto",
                   help="poses_3d: camera (y down) or world (z up); auto: world if the file has 'up_axis'")
    p.set_defaults(func=cmd_viz)

    p = sub.add_parser("lift", help="a video, image(s) or 2D keypoint file -> 3D hypotheses, a 3D track, BVH, "
                       "MP4/GIF in OUT/")
    p.add_argument("input", help="video file, image, folder of images, COCO keypoint results JSON, OpenPose "
                   "JSON (file or folder of *_keypoints.json), or gfpose keypoints (npz/JSON)")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--image-size", type=float, nargs=2, metavar=("W", "H"), default=None,
                   help="image size in px of keypoint files that do not record it (COCO, OpenPose)")
    p.add_argument("--video", default=None, help="keypoint input: the video to draw the 2D overlay on")
    p.add_argument("--fps", type=float, default=None, help=f"frame rate (default: the video's, else {DEFAULT_FPS:g})")
    _add_camera_args(p, default_chain="12 for a video or keypoint track, 1 for images")
    p.add_argument("--calibration", default=None,
                   help="the camera's calibration (Qualisys .qca.txt or Pose2Sim .toml): undistorts the 2D and "
                   "sets the focal length (instead of --focal-px; images without either use their EXIF)")
    p.add_argument("--camera", default=None, help="which camera of --calibration (its name or 1-based position)")
    p.add_argument("--max-people", type=int, default=None,
                   help="keypoint files: lift at most this many people, the most present first (default: all); "
                   "video and images: detect up to this many (default 1: mediapipe's single-person tracker)")
    p.add_argument("-S", "--hypotheses", type=int, default=50)
    p.add_argument("--checkpoint", default=None, help=CHECKPOINT_HELP)
    _add_sampler_args(p)
    p.set_defaults(func=cmd_lift)

    p = sub.add_parser("export-bvh", help="3D poses (npz 'track' or 'poses_3d', mm) -> BVH for animation tools "
                       "(metres, Y up)")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--key", default=None, help=f"array to export (default: the first of {', '.join(POSE_KEYS)})")
    p.add_argument("--fps", type=float, default=None, help=f"default: the file's 'fps', else {DEFAULT_FPS:g}")
    _add_frame_arg(p)
    p.set_defaults(func=cmd_export_bvh)

    p = sub.add_parser("export", help="copy a run's model file, optionally as float16, e.g. for shipping")
    p.add_argument("model")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--half", action="store_true")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("data", help="data preparation")
    data_sub = p.add_subparsers(dest="data_command", required=True)
    q = data_sub.add_parser("build-bandai", help="convert the Bandai Namco BVH set to the bundled npz")
    q.add_argument("src", help="folder holding Bandai-Namco-Research-Motiondataset-1/-2")
    q.add_argument("-o", "--output", default=None)
    q.set_defaults(func=cmd_build_bandai)
    for name, help_text, src_help in (
            ("build-hdm05", "convert the HDM05 ASF/AMC subset to a pose npz (split by actor)",
             "folder holding the unpacked subset (src/{train,test}/<class>/HDM_*.amc, HDM_*.asf)"),
            ("build-cmu-bvh", "convert the CMU Daz-friendly BVH subsets to a pose npz",
             "folder holding przestr/data/<subject>/ and papagina/train_data_bvh/<dance>/")):
        q = data_sub.add_parser(name, help=help_text)
        q.add_argument("src", help=src_help)
        q.add_argument("-o", "--output", required=True)
        q.set_defaults(func=cmd_build_mocap_set)
    q = data_sub.add_parser("build-bvh", help="convert a folder of BVH takes to a pose npz for `gfpose train --data`")
    q.add_argument("src", help="folder of .bvh files (searched recursively; a file's folder is its action)")
    q.add_argument("--rig", required=True, metavar="NAME|FILE.toml",
                   help=f"the skeleton's joint mapping: one of {', '.join(BVH_RIGS)} or a rig file of your own "
                   "(gfpose.data.rigs)")
    q.add_argument("-o", "--output", required=True)
    q.add_argument("--min-motion-mm", type=float, default=MIN_MOTION_MM, help="drop frames that moved less than this")
    q.add_argument("--test-fraction", type=float, default=0.1, help="share of each action's takes held out")
    q.set_defaults(func=cmd_build_bvh)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (InputError, ValueError, OSError) as err:
        print(f"gfpose {args.command}: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
