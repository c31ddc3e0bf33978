"""Command-line pieces of the sequence features, for cli.py to wire in:

    add_sequence_arguments(parser, task)   --sequence, --fps, --sequence-method (and --rig for denoise)
    sequence_outputs(args, prior, task, inputs) -> the arrays to write: 'track' (T, 17, 3) mm, 'fps'
    cmd_denoise_bvh(args, prior)            gfpose denoise take.bvh -o clean.bvh
    evaluate_sequences(args, prior)         gfpose evaluate --sequence --data takes.npz --task ... -> dict
"""

from pathlib import Path

from gfpose.data.rigs import RIGS
from gfpose.errors import InputError
from gfpose.sequences.api import DEFAULT_FPS, complete_sequence, denoise_sequence, lift_sequence
from gfpose.sequences.damage import DEFAULT_NOISE_MM
from gfpose.sequences.evaluate import damaged_rows, estimate_rows, evaluate_rows
from gfpose.sequences.methods import DEFAULT_METHODS, METHODS, SequenceMethod
from gfpose.sequences.takes import fixed_camera_views, load_takes

TASKS = ("estimate", "complete", "denoise")
EVALUATE_TASKS = {"estimate": "estimate", "complete-3d": "complete", "denoise": "clean"}  # evaluate --task -> ours


def add_sequence_arguments(parser, task: str) -> None:
    """The sequence options of the `estimate`, `complete` or `denoise` subcommand."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    parser.add_argument("--sequence", action="store_true", help="the input is one take in frame order: "
                        "write one coherent 3D track ('track', T x 17 x 3 mm)")
    parser.add_argument("--fps", type=float, default=None,
                        help=f"the take's frame rate (default: a BVH's, else {DEFAULT_FPS:g})")
    default = DEFAULT_METHODS["clean" if task == "denoise" else task].name
    parser.add_argument("--sequence-method", default=None, choices=METHODS,
                        help=f"(default {default}) guided: frames sampled jointly with temporal guidance; correlated: "
                        "shared starting noise + ODE; path: smoothed Viterbi path through per-frame hypotheses; "
                        "independent: per-frame samples")
    if task == "denoise":
        parser.add_argument("--rig", default="bandai", choices=tuple(RIGS),
                            help="BVH input: the skeleton's rig (gfpose.data.rigs; 'gfpose' for files gfpose wrote)")


def sequence_outputs(args, prior, task: str, inputs) -> dict:
    """Run the task on a whole take: inputs is a gfpose.data.keypoints.Keypoints2D (estimate) or
    the (T, 17, 3) mm poses (complete, denoise). Returns the arrays to save."""
    fps = args.fps or DEFAULT_FPS
    if task == "estimate":
        track = lift_sequence(prior, inputs.keypoints, inputs.image_size, fps, args.sequence_method,
                              inputs.confidence, args.seed)
        return {"track": track, "keypoints_2d": inputs.keypoints, "image_size": inputs.image_size, "fps": fps}
    if task == "complete":
        return {"track": complete_sequence(prior, inputs, fps, args.sequence_method, args.seed),
                "poses_3d_partial": inputs, "fps": fps}
    if task == "denoise":
        noise_mm = args.noise_mm or DEFAULT_NOISE_MM
        return {"track": denoise_sequence(prior, inputs, noise_mm, fps, args.sequence_method, args.seed),
                "poses_3d_noisy": inputs, "fps": fps}
    raise ValueError(f"task must be one of {TASKS}, got {task!r}")


def cmd_denoise_bvh(args, prior) -> None:
    """`gfpose denoise take.bvh -o clean.bvh`: BVH in, BVH out (gfpose.media.bvh_denoise)."""
    if Path(args.output).suffix.lower() != ".bvh":
        raise InputError(f"{args.output}: a BVH input is cleaned into a BVH file; name the output *.bvh")
    from gfpose.media.bvh_denoise import denoise_bvh  # bvhio only here: training needs no bvhio

    noise_mm = args.noise_mm or DEFAULT_NOISE_MM
    clean = denoise_bvh(prior, args.input, args.output, args.rig, noise_mm, args.sequence_method, args.seed)
    print(f"wrote {args.output} ({len(clean)} frames, jitter of {noise_mm:g} mm removed)")


def is_bvh(path) -> bool:
    return Path(path).suffix.lower() == ".bvh"


def evaluate_sequences(args, prior) -> dict:
    """`gfpose evaluate --sequence --data takes.npz --task estimate|complete-3d|denoise`: the task's
    default sequence method beside independent per-frame inference and the filter baselines on every
    take of a sequence npz (benchmarks/sequences/make_sequences.py); gfpose.sequences.evaluate."""
    if args.task not in EVALUATE_TASKS:
        raise InputError(f"--sequence evaluates the tasks {sorted(EVALUATE_TASKS)}, not {args.task!r}")
    task = EVALUATE_TASKS[args.task]
    default = DEFAULT_METHODS[task]
    methods = {default.name: default}
    if task == "estimate":
        rows = estimate_rows(prior.sampler_for("estimate"), methods, args.seed)
    else:
        rows = damaged_rows(prior.sampler, task, {"independent": SequenceMethod("independent")} | methods, args.seed)
    return {"task": task, "data": str(args.data),
            "table": evaluate_rows(rows, fixed_camera_views(load_takes(args.data)), task, args.seed)}
