"""A video, images or a 2D keypoint file -> lifted takes, one per person (gfpose.sequences.lift), and files.

Outputs in ``out_dir`` (each written atomically, so a failed run leaves earlier files intact):

- ``lift.npz``: per person keypoints_2d, confidence (1/0 for observed/missing joints when the input
  has none), image_size, hypotheses (T, S, 17, 3) mm, central (T, 17, 3) mm (each frame's one
  deterministic answer, as close as the hypotheses' mean), track (T, 17, 3) mm, root (T, 3) mm (the
  track's camera-frame position, placed with the feet held while in contact), contacts (T, 2) 0/1
  (right, left ankle), spread_mm (T, 17), interval_center (T, 17, 3) and radius50_mm / radius90_mm
  (T, 17): balls around the hypotheses' mean meant to hold the true joint 50% / 90% of the time,
  calibrated on held-out takes and widened where the hypotheses miss the 2D (gfpose.uncertainty),
  residual_mm (T,) (that miss, gfpose.sequences.lift.placement_residual), missing_frames, focal_px
  (T,); and fps, joint_names, people (P);
- ``track.bvh`` (gfpose.media.bvh_export: the placed track, so the root moves and the feet stay
  put), ``track_contacts.csv`` and ``uncertainty.csv`` (per frame and joint);
- ``lift.mp4`` (when ffmpeg is available) and ``lift.gif`` (at most 20 frames/s), every person drawn,
  the 3D joints coloured by their 90% radius.

With one person the keys and files are as named; with P > 1 each person's carry ``person<i>_``
(``person0_track``, ``person0_track.bvh``), people ordered by the frames they are seen in, most
first (gfpose.data.people tracks who is who). Frames without a person stay NaN in the npz and are
listed in its ``missing_frames``; the BVH fills them by interpolation. How hypotheses, track and
focal length are made: gfpose.sequences.lift.
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
from gfpose.media.bvh_export import contacts_path, export_bvh, write_contacts_csv
from gfpose.sequences.lift import CHAIN_FRAMES, DEFAULT_FPS
from gfpose.skeleton import H36M_JOINTS
from gfpose.uncertainty import joint_intervals, write_uncertainty_csv
from gfpose.validation import check_count, positive_scalar

KEYPOINT_SUFFIXES = (".json", ".npz")
GIF_MAX_FPS = 20.0  # the GIF is a preview: every k-th frame (encoding photos as GIF frames is slow)


@dataclass
class LiftResult:
    """Paths written (one BVH per person; ``mp4`` None when skipped), each person's frames without
    them, notes for the user."""

    npz: Path
    bvh: list[Path]
    gif: Path
    mp4: Path | None
    missing_frames: list[np.ndarray]
    lift_seconds: float
    frames: int
    notes: list[str] = field(default_factory=list)

    @property
    def lifted_frames(self) -> int:
        """Person-frames lifted: frames x people, less each person's missing frames."""
        return sum(self.frames - len(missing) for missing in self.missing_frames)


def person_key(name: str, person: int, people: int) -> str:
    """The lift.npz key (or file stem) of a person's array: the name itself for one person."""
    return name if people == 1 else f"person{person}_{name}"


