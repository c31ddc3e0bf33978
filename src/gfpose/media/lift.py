"""A take's 2D keypoints -> 3D: S hypotheses per frame (GFPose Sec. 5.3.1), one 3D track, files.

Outputs in ``out_dir`` (each written atomically, so a failed run leaves earlier files intact):
``lift.npz`` (keypoints_2d, confidence, image_size, hypotheses (T, S, 17, 3) mm, track (T, 17, 3)
mm, spread_mm (T, 17), missing_frames, fps, focal_px (T,), joint_names; confidence is 1/0 for
observed/missing joints when the input has none), ``track.bvh``
(:mod:`gfpose.media.bvh_export`), ``lift.mp4`` (when ffmpeg is available) and ``lift.gif`` (at most
20 frames/s).
Frames without a person (every keypoint missing) stay NaN in the npz and are listed in
``missing_frames``; the BVH fills them by interpolation.

Hypotheses: a video's or keypoint track's frames are lifted in chains of ``chain_frames`` frames
(gfpose.sequences.propagate): a chain's first frame is drawn from the prior at T = 1, each later
frame warm-started from the frame before in one network evaluation, about 7 times faster than
drawing every frame from T = 1 and smoother (measured in docs/RESULTS.md, Real footage). A warm
step returns about the posterior mean given the perturbed predecessor, so warm-started hypotheses
spread about 30% less than independent ones (``spread_mm`` is smaller); ``chain_frames=1`` draws
every frame independently, the default for images, which need not show one motion.

Track: the coherent path through each frame's hypotheses (gfpose.sequences, the 'path' method:
Viterbi on reprojection and motion costs, then smoothed under a temporal prior).

Camera and focal length. The model has no focal-length input: it learned 2D as its training
camera sees it (:mod:`gfpose.data.cameras`: 1145 px on a 1000 px-wide image, i.e. a focal length
of 1.145 x the image width, 47.2 degrees horizontal field of view, principal point at the image
centre; 2D is normalised by the image width, ``normalize_screen``). For a camera of focal length
``focal_px`` the keypoints are rescaled about the image centre by 1.145 w / focal_px before lifting:
the same viewing rays as the training camera would image them. ``focal_px=None`` takes the
training camera's (47.2 degrees across the image width; the short side of a portrait video).
A wrong focal length changes the rays the model sees: too long a focal (too narrow a view) makes
an off-centre person look more frontal than they are and weakens the perspective the model reads
depth from; too short, the reverse. The pose comes out turned by roughly the error in the ray
angle (about 11 degrees at the edge of a 70-degree image lifted with the default) and its
depth cues mis-scaled, which root-aligned errors show and Procrustes-aligned ones mostly hide.
"""

from __future__ import annotations

import time
from collections.abc import Sized
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from gfpose.data.cameras import FOCAL, IMAGE_SIZE
from gfpose.data.keypoints import Keypoints2D
from gfpose.data.posefile import save_pose_npz
from gfpose.errors import InputError
from gfpose.media.animation import VideoFrames, ffmpeg_executable, save_lift_movie
from gfpose.media.bvh_export import export_bvh
from gfpose.sequences.propagate import Propagation, propagate_hypotheses
from gfpose.skeleton import H36M_JOINTS
from gfpose.validation import check_2d_input, check_count, check_seed, positive_scalar

DEFAULT_FPS = 30.0  # of keypoint files that do not say
KEYPOINT_SUFFIXES = (".json", ".npz")
TRAINING_FOCAL_PER_WIDTH = FOCAL / IMAGE_SIZE[0]  # 1.145: focal length / image width of the training camera
GIF_MAX_FPS = 20.0  # the GIF is a preview: every k-th frame (encoding photos as GIF frames is slow)
VIDEO_CHAIN_FRAMES = Propagation().chain_frames  # lift's default for videos and keypoint tracks


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


def training_focal(image_size: np.ndarray) -> np.ndarray:
    """(N,) focal length in px of the training camera for images of (N, 2) sizes: 1.145 x width."""
    return TRAINING_FOCAL_PER_WIDTH * image_size[:, 0]


def to_training_camera(keypoints: np.ndarray, image_size: np.ndarray, focal_px: float | None) -> np.ndarray:
    """(N, 17, 2) px of a camera with ``focal_px`` -> as the training camera would see the same rays."""
    if focal_px is None:
        return keypoints
    scale = training_focal(image_size) / positive_scalar(focal_px, "focal_px")
    center = image_size[:, None, :] / 2
    return center + (keypoints - center) * scale[:, None, None]


