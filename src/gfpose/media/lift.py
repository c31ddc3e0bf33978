"""A video, images or a 2D keypoint file -> a lifted take (gfpose.sequences.lift) and its files.

Outputs in ``out_dir`` (each written atomically, so a failed run leaves earlier files intact):
``lift.npz`` (keypoints_2d, confidence, image_size, hypotheses (T, S, 17, 3) mm, track (T, 17, 3)
mm, spread_mm (T, 17), missing_frames, fps, focal_px (T,), joint_names; confidence is 1/0 for
observed/missing joints when the input has none), ``track.bvh``
(:mod:`gfpose.media.bvh_export`), ``lift.mp4`` (when ffmpeg is available) and ``lift.gif`` (at most
20 frames/s). Frames without a person (every keypoint missing) stay NaN in the npz and are listed
in ``missing_frames``; the BVH fills them by interpolation. How hypotheses, track and focal length
are made: gfpose.sequences.lift.
"""

from __future__ import annotations

import time
from collections.abc import Sized
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gfpose.data.keypoints import Keypoints2D
from gfpose.data.posefile import save_pose_npz
from gfpose.errors import InputError
from gfpose.media.animation import VideoFrames, ffmpeg_executable, save_lift_movie
from gfpose.media.bvh_export import export_bvh
from gfpose.sequences.lift import CHAIN_FRAMES, DEFAULT_FPS
from gfpose.skeleton import H36M_JOINTS
from gfpose.validation import positive_scalar

KEYPOINT_SUFFIXES = (".json", ".npz")
GIF_MAX_FPS = 20.0  # the GIF is a preview: every k-th frame (encoding photos as GIF frames is slow)


@dataclass
class LiftResult:
    """Paths written (``mp4`` None when skipped), frames without a person, notes for the user."""

    npz: Path
    bvh: Path
    gif: Path
    mp4: Path | None
    missing_frames: np.ndarray
    lift_seconds: float
    frames: int
    notes: list[str] = field(default_factory=list)


def lift_keypoints(prior, keypoints: Keypoints2D, out_dir, fps: float, num_hypotheses: int = 50, seed: int = 0,
                   video_frames: VideoFrames | None = None, focal_px: float | None = None,
                   chain_frames: int = CHAIN_FRAMES) -> LiftResult:
    """Lift T frames of 2D keypoints with ``prior`` (a :class:`gfpose.PosePrior`) and write the outputs.

    video_frames: the T video images (H, W, 3) uint8 drawn under the 2D overlay, as an iterable or
    a function returning one (e.g. ``gfpose.media.video.Media.frames``, read once per movie); None
    draws on a blank canvas. focal_px, chain_frames: gfpose.sequences.lift.
    """
    fps = positive_scalar(fps, "fps")
    count = len(keypoints.keypoints)
    if isinstance(video_frames, Sized) and len(video_frames) != count:
        raise InputError(f"video_frames: {len(video_frames)} frames but {count} frames of keypoints; "
                         "expected one keypoint frame per video frame")
    start = time.perf_counter()
    take = prior.lift_take(keypoints.keypoints, keypoints.image_size, fps, num_hypotheses, keypoints.confidence, seed,
                           keypoints.joints, focal_px, chain_frames)
    lift_seconds = time.perf_counter() - start
    track, missing = take.track, take.missing_frames
    out = Path(out_dir)
    result = LiftResult(out / "lift.npz", out / "track.bvh", out / "lift.gif", None, missing, lift_seconds, count)
    observed = np.isfinite(keypoints.keypoints[..., 0]).astype(np.float32)
    save_pose_npz(result.npz, keypoints_2d=keypoints.keypoints,
                  confidence=observed if keypoints.confidence is None else keypoints.confidence,
                  image_size=keypoints.image_size, hypotheses=take.hypotheses, track=track, spread_mm=take.spread_mm,
                  missing_frames=missing, fps=np.float32(fps), focal_px=take.focal_px,
                  joint_names=np.array(H36M_JOINTS))
    export_bvh(track, result.bvh, fps)
    if len(missing):
        result.notes.append(f"{len(missing)} of {count} frames have no person (frames {missing[:10].tolist()}"
                            f"{' ...' if len(missing) > 10 else ''}): NaN in lift.npz, interpolated in track.bvh")
    movie = (keypoints.keypoints, keypoints.image_size, track, fps, video_frames)
    if ffmpeg_executable() is None:
        result.notes.append("no MP4: no ffmpeg found (apt install ffmpeg, or pip install imageio-ffmpeg); "
                            "wrote the GIF only")
    else:
        result.mp4 = out / "lift.mp4"
        save_lift_movie(result.mp4, *movie)
    save_lift_movie(result.gif, *movie, max_fps=GIF_MAX_FPS)
    return result


def is_keypoint_input(path: Path) -> bool:
    """A 2D keypoint file or an OpenPose folder (else: a video, an image or a folder of images)."""
    if path.is_dir():
        return any(path.glob("*_keypoints.json"))
    return path.suffix.lower() in KEYPOINT_SUFFIXES


def detect_media(path: Path):
    """(2D keypoints, the frame source for the overlay, fps, detection frames/s, whether the frames
    are a video) of a video, image or image folder, through the offline detector (gfpose.media.detect)."""
    from gfpose.media.detect import detect_keypoints
    from gfpose.media.video import open_media
    media = open_media(path)
    start = time.perf_counter()
    keypoints = detect_keypoints(media.frames(), video=not media.image_paths, source=str(path), progress=True,
                                 total=media.frame_count)
    return (keypoints, media.frames, media.fps, len(keypoints.keypoints) / (time.perf_counter() - start),
            not media.image_paths)


def lift(prior, source, out_dir, image_size=None, video=None, fps: float | None = None, num_hypotheses: int = 50,
         seed: int = 0, focal_px: float | None = None, chain_frames: int | None = None) -> LiftResult:
    """`gfpose lift` in Python: a video, an image, a folder of images, or a 2D keypoint file (COCO
    results, OpenPose, gfpose npz/JSON; `image_size` for those that do not record it, `video` to draw
    their overlay on) -> the outputs of lift_keypoints in out_dir. A note gives detection frames/s.
    chain_frames: None takes CHAIN_FRAMES for a video or keypoint track and 1 for images."""
    from gfpose.media.formats import read_keypoints
    from gfpose.media.video import open_media
    source = Path(source)
    detection_fps, is_sequence = None, True
    if is_keypoint_input(source):
        keypoints, media_fps = read_keypoints(source, image_size), None
        frames = None if video is None else open_media(video).frames
    else:
        keypoints, frames, media_fps, detection_fps, is_sequence = detect_media(source)
    if chain_frames is None:
        chain_frames = CHAIN_FRAMES if is_sequence else 1
    result = lift_keypoints(prior, keypoints, out_dir, fps or media_fps or DEFAULT_FPS, num_hypotheses, seed,
                            frames, focal_px, chain_frames)
    if detection_fps is not None:
        result.notes.insert(0, f"detected 2D in {len(keypoints.keypoints)} frames ({detection_fps:.1f} frames/s)")
    return result
