"""The ``gfpose lift`` and ``gfpose export-bvh`` subcommands.

cli.py adds both with one call: ``add_media_commands(sub, _add_sampler_args, _load_prior)``, passing
its own helpers for the sampler options and for loading the model, so the options stay the same
as the other tasks'.
"""

from __future__ import annotations

from functools import partial

from gfpose.sequences.api import DEFAULT_FPS

POSE_KEYS = ("track", "poses_3d")  # export-bvh: the first present is exported unless --key says


def add_media_commands(subparsers, add_sampler_args, load_prior) -> None:
    """Register ``lift`` and ``export-bvh`` on an argparse subparsers object."""
    p = subparsers.add_parser("lift", help="a video, image(s) or 2D keypoint file -> 3D hypotheses, a 3D "
                              "track, BVH, MP4/GIF in OUT/")
    p.add_argument("input", help="video file, image, folder of images, COCO keypoint results JSON, OpenPose "
                   "JSON (file or folder of *_keypoints.json), or gfpose keypoints (npz/JSON)")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--image-size", type=float, nargs=2, metavar=("W", "H"), default=None,
                   help="image size in px of keypoint files that do not record it (COCO, OpenPose)")
    p.add_argument("--video", default=None, help="keypoint input: the video to draw the 2D overlay on")
    p.add_argument("--fps", type=float, default=None,
                   help=f"frame rate (default: the video's, else {DEFAULT_FPS:g})")
    p.add_argument("--focal-px", type=float, default=None,
                   help="the camera's focal length in px (default: the training camera's, 1.145 x image width, "
                   "a 47.2 degree horizontal field of view; see gfpose.media.lift)")
    p.add_argument("-S", "--hypotheses", type=int, default=50)
    p.add_argument("--chain-frames", type=int, default=None,
                   help="frames per chain: each chain's first frame is drawn from the prior, the others "
                   "warm-started from the frame before (about 7x faster); 1 lifts every frame independently "
                   "(default: 12 for a video or keypoint track, 1 for images)")
    p.add_argument("--checkpoint", default=None, help="model file (default: the shipped model)")
    add_sampler_args(p)
    p.set_defaults(func=partial(cmd_lift, load_prior=load_prior))

    p = subparsers.add_parser("export-bvh", help="3D poses (npz 'track' or 'poses_3d', mm) -> BVH for "
                              "animation tools (metres, Y up)")
    p.add_argument("input")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--key", default=None, help=f"array to export (default: the first of {', '.join(POSE_KEYS)})")
    p.add_argument("--fps", type=float, default=None, help=f"default: the file's 'fps', else {DEFAULT_FPS:g}")
    p.add_argument("--frame", choices=("auto", "camera", "world"), default="auto",
                   help="camera (x right, y down, z forward) or world (z up); auto: world if the file has "
                   "'up_axis', else camera")
    p.set_defaults(func=cmd_export_bvh)


def cmd_lift(args, load_prior) -> None:
    from gfpose.media.lift import lift
    prior = load_prior(args, args.checkpoint)
    result = lift(prior, args.input, args.out, args.image_size, args.video, args.fps, args.hypotheses, args.seed,
                  args.focal_px, args.chain_frames)
    count = result.frames - len(result.missing_frames)
    print(f"lifted {count} frames x {args.hypotheses} hypotheses in {result.lift_seconds:.1f} s "
          f"({count / result.lift_seconds:.1f} frames/s)")
    for note in result.notes:
        print(f"note: {note}")
    for path in (result.npz, result.bvh, result.mp4, result.gif):
        if path is not None:
            print(f"wrote {path}")


def cmd_export_bvh(args) -> None:
    from gfpose.data.posefile import read_npz, y_up_to_z_up
    from gfpose.errors import InputError
    from gfpose.media.bvh_export import export_bvh
    arrays = read_npz(args.input)
    key = args.key or next((k for k in POSE_KEYS if k in arrays), None)
    if key not in arrays:
        raise InputError(f"{args.input}: no {args.key or ' or '.join(POSE_KEYS)!r} array (found {sorted(arrays)}); "
                         "expected (T, 17, 3) poses in mm")
    poses = arrays[key] * float(arrays.get("poses_3d_scale_mm", 1.0) if key == "poses_3d" else 1.0)
    frame = args.frame if args.frame != "auto" else ("world" if "up_axis" in arrays else "camera")
    if frame == "world" and str(arrays.get("up_axis", "z")) == "y":
        poses = y_up_to_z_up(poses)
    fps = args.fps or (float(arrays["fps"]) if "fps" in arrays else DEFAULT_FPS)
    filled = export_bvh(poses, args.output, fps, frame)
    if len(filled):
        print(f"note: {len(filled)} frames with missing joints were interpolated")
    print(f"wrote {args.output} ({len(poses)} frames at {fps:g} fps, {frame} frame -> metres, Y up)")