def select_track(hypotheses: np.ndarray, keypoints: np.ndarray, image_size: np.ndarray, fps: float) -> np.ndarray:
    """(T, S, 17, 3) hypotheses of (T, 17, 2) px keypoints as the training camera sees them ->
    (T, 17, 3): the coherent path through the hypotheses of the frames with a person
    (gfpose.sequences.methods.path_through: Viterbi on reprojection and motion costs, then
    smoothed); frames without a person stay NaN."""
    from gfpose.sequences.methods import path_through
    present = np.isfinite(hypotheses).all(axis=(1, 2, 3))
    track = np.full(hypotheses.shape[:1] + hypotheses.shape[2:], np.nan, dtype=np.float32)
    if present.any():
        track[present] = path_through(*(torch.from_numpy(np.ascontiguousarray(a[present], dtype=np.float32))
                                        for a in (hypotheses, keypoints, image_size)), fps).numpy()
    return track


def hypothesis_spread(hypotheses: np.ndarray) -> np.ndarray:
    """(T, S, 17, 3) -> (T, 17) RMS distance in mm of the hypotheses from their mean, per joint."""
    deviation = hypotheses - hypotheses.mean(axis=1, keepdims=True)
    return np.sqrt((deviation ** 2).sum(axis=-1).mean(axis=1))


def estimate_take(prior, keypoints: Keypoints2D, num_hypotheses: int, seed: int = 0,
                  focal_px: float | None = None, chain_frames: int = 1) -> np.ndarray:
    """(T, S, 17, 3) mm hypotheses of every frame with a person; all NaN for the frames without.
    chain_frames > 1 warm-starts frames from the frame before (see the module docstring); 1 lifts
    every frame independently, as ``prior.estimate`` does. select_track couples them."""
    count = check_count(num_hypotheses, "num_hypotheses")
    propagation = Propagation(chain_frames=chain_frames)
    present = np.isfinite(keypoints.keypoints).any(axis=(1, 2))
    if not present.any():
        raise InputError(f"keypoints: no person in any of the {len(present)} frames; nothing to lift")
    kp = to_training_camera(keypoints.keypoints, keypoints.image_size, focal_px)
    conf = None if keypoints.confidence is None else keypoints.confidence[present]
    points, sizes = check_2d_input(kp[present], keypoints.image_size[present], conf)
    hyps = np.full((len(present), count, len(H36M_JOINTS), 3), np.nan, dtype=np.float32)
    hyps[present] = propagate_hypotheses(prior.sampler_for("estimate", keypoints.joints), torch.from_numpy(points),
                                         torch.from_numpy(sizes), count, propagation, check_seed(seed),
                                         frame_index=np.flatnonzero(present)).numpy()
    return hyps


def lift_keypoints(prior, keypoints: Keypoints2D, out_dir, fps: float, num_hypotheses: int = 50, seed: int = 0,
                   video_frames: VideoFrames | None = None, focal_px: float | None = None,
                   chain_frames: int = VIDEO_CHAIN_FRAMES) -> LiftResult:
    """Lift T frames of 2D keypoints with ``prior`` (a :class:`gfpose.PosePrior`) and write the outputs.

    video_frames: the T video images (H, W, 3) uint8 drawn under the 2D overlay, as an iterable or
    a function returning one (e.g. ``gfpose.media.video.Media.frames``, read once per movie); None
    draws on a blank canvas. focal_px, chain_frames: see the module docstring.
    """
    fps = positive_scalar(fps, "fps")
    count = len(keypoints.keypoints)
    if isinstance(video_frames, Sized) and len(video_frames) != count:
        raise InputError(f"video_frames: {len(video_frames)} frames but {count} frames of keypoints; "
                         "expected one keypoint frame per video frame")
    start = time.perf_counter()
    hyps = estimate_take(prior, keypoints, num_hypotheses, seed, focal_px, chain_frames)
    track = select_track(hyps, to_training_camera(keypoints.keypoints, keypoints.image_size, focal_px),
                         keypoints.image_size, fps)
    lift_seconds = time.perf_counter() - start
    missing = np.flatnonzero(np.isnan(track).all(axis=(1, 2)))
    out = Path(out_dir)
    result = LiftResult(out / "lift.npz", out / "track.bvh", out / "lift.gif", None, missing, lift_seconds, count)
    observed = np.isfinite(keypoints.keypoints[..., 0]).astype(np.float32)
    save_pose_npz(result.npz, keypoints_2d=keypoints.keypoints,
                  confidence=observed if keypoints.confidence is None else keypoints.confidence,
                  image_size=keypoints.image_size, hypotheses=hyps, track=track, spread_mm=hypothesis_spread(hyps),
                  missing_frames=missing, fps=np.float32(fps),
                  focal_px=training_focal(keypoints.image_size) if focal_px is None else np.full(count, focal_px),
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
    chain_frames: None takes VIDEO_CHAIN_FRAMES for a video or keypoint track and 1 for images."""
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
        chain_frames = VIDEO_CHAIN_FRAMES if is_sequence else 1
    result = lift_keypoints(prior, keypoints, out_dir, fps or media_fps or DEFAULT_FPS, num_hypotheses, seed,
                            frames, focal_px, chain_frames)
    if detection_fps is not None:
        result.notes.insert(0, f"detected 2D in {len(keypoints.keypoints)} frames ({detection_fps:.1f} frames/s)")
    return result
