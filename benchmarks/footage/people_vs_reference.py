"""Several people detected, tracked and lifted on the real two-person clip vs its reference (issue 30, item 1).

For each camera of ../shared/data/pose2sim-demo-multiperson, the whole video goes through
gfpose.media.detect.detect_people (mediapipe's Tasks PoseLandmarker, ``max_people`` 2, video mode at
the clip's 60 fps; identities by gfpose.data.people.track_people), as `gfpose lift --max-people 2`
detects it; the reference's frames are then taken from each detected track (camera v's video frame
``frames + frame_offsets[v]`` of benchmarks/footage/multiview_reference_multiperson.npz).

Identities: in every reference frame the detected tracks found there are matched one-to-one to the
reference's people (Hungarian, on the mean px distance of their 2D from the person's reference
reprojected into that camera with its distortion; a pair further apart than GATE times the person's
reprojected 2D height is no match: a background person, say). Per reference person: frames found
(some track matched it), misses (none did), and swaps (frames where the track matched to it differs
from the track matched to it in its previous found frame); per track: the frames it was found in and
how many matched each person or nobody. Each person is then given the track matched to it most
often, and that track is lifted as `gfpose lift --calibration` lifts it (PosePrior.lift_take:
Camera.ideal_pinhole 2D at the calibrated focal length, ``joints="detector"``, 50 hypotheses, seed
0, chains of 12 warm-started frames) over the reference's frames, whatever it matched in each, and
scored against that person's reference with benchmarks/footage/monocular_vs_reference.py's
functions: the reference in the camera's frame, root-centred; one global scale per camera and
person (the bone rule); P-MPJPE and scaled root-aligned MPJPE of the track (and of the first and the
best of 50 hypotheses), all 17 joints and without the head and neck; frames where either lacks a
joint left out.

Beside each row: the same person and camera lifted from 2D detected with the identity given
(docs/results/monocular_footage_multiperson.json: BlazePose on crops that follow that person, the
other greyed out, frame-aligned, left/right labels corrected by the multi-view check).

Detections and hypotheses are cached under ``--cache-dir`` (default /tmp/people_vs_reference).
Writes docs/results/people_footage.json.

    python benchmarks/footage/people_vs_reference.py [--src ../shared/data/pose2sim-demo-multiperson]
        [--reference NPZ] [--cache-dir DIR] [--json docs/results/people_footage.json]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from monocular_vs_reference import (
    HYPOTHESES,
    JOINT_SETS,
    SEED,
    as_labelled,
    average,
    bone_size,
    camera_errors,
    reference_in_camera,
    rounded,
)
from scipy.optimize import linear_sum_assignment

import gfpose
from gfpose.atomic import atomic_write
from gfpose.geometry import root_center
from gfpose.media.calibration import Camera, read_qualisys
from gfpose.media.detect import detect_people
from gfpose.media.video import open_media
from gfpose.sequences.lift import CHAIN_FRAMES

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hardware  # noqa: E402  (benchmarks/hardware.py)

COMMAND = "python benchmarks/footage/people_vs_reference.py"
MAX_PEOPLE, FPS = 2, 60.0
GATE = 0.5  # a track and a person match only within this fraction of the person's reprojected 2D height
CROP_JSON = Path("docs/results/monocular_footage_multiperson.json")
COMPARED = ("p_mpjpe_track", "mpjpe_scaled_track", "p_mpjpe_s1", "p_mpjpe_best", "mpjpe_scaled_s1")


def detect_camera(path: Path, cache: Path) -> dict:
    """Every detected track of one video: keypoints (N, T, 17, 2) px (NaN: not found), confidence
    (N, T, 17), image size (w, h) and the detection's seconds (from ``cache`` when it exists)."""
    if cache.exists():
        print(f"detections from {cache}", flush=True)
        return dict(np.load(cache))
    media, start = open_media(path), time.perf_counter()
    people = detect_people(media.frames(), max_people=MAX_PEOPLE, video=True, fps=media.fps, source=str(path),
                           total=media.frame_count)
    seconds = time.perf_counter() - start
    found = {"keypoints": np.stack([p.keypoints for p in people]).astype(np.float32),
             "confidence": np.stack([p.confidence for p in people]).astype(np.float32),
             "image_size": np.asarray(people[0].image_size[0], dtype=np.float32), "seconds": seconds}
    atomic_write(cache, lambda tmp: np.savez_compressed(tmp, **found))
    print(f"{path.name}: {len(people)} tracks in {seconds:.1f} s", flush=True)
    return found