def lift_keypoints(prior, people: Keypoints2D | list[Keypoints2D], out_dir, fps: float, num_hypotheses: int = 50,
                   seed: int = 0, video_frames: VideoFrames | None = None, focal_px: float | None = None,
                   chain_frames: int = CHAIN_FRAMES, camera=None) -> LiftResult:
    """Lift T frames of 2D keypoints of one person or several (a list, one Keypoints2D over the same T
    frames each) with ``prior`` (a :class:`gfpose.PosePrior`) and write the outputs.

    video_frames: the T video images (H, W, 3) uint8 drawn under the 2D overlay, as an iterable or
    a function returning one (e.g. ``gfpose.media.video.Media.frames``, read once per movie); None
    draws on a blank canvas. focal_px, chain_frames: gfpose.sequences.lift. camera: a calibrated
    gfpose.media.calibration.Camera whose ideal pinhole lifts the 2D (focal_px is then its); lift.npz
    keeps the 2D as detected, for the overlay.
    """
    people = [people] if isinstance(people, Keypoints2D) else list(people)
    fps = positive_scalar(fps, "fps")
    count = len(people[0].keypoints)
    if any(len(person.keypoints) != count for person in people):
        raise InputError(f"people: {[len(p.keypoints) for p in people]} frames; expected the same frames for each")
    if isinstance(video_frames, Sized) and len(video_frames) != count:
        raise InputError(f"video_frames: {len(video_frames)} frames but {count} frames of keypoints; "
                         "expected one keypoint frame per video frame")
    start = time.perf_counter()
    lifted = people
    if camera is not None:
        lifted = [ideal_keypoints(person, camera)[0] for person in people]
        focal_px = camera.focal_px
    takes = [prior.lift_take(p.keypoints, p.image_size, fps, num_hypotheses, p.confidence, seed, p.joints, focal_px,
                             chain_frames) for p in lifted]
    lift_seconds = time.perf_counter() - start
    out, total = Path(out_dir), len(people)
    result = LiftResult(out / "lift.npz", [out / f"{person_key('track', i, total)}.bvh" for i in range(total)],
                        out / "lift.gif", None, [take.missing_frames for take in takes], lift_seconds, count)
    chains = "warm" if chain_frames > 1 else "independent"
    intervals = [joint_intervals(take.hypotheses, chains=chains, joints=person.joints, residual_mm=take.residual_mm)
                 for person, take in zip(people, takes)]
    arrays = {}
    for i, (person, take, interval) in enumerate(zip(people, takes, intervals)):
        observed = np.isfinite(person.keypoints[..., 0]).astype(np.float32)
        for name, value in (("keypoints_2d", person.keypoints), ("image_size", person.image_size),
                            ("confidence", observed if person.confidence is None else person.confidence),
                            ("hypotheses", take.hypotheses), ("central", take.central), ("track", take.track),
                            ("root", take.root), ("residual_mm", take.residual_mm),
                            ("contacts", take.contacts.astype(np.uint8)), ("spread_mm", take.spread_mm),
                            ("interval_center", interval.center), ("radius50_mm", interval.radius[..., 0]),
                            ("radius90_mm", interval.radius[..., 1]),
                            ("missing_frames", take.missing_frames), ("focal_px", take.focal_px)):
            arrays[person_key(name, i, total)] = value
    save_pose_npz(result.npz, fps=np.float32(fps), people=np.int32(total), joint_names=np.array(H36M_JOINTS),
                  joint_definition=np.array(people[0].joints), **arrays)
    for i, (path, take) in enumerate(zip(result.bvh, takes)):
        export_bvh(take.points, path, fps)
        write_contacts_csv(contacts_path(path), take.contacts, fps)
        write_uncertainty_csv(out / f"{person_key('uncertainty', i, total)}.csv", intervals[i])
    for i, missing in enumerate(result.missing_frames):
        if len(missing):
            who = "" if total == 1 else f"person {i}: "
            result.notes.append(f"{who}{len(missing)} of {count} frames have no person (frames "
                                f"{missing[:10].tolist()}{' ...' if len(missing) > 10 else ''}): NaN in lift.npz, "
                                f"interpolated in {result.bvh[i].name}")
    # One person is drawn root-relative (steady in the 3D panel); several placed, so they stand apart.
    drawn = [take.track for take in takes] if total == 1 else [take.points for take in takes]
    movie = (np.stack([p.keypoints for p in people]), people[0].image_size, np.stack(drawn), fps, video_frames)
    radius90 = np.stack([interval.radius[..., 1] for interval in intervals])
    if ffmpeg_executable() is None:
        result.notes.append("no MP4: no ffmpeg found (apt install ffmpeg, or pip install imageio-ffmpeg); "
                            "wrote the GIF only")
    else:
        result.mp4 = out / "lift.mp4"
        save_lift_movie(result.mp4, *movie, uncertainty_mm=radius90)
    save_lift_movie(result.gif, *movie, max_fps=GIF_MAX_FPS, uncertainty_mm=radius90)
    return result


def is_keypoint_input(path: Path) -> bool:
    """A 2D keypoint file or an OpenPose folder (else: a video, an image or a folder of images)."""
    if path.is_dir():
        return any(path.glob("*_keypoints.json"))
    return path.suffix.lower() in KEYPOINT_SUFFIXES


def detect_media(path: Path, max_people: int = 1):
    """(the people's 2D keypoints, the frame source for the overlay, fps, detection frames/s, the media)
    of a video, image or image folder, through the offline detector (gfpose.media.detect: one person,
    or up to max_people)."""
    from gfpose.media.detect import detect_keypoints, detect_people
    from gfpose.media.video import open_media
    media = open_media(path)
    video = not media.image_paths
    start = time.perf_counter()
    if max_people == 1:
        people = [detect_keypoints(media.frames(), video=video, source=str(path), progress=True,
                                   total=media.frame_count)]
    else:
        people = detect_people(media.frames(), max_people=max_people, video=video, fps=media.fps, source=str(path),
                               progress=True, total=media.frame_count)
    return people, media.frames, media.fps, len(people[0].keypoints) / (time.perf_counter() - start), media