def distances(tracks: np.ndarray, reference_2d: np.ndarray) -> np.ndarray:
    """(N, P, T) mean px distance of each track's 2D (N, T, 17, 2) from each person's reference
    2D (P, T, 17, 2) over the joints both have, divided by that person's 2D height (NaN: either lacks all)."""
    gap = np.linalg.norm(tracks[:, None] - reference_2d[None], axis=-1)  # (N, P, T, 17)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN rows: NaN
        mean = np.nanmean(gap, axis=-1)
        height = np.nanmax(reference_2d[..., 1], axis=-1) - np.nanmin(reference_2d[..., 1], axis=-1)  # (P, T)
    return mean / height[None]


def match_identities(relative: np.ndarray) -> np.ndarray:
    """(N, P, T) relative distances -> (P, T) the track matched to each person in each frame (-1: none),
    one-to-one per frame (Hungarian), pairs beyond GATE left unmatched."""
    tracks, people, frames = relative.shape
    matched = np.full((people, frames), -1)
    for t in range(frames):
        cost = np.where(np.isfinite(relative[..., t]), relative[..., t], 1e6)
        for n, p in zip(*linear_sum_assignment(cost)):
            if cost[n, p] <= GATE:
                matched[p, t] = n
    return matched


def identity_counts(matched: np.ndarray, tracks: np.ndarray) -> tuple[list[dict], list[dict]]:
    """Per person: found, misses, track changes (the track matched to it differs from the one of its
    previous found frame) and the frames of each track; per track: frames found, matched to each person
    or nobody, and swaps (the person it matches differs from the one of its previous matched frame)."""
    people = []
    for row in matched:
        found = row[row >= 0]
        people.append({"frames": len(row), "found": int(len(found)), "misses": int((row < 0).sum()),
                       "track_changes": int((found[1:] != found[:-1]).sum()),
                       "frames_per_track": {f"track{n}": int((found == n).sum()) for n in np.unique(found)}})
    present = np.isfinite(tracks).any(axis=(2, 3))  # (N, T)
    per_track = []
    for n, seen in enumerate(present):
        owner = np.argmax(matched == n, axis=0)[(matched == n).any(axis=0)]  # the person matched, frame by frame
        owners = {f"person{p}": int((row == n).sum()) for p, row in enumerate(matched)}
        per_track.append({"found": int(seen.sum()), **owners, "nobody": int(seen.sum() - sum(owners.values())),
                          "swaps": int((owner[1:] != owner[:-1]).sum())})
    return people, per_track


def lift_person(prior, camera: Camera, keypoints: np.ndarray, confidence: np.ndarray, image_size: np.ndarray,
                cache: Path) -> dict:
    """A track's ideal-pinhole 2D lifted as `gfpose lift --calibration` does: hypotheses (T, S, 17, 3),
    track and central answers (T, 17, 3) mm, the ideal 2D, the focal length and the lifting's seconds
    (cached in ``cache``)."""
    if cache.exists():
        return dict(np.load(cache))
    ideal, focal = camera.ideal_pinhole(keypoints, image_size)
    sizes = np.tile(image_size, (len(keypoints), 1))
    start = time.perf_counter()
    take = prior.lift_take(ideal.astype(np.float32), sizes, FPS, HYPOTHESES, confidence, SEED, joints="detector",
                           focal_px=focal, chain_frames=CHAIN_FRAMES)
    lifted = {"hypotheses": take.hypotheses, "track": take.track, "central": take.central, "keypoints": ideal,
              "focal_px": focal,
              "seconds": time.perf_counter() - start}
    atomic_write(cache, lambda tmp: np.savez_compressed(tmp, **lifted))
    return lifted


def score(lifted: dict, reference: np.ndarray, scored: np.ndarray | None = None) -> dict:
    """monocular_vs_reference.camera_errors of a lifted track against a person's camera-frame reference
    (T, 17, 3): its scale from the whole reference, its errors on the frames where ``scored`` (default the
    reference) has every joint."""
    hyps = lifted["hypotheses"].astype(np.float64)
    scale = bone_size(reference) / bone_size(hyps)
    track = root_center(lifted["track"].astype(np.float64)) * scale
    return camera_errors(hyps, reference if scored is None else scored, lifted["keypoints"], scale, track,
                         lifted["central"].astype(np.float64))


def crop_rows(path: Path) -> dict:
    """person -> camera -> joint set -> the crop-based numbers (COMPARED) of monocular_footage_multiperson.json."""
    people = json.loads(path.read_text())["people"]
    return {person: {camera: {js: {k: row[js][k] for k in COMPARED} for js in JOINT_SETS}
                     for camera, row in report["errors"].items()} for person, report in people.items()}


def markdown_table(report: dict, joint_set: str) -> str:
    """Per camera and person: identities, then the track's errors beside the crop-based ones."""
    lines = [f"{joint_set}: | camera | person | track | found | misses | swaps | track changes | P-MPJPE track "
             "| matched frames | relabelled | crop-based | scaled MPJPE track | relabelled | crop-based |",
             "|" + "---|" * 14]
    for camera, row in report["cameras"].items():
        for person, p in row["people"].items():
            e, m, r, c = (p[k][joint_set] for k in ("errors", "errors_matched_frames", "errors_relabelled",
                                                     "crop_based"))
            lines.append(f"| {camera} | {person} | {p['track']} | {p['found']} | {p['misses']} | {p['swaps']} | "
                         f"{p['track_changes']} | {e['p_mpjpe_track']:.1f} | {m['p_mpjpe_track']:.1f} | "
                         f"{r['p_mpjpe_track']:.1f} | {c['p_mpjpe_track']:.1f} | {e['mpjpe_scaled_track']:.1f} | "
                         f"{r['mpjpe_scaled_track']:.1f} | {c['mpjpe_scaled_track']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path("../shared/data/pose2sim-demo-multiperson"))
    parser.add_argument("--reference", type=Path,
                        default=Path("benchmarks/footage/multiview_reference_multiperson.npz"))
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/people_vs_reference"))
    parser.add_argument("--json", type=Path, default=Path("docs/results/people_footage.json"))
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)

    reference = dict(np.load(args.reference))
    cameras = read_qualisys(args.src / "Calib.qca.txt")
    names = [camera.name for camera in cameras]
    if names != reference["camera_names"].tolist():
        raise SystemExit(f"cameras {names} differ from the reference's {reference['camera_names'].tolist()}")
    points = reference["points_3d"].astype(np.float64)  # (P, T, 17, 3) world mm
    people = [f"person{p}" for p in range(len(points))]
    crop = crop_rows(CROP_JSON)
    prior = gfpose.PosePrior.pretrained(device="cpu", precision="fp32")
    report_cameras, detect_seconds, lift_seconds, lifted_frames = {}, 0.0, 0.0, 0
    for v, camera in enumerate(cameras):
        found = detect_camera(args.src / f"{camera.name}.mp4", args.cache_dir / f"detect_{camera.name}.npz")
        detect_seconds += float(found["seconds"])
        index = reference["frames"] + reference["frame_offsets"][v]  # camera v's video frames
        tracks, confidence = found["keypoints"][:, index], found["confidence"][:, index]
        matched = match_identities(distances(tracks.astype(np.float64), camera.project(points)))
        identities, per_track = identity_counts(matched, tracks)
        rows = {}
        for p, (person, identity) in enumerate(zip(people, identities)):
            main_track = int(np.bincount(matched[p][matched[p] >= 0], minlength=len(tracks)).argmax())
            ref = reference_in_camera(points[p], camera)
            mine = np.where((matched[p] == main_track)[:, None, None], ref, np.nan)  # the frames it matched p
            relabelled = [as_labelled(x, tracks[main_track], reference["keypoints_2d"][p, v])[0]
                          for x in (tracks[main_track], confidence[main_track])]
            lift = functools.partial(lift_person, prior, camera, image_size=found["image_size"])
            stem = args.cache_dir / f"lift_{camera.name}_{person}_track{main_track}"
            lifted = lift(tracks[main_track], confidence[main_track], cache=stem.with_suffix(".npz"))
            fixed = lift(*relabelled, cache=stem.with_name(stem.name + "_relabelled.npz"))
            lift_seconds += float(lifted["seconds"] + fixed["seconds"])
            lifted_frames += 2 * len(index)
            scores = {"errors": score(lifted, ref), "errors_matched_frames": score(lifted, ref, mine),
                      "errors_relabelled": score(fixed, ref)}
            delta = {js: {k: scores["errors"][js][k] - crop[person][camera.name][js][k] for k in COMPARED}
                     for js in JOINT_SETS}
            rows[person] = {"track": f"track{main_track}", **identity, "swaps": per_track[main_track]["swaps"],
                            "frames_matched": int((matched[p] == main_track).sum()), **scores,
                            "crop_based": crop[person][camera.name], "minus_crop_based": delta}
        report_cameras[camera.name] = {"tracks_detected": len(tracks), "video_frames": list(map(int, index[[0, -1]])),
                                       "tracks": {f"track{n}": t for n, t in enumerate(per_track)}, "people": rows}
        print(f"{camera.name}: " + ", ".join(f"{person} swaps {r['swaps']} misses {r['misses']} P-MPJPE track "
                                            f"{r['errors']['all_joints']['p_mpjpe_track']:.1f} (crop-based "
                                            f"{r['crop_based']['all_joints']['p_mpjpe_track']:.1f})"
                                            for person, r in rows.items()), flush=True)

    averages = {}
    for person in people:
        rows = {name: cam["people"][person] for name, cam in report_cameras.items()}
        averages[person] = {
            **{k: sum(r[k] for r in rows.values()) for k in ("found", "misses", "swaps", "track_changes")},
            **{k: average({name: r[k] for name, r in rows.items()})
               for k in ("errors", "errors_matched_frames", "errors_relabelled")},
            "crop_based": average({name: r["crop_based"] for name, r in rows.items()}),
            "minus_crop_based": average({name: r["minus_crop_based"] for name, r in rows.items()})}
    report = rounded({
        "command": COMMAND,
        "source": f"Pose2Sim Demo_MultiPerson (BSD-3-Clause), {len(cameras)} cameras x {len(reference['frames'])} "
                  "frame-aligned frames at 60 fps (camera v's video frames frames + frame_offsets[v])",
        "reference": f"{args.reference} (docs/results/multiview_reference_multiperson.json)",
        "detector": f"gfpose.media.detect.detect_people(max_people={MAX_PEOPLE}, video=True, fps=60) on each whole "
                    "video (mediapipe Tasks PoseLandmarker, pose_landmark_full; identities by "
                    "gfpose.data.people.track_people), the reference's frames taken from each track",
        "identities": f"per frame, tracks matched one-to-one (Hungarian) to the reference's people by the mean px "
                      f"distance of their 2D from the person's reference reprojected into the camera (distorted), "
                      f"over the person's reprojected 2D height; no match beyond {GATE}. found / misses: frames "
                      "where some / no track matched the person; track_changes: frames where the track matched to a "
                      "person differs from the one of its previous found frame; swaps: frames where the person the "
                      "lifted track matches differs from the one of its previous matched frame (the identity gfpose "
                      "lift writes changing person). Each person is lifted from the track matched to it most "
                      "often (frames_matched: the frames it matched that person), over every reference frame",
        "variants": {"errors": "that track as detected, scored on every reference frame (end to end)",
                     "errors_matched_frames": "the same lift scored only on the frames where the track matched "
                                              "the person (identity errors left out)",
                     "errors_relabelled": "that track with its left/right limb labels exchanged in the frames where "
                                          "the reference's 2D of the person has them exchanged "
                                          "(monocular_vs_reference.as_labelled), lifted and scored as errors: "
                                          "the crop-based input's labels on the detected 2D"},
        "lifting": f"gfpose.PosePrior.pretrained(device='cpu', precision='fp32').lift_take: Camera.ideal_pinhole 2D "
                   f"at the calibrated focal length, joints='detector', {HYPOTHESES} hypotheses, seed {SEED}, "
                   f"chain_frames {CHAIN_FRAMES}, {FPS:g} fps (as gfpose lift --max-people 2 --calibration)",
        "metrics": "as benchmarks/footage/monocular_vs_reference.py: the reference in the camera's frame, "
                   "root-centred; one global scale per camera and person (the reference's summed median bone "
                   "lengths over those of all hypotheses, head and neck excluded); *_track: the lifted track "
                   "(select_track) times the scale; frames where either lacks a joint left out; mm",
        "crop_based": f"{CROP_JSON}: the same person and camera lifted the same way from BlazePose (legacy solution, "
                      "model_complexity=1) run on crops that follow that person with the other greyed out, i.e. "
                      "identities given, and left/right limb labels corrected by the multi-view check "
                      "(person1: many frames in cam02); the closest 'lifted alone' row there is, not the same 2D",
        "hardware": hardware.describe(),
        "detect_seconds": detect_seconds, "lift_seconds": lift_seconds,
        "lift_frames_per_s": lifted_frames / lift_seconds if lift_seconds else None,
        "cameras": report_cameras,
        "average": averages,
    })
    for joint_set in JOINT_SETS:
        print("\n" + markdown_table(report, joint_set))
    print(json.dumps(report["average"], indent=1))
    atomic_write(args.json, lambda tmp: Path(tmp).write_text(json.dumps(report, indent=2) + "\n"))


if __name__ == "__main__":
    main()