def calibrated_camera(calibration, camera: str | None, image_size: np.ndarray):
    """The camera `camera` (a name or 1-based position; None: the only one) of a calibration file
    (gfpose.media.calibration), checked against the keypoints' (N, 2) image sizes."""
    from gfpose.media.calibration import find_camera, read_calibration
    cameras = read_calibration(calibration)
    if camera is None and len(cameras) > 1:
        raise InputError(f"{calibration}: holds {len(cameras)} cameras {[c.name for c in cameras]}; "
                         "say which with camera (--camera NAME or its 1-based position)")
    chosen = cameras[0] if camera is None else find_camera(cameras, str(camera), str(calibration))
    # A video may crop a few pixels off the calibrated frame (Pose2Sim's demo: 1080 of 1088 px wide).
    if not np.allclose(image_size, chosen.image_size, rtol=0.02):
        raise InputError(f"{calibration}: camera {chosen.name!r} was calibrated on {chosen.image_size[0]} x "
                         f"{chosen.image_size[1]} px images, but the keypoints are of {image_size[0, 0]:g} x "
                         f"{image_size[0, 1]:g} px ones")
    return chosen


def ideal_keypoints(person: Keypoints2D, camera) -> tuple[Keypoints2D, float]:
    """A person's detected 2D as the calibrated camera's ideal pinhole sees it, and its focal length."""
    keypoints, focal = camera.ideal_pinhole(person.keypoints, person.image_size[0])
    return Keypoints2D(keypoints.astype(np.float32), person.confidence, person.image_size, person.joints), focal


def lift(prior, source, out_dir, image_size=None, video=None, fps: float | None = None, num_hypotheses: int = 50,
         seed: int = 0, focal_px: float | None = None, chain_frames: int | None = None,
         max_people: int | None = None, calibration=None, camera: str | None = None) -> LiftResult:
    """`gfpose lift` in Python: a video, an image, a folder of images, or a 2D keypoint file (COCO
    results, OpenPose, gfpose npz/JSON; `image_size` for those that do not record it, `video` to draw
    their overlay on) -> the outputs of lift_keypoints in out_dir. A note gives detection frames/s.
    chain_frames: None takes CHAIN_FRAMES for a video or keypoint track and 1 for images.
    max_people: keypoint files: the most present people to lift (None: all); videos and images: the
    people to detect (None: 1, mediapipe's single-person tracker; more: its multi-person landmarker).
    The camera: `calibration` (a Qualisys or Pose2Sim file; `camera` names one of its cameras)
    undistorts the 2D and gives the focal length; else `focal_px`; else an image's EXIF 35 mm
    equivalent; else the training camera's (gfpose.sequences.lift)."""
    from gfpose.data.keypoints import load_people
    from gfpose.media.calibration import exif_focal_px
    from gfpose.media.video import open_media
    source = Path(source)
    if max_people is not None:
        check_count(max_people, "max_people")
    if calibration is not None and focal_px is not None:
        raise InputError("give the camera by calibration or by focal_px, not both")
    notes, detection_fps, images = [], None, ()
    if is_keypoint_input(source):
        people, media_fps = load_people(source, image_size)[:max_people], None
        frames = None if video is None else open_media(video).frames
    else:
        people, frames, media_fps, detection_fps, media = detect_media(source, max_people or 1)
        images = media.image_paths
        found = "" if len(people) == 1 else f", {len(people)} people"
        notes.append(f"detected 2D in {len(people[0].keypoints)} frames ({detection_fps:.1f} frames/s{found})")
    calibrated = None
    if calibration is not None:
        calibrated = calibrated_camera(calibration, camera, people[0].image_size)
        notes.append(f"camera {calibrated.name!r} of {Path(calibration).name}: 2D undistorted, principal point "
                     f"moved to the centre, focal length {calibrated.focal_px:.0f} px")
    elif focal_px is None and images:
        focal_px = exif_focal_px(images[0])
        if focal_px is not None:
            notes.append(f"focal length {focal_px:.0f} px from {images[0].name}'s EXIF (35 mm equivalent)")
    if chain_frames is None:
        chain_frames = 1 if images else CHAIN_FRAMES
    result = lift_keypoints(prior, people, out_dir, fps or media_fps or DEFAULT_FPS, num_hypotheses, seed,
                            frames, focal_px, chain_frames, calibrated)
    result.notes[:0] = notes
    return result
