"""Does PosePrior.score tell implausible poses from real ones? (issue 30: a second opinion on other tools' poses)

Held-out mocap (the test splits of the bundled set, CMU, HDM05 and the CMU BVH takes, `--count`
poses each, seeded; HDM05's and CMU BVH's are actors and subjects no shipped model saw, CMU's test
has an action its training split lacks) is corrupted in the world frame and seen through the fixed
test cameras (the same camera for a pose and its corruptions), then scored as camera-frame poses,
as given and in the joint definition fitted to the clean poses (unlabelled, as a user fits it):

- hyperextended knee / elbow: one knee (elbow) bent backwards beyond straight by 30-60 degrees in
  its own bending plane, bone lengths kept; poses whose knees (elbows) are both bent under 20
  degrees have no bending plane and are left out;
- left/right arms or legs swapped (the joint labels exchanged, as a detector's left-right mix-up);
- donor limb: one arm or leg below its shoulder or hip replaced by the same limb of a pose of
  another take (its offsets from the shoulder or hip, in the world frame), at least 100 mm away
  on average; such a limb is often still a plausible one;
- Gaussian jitter of 10, 20, 40, 80 mm per coordinate on every joint.

Per corruption: the ROC AUC of clean vs corrupted (the corrupted poses against the same poses clean;
Mann-Whitney, ties count half; with its 95% bootstrap interval over the set's takes) of the score
(the worst body part's deviation from held-out real poses, gfpose.plausibility) and of the summed
nats of all joints (the score before it), and the share flagged at the model's threshold
(PosePrior.plausibility_reference: the 99th percentile of every 16th bundled test pose's score); for
the bent-back limbs also per action (each action's corrupted poses against its own clean ones).
Also: the time per pose, how much the score moves with the viewing azimuth and pitch, and, where
benchmarks/footage has BlazePose's 3D of the Pose2Sim demo (blazepose_3d.py), which of its frames
are flagged, beside the multi-view reference of the same frames seen by the same cameras and bundled
test poses with their derived joints moved where a detector puts them (both, like BlazePose's, in
the detector's joint definition).

    python benchmarks/plausibility.py [--model shipped] [--count 400] [--out docs/results/plausibility.json]
"""

import argparse
import json
import math
import shlex
import sys
import time
from collections import Counter
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs
import numpy as np
import torch
from scipy.stats import rankdata, spearmanr

from gfpose.atomic import atomic_write
from gfpose.data.bandai import load_bundled
from gfpose.data.cameras import camera_views, fixed_test_cameras
from gfpose.data.posefile import load_pose_npz
from gfpose.geometry import procrustes_align, root_center
from gfpose.joint_definitions import to_detector_joints
from gfpose.plausibility import BODY_PARTS, LEVELS_MM, reference_poses
from gfpose.prior import PosePrior

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE = ROOT / "benchmarks" / "footage"
DATA = ROOT / "benchmarks" / "data"
SETS = {"bundled": None, "CMU": DATA / "cmu17.npz", "HDM05": DATA / "hdm05_17.npz", "CMU BVH": DATA / "cmu_bvh17.npz"}
KNEES = ((1, 2, 3), (4, 5, 6))  # (hip, knee, ankle) right and left
ELBOWS = ((11, 12, 13), (14, 15, 16))  # (shoulder, elbow, wrist) left and right
LIMBS = ((1, 2, 3), (4, 5, 6), (11, 12, 13), (14, 15, 16))  # (hip or shoulder, middle, end)
LEGS = ((1, 2, 3), (4, 5, 6))  # right, left
ARMS = ((14, 15, 16), (11, 12, 13))
MIN_BEND_DEG = 20.0
ELEVATION_BINS_DEG = (0.0, 45.0, 90.0, 180.0)
HYPEREXTENSION_DEG = (30.0, 60.0)
DONOR_MIN_MM = 100.0
JITTER_MM = (10, 20, 40, 80)
AZIMUTHS_DEG = tuple(range(0, 360, 30))  # not only the scoring headings (45 degrees apart)
PITCHES_DEG = (-10, 0, 10, 20, 30, 45)
ROTATION_POSES = 200
BOOTSTRAP_DRAWS = 2000  # resamples of a set's takes for an AUC's 95% interval


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def rotate(v: np.ndarray, axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rodrigues: vectors (N, 3) about unit axes (N, 3) by angles (N,) radians."""
    cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
    return v * cos + np.cross(axis, v) * sin + axis * (axis * v).sum(-1, keepdims=True) * (1 - cos)


def hyperextend(poses: np.ndarray, hinges, rng) -> tuple[np.ndarray, np.ndarray]:
    """One hinge per pose (a bent one, at random) bent backwards beyond straight; returns the
    corrupted poses of those with a bent hinge and their mask (N,)."""
    rows = np.arange(len(poses))
    joints = np.array(hinges)  # (H, 3)
    upper = poses[:, joints[:, 1]] - poses[:, joints[:, 0]]
    lower = poses[:, joints[:, 2]] - poses[:, joints[:, 1]]
    bend = np.degrees(np.arccos(np.clip((unit(upper) * unit(lower)).sum(-1), -1, 1)))  # (N, H)
    pick = np.argmax((bend >= MIN_BEND_DEG) + rng.random(bend.shape), axis=1)  # a bent hinge, if any
    bent = bend[rows, pick] >= MIN_BEND_DEG
    upper, lower = upper[rows, pick], lower[rows, pick]
    # lower = upper's direction turned by the bend about this axis; turning it the other way overshoots
    overshoot = np.radians(rng.uniform(*HYPEREXTENSION_DEG, len(poses)))
    direction = rotate(unit(upper), unit(np.cross(upper, lower)), -overshoot)
    out = poses.copy()
    out[rows, joints[pick, 2]] = poses[rows, joints[pick, 1]] + direction * np.linalg.norm(lower, axis=-1)[:, None]
    return out[bent], bent


def swap(poses: np.ndarray, side_a, side_b) -> np.ndarray:
    out = poses.copy()
    out[:, list(side_a)], out[:, list(side_b)] = poses[:, list(side_b)], poses[:, list(side_a)]
    return out


def donor_limb(poses: np.ndarray, takes: np.ndarray, rng, tries: int = 20) -> tuple[np.ndarray, np.ndarray]:
    """One limb per pose from a pose of another take, at least DONOR_MIN_MM away; returns those
    corrupted and their mask."""
    rows = np.arange(len(poses))
    limb = np.array(LIMBS)[rng.integers(len(LIMBS), size=len(poses))]  # (N, 3)
    own = poses[rows[:, None], limb[:, 1:]] - poses[rows, limb[:, 0]][:, None]
    offsets, found = own.copy(), np.zeros(len(poses), bool)
    for _ in range(tries):
        donor = rng.integers(len(poses), size=len(poses))
        theirs = poses[donor[:, None], limb[:, 1:]] - poses[donor, limb[:, 0]][:, None]
        good = ~found & (takes[donor] != takes) & (np.linalg.norm(theirs - own, axis=-1).mean(-1) >= DONOR_MIN_MM)
        offsets[good], found = theirs[good], found | good
    out = poses.copy()
    out[rows[:, None], limb[:, 1:]] = poses[rows, limb[:, 0]][:, None] + offsets
    return out[found], found


def corruptions(poses: np.ndarray, takes: np.ndarray, seed: int) -> dict:
    """name -> (corrupted world poses, mask of the clean poses they come from)."""
    rng = np.random.default_rng(seed)
    every = np.ones(len(poses), bool)
    sets = {"hyperextended knee": hyperextend(poses, KNEES, rng),
            "hyperextended elbow": hyperextend(poses, ELBOWS, rng),
            "arms swapped left/right": (swap(poses, *ARMS), every),
            "legs swapped left/right": (swap(poses, *LEGS), every),
            "limb from another pose": donor_limb(poses, takes, rng)}
    for mm in JITTER_MM:
        sets[f"jitter {mm} mm"] = (poses + rng.normal(0, mm, poses.shape).astype(np.float32), every)
    return sets


def auc(clean: np.ndarray, bad: np.ndarray) -> float:
    """P(score of a corrupted pose > score of a clean one), ties half (Mann-Whitney U / n1 n2)."""
    ranks = rankdata(np.concatenate([clean, bad]))
    return float((ranks[len(clean):].sum() - len(bad) * (len(bad) + 1) / 2) / (len(clean) * len(bad)))


def auc_interval(clean: np.ndarray, bad: np.ndarray, takes: np.ndarray, draws: int = BOOTSTRAP_DRAWS,
                 seed: int = 0) -> list[float]:
    """95% bootstrap interval of auc(clean, bad) for paired scores (clean[i] and bad[i]: one pose,
    clean and corrupted), resampling the takes (N,) the poses come from: a take's poses share its
    motion and body, so they are not independent draws (with few takes, e.g. CMU's 6, it is rough)."""
    labels, which = np.unique(takes, return_inverse=True)
    members = [np.flatnonzero(which == c) for c in range(len(labels))]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(draws):
        rows = np.concatenate([members[c] for c in rng.integers(len(labels), size=len(labels))])
        values.append(auc(clean[rows], bad[rows]))
    return np.percentile(values, [2.5, 97.5]).tolist()


def camera_frame(world: np.ndarray, cameras) -> np.ndarray:
    return camera_views(torch.as_tensor(world, dtype=torch.float32), cameras)[0].numpy()


def test_split(name: str, count: int, seed: int):
    """`count` test poses of a set (world frame), their takes and whether their action is missing
    from the set's training split, drawn without replacement."""
    data = load_bundled() if SETS[name] is None else load_pose_npz(SETS[name])
    test, trained = data.select_split("test"), set(data.select_split("train").action)
    pick = np.sort(np.random.default_rng(seed).choice(len(test), min(count, len(test)), replace=False))
    takes = np.char.add(np.char.add(test.action, "/"), test.take)
    unseen = ~np.isin(test.action, sorted(trained))
    return test.poses_3d[pick], takes[pick], unseen[pick]


def reference(prior: PosePrior) -> dict:
    """The model's threshold and what it is measured on (PosePrior.plausibility_reference), and the
    time per pose."""
    poses, ref = reference_poses(), prior.plausibility_reference
    start = time.perf_counter()
    scores = prior.score(poses)
    seconds = time.perf_counter() - start
    return {"value": ref.threshold, "percentile": 99.0, "poses": len(poses), "median": float(np.median(scores)),
            "part_log_mean": dict(zip(BODY_PARTS, ref.mean.tolist())),
            "part_log_std": dict(zip(BODY_PARTS, ref.std.tolist())), "ms_per_pose": 1000 * seconds / len(poses)}


def fitted(prior: PosePrior, poses: np.ndarray, seed: int = 0):
    """The joint definition fitted to camera-frame poses, what it changed and how long it took."""
    start = time.perf_counter()
    definition = prior.fit_definition(poses, seed=seed)
    return definition, {**definition.describe(), "fit_seconds": time.perf_counter() - start}


def auc_by_arm_elevation(clean: np.ndarray, bad: np.ndarray, world: np.ndarray, bad_world: np.ndarray) -> dict:
    """Hyperextended elbows: the AUC by the bent arm's upper-arm angle from hanging straight down
    (world +z up), in bins ELEVATION_BINS_DEG: does a raised arm, whose bend a twist of the upper
    arm could explain, hide the corruption?"""
    rows = np.arange(len(world))
    wrist = np.abs(bad_world - world).sum(-1).argmax(1)  # the one joint moved; ELBOWS: (wrist - 2, wrist - 1, wrist)
    upper = world[rows, wrist - 1] - world[rows, wrist - 2]
    elevation = np.degrees(np.arccos(np.clip(-upper[:, 2] / np.linalg.norm(upper, axis=-1), -1, 1)))
    bins = np.digitize(elevation, ELEVATION_BINS_DEG[1:-1])
    return {f"{lo:g}-{hi:g}": {"poses": int((bins == b).sum()), "auc": auc(clean, bad[bins == b])}
            for b, (lo, hi) in enumerate(zip(ELEVATION_BINS_DEG[:-1], ELEVATION_BINS_DEG[1:])) if (bins == b).any()}


def auc_by_action(clean: np.ndarray, bad: np.ndarray, actions: np.ndarray) -> dict:
    """AUC of each action's corrupted poses against its own clean ones (clean[i] and bad[i] are one
    pose): which kinds of motion hide a corruption, apart from how plausible the action's clean
    poses are next to the rest's."""
    return {a: {"poses": int((actions == a).sum()), "auc": auc(clean[actions == a], bad[actions == a])}
            for a in sorted(set(actions)) if (actions == a).sum() >= 2}


def scores(prior: PosePrior, poses: np.ndarray, definition) -> tuple[np.ndarray, np.ndarray]:
    """(N,) scores (the worst body part) and (N,) summed nats of all joints."""
    joints = prior.joint_scores(poses, definition=definition)
    return prior.plausibility_reference.deviations(joints).max(axis=1), joints.sum(axis=1)


def corruption_table(prior: PosePrior, name: str, count: int, threshold: float, seed: int, fit: bool) -> dict:
    """AUC and flagged share per corruption; with `fit`, scored in the joint definition fitted to
    the clean poses (unlabelled, as a user fits it to their file)."""
    world, takes, unseen = test_split(name, count, seed)
    cameras = fixed_test_cameras(len(world), seed=seed)
    poses = camera_frame(world, cameras)
    definition, described = fitted(prior, poses, seed) if fit else (None, None)
    clean, clean_nats = scores(prior, poses, definition)
    actions = np.array([t.split("/")[0] for t in takes])
    rows = {}
    for label, (bad_world, mask) in corruptions(world, takes, seed).items():
        bad, bad_nats = scores(prior, camera_frame(bad_world, cameras[torch.from_numpy(mask)]), definition)
        rows[label] = {"poses": int(mask.sum()), "auc": auc(clean[mask], bad),
                       "auc_interval": auc_interval(clean[mask], bad, takes[mask], seed=seed),
                       "auc_total_nats": auc(clean_nats[mask], bad_nats),
                       "flagged": float((bad > threshold).mean()), "median": float(np.median(bad))}
        if unseen.any():  # the same AUC over the poses of actions the training split has
            seen = ~unseen[mask]
            rows[label]["auc_seen_actions"] = auc(clean[mask][seen], bad[seen])
        if label == "hyperextended elbow":
            rows[label]["auc_by_arm_elevation_deg"] = auc_by_arm_elevation(clean[mask], bad, world[mask], bad_world)
        if label.startswith("hyperextended"):
            rows[label]["auc_by_action"] = auc_by_action(clean[mask], bad, actions[mask])
        print(f"{name} {label}: AUC {rows[label]['auc']:.3f}", flush=True)
    return {"poses": len(world), "unseen_actions": sorted(set(actions[unseen])), "unseen_share": float(unseen.mean()),
            "clean_median_by_action": {a: float(np.median(clean[actions == a])) for a in sorted(set(actions))},
            "clean_flagged": float((clean > threshold).mean()),
            "clean_median": float(np.median(clean)), "corruptions": rows,
            **({"definition": described} if fit else {})}


def looking_at(world: np.ndarray, azimuth_deg: float, pitch_deg: float) -> np.ndarray:
    """Root-relative world poses (+z up) seen by a camera at `azimuth`, pitched `pitch` down."""
    az, pitch = math.radians(azimuth_deg), math.radians(pitch_deg)
    forward = np.array([-math.cos(az) * math.cos(pitch), -math.sin(az) * math.cos(pitch), -math.sin(pitch)])
    right = unit(np.cross(forward, [0.0, 0.0, 1.0]))
    rotation = np.stack([right, np.cross(forward, right), forward])
    return (root_center(world) @ rotation.T).astype(np.float32)


def rotation_check(prior: PosePrior, seed: int) -> dict:
    """How the score of camera-frame poses moves with the view, and that world poses' does not
    (scores are in the reference's standard deviations: differences, not ratios)."""
    world, _, _ = test_split("bundled", ROTATION_POSES, seed)
    by_azimuth = np.stack([prior.score(looking_at(world, a, 8.5)) for a in AZIMUTHS_DEG], axis=1)
    yaw = np.random.default_rng(seed).uniform(0, 2 * math.pi, len(world))
    cos, sin, zero, one = np.cos(yaw), np.sin(yaw), np.zeros_like(yaw), np.ones_like(yaw)
    turn = np.stack([cos, -sin, zero, sin, cos, zero, zero, zero, one], -1).reshape(-1, 3, 3)
    turned = np.einsum("nab,njb->nja", turn, world).astype(np.float32)
    as_world, turned_world = prior.score(world, frame="world"), prior.score(turned, frame="world")
    return {"poses": len(world),
            "azimuth_range_median": float(np.median(by_azimuth.max(1) - by_azimuth.min(1))),
            "azimuth_sd_within_over_between": float(by_azimuth.std(1).mean() / by_azimuth.mean(1).std()),
            "median_by_pitch": {str(p): float(np.median(prior.score(looking_at(world, 0, p)))) for p in PITCHES_DEG},
            "world_turned_max_change": float(np.max(np.abs(turned_world - as_world))),
            "world_median": float(np.median(as_world)),
            "z_up_passed_as_camera_median": float(np.median(prior.score(root_center(world))))}


def swapped_frames(poses: np.ndarray, reference: np.ndarray, margin_mm: float = 10.0) -> np.ndarray:
    """(N,) True where swapping the arms' or the legs' left/right labels brings a pose more than
    `margin_mm` closer (PA-MPJPE) to the reference: the detector mixed up left and right there."""
    def error(p):
        aligned = procrustes_align(torch.from_numpy(p), torch.from_numpy(reference)).numpy()
        return np.linalg.norm(aligned - reference, axis=-1).mean(-1)
    own = error(poses)
    return (error(swap(poses, *ARMS)) < own - margin_mm) | (error(swap(poses, *LEGS)) < own - margin_mm)


def footage_check(prior: PosePrior, threshold: float) -> dict:
    """BlazePose's 3D (camera frame) of the Pose2Sim demo per camera, flagged frames, beside the
    multi-view reference seen by the same camera; as given and in the joint definition fitted to
    each camera's BlazePose frames (the reference, made of the same keypoints, scored in it too)."""
    path = FOOTAGE / "blazepose_pose2sim-demo.npz"
    if not path.exists():
        return {"skipped": f"{path.relative_to(ROOT)} not found (make it with benchmarks/footage/blazepose_3d.py)"}
    blaze, reference = np.load(path), np.load(FOOTAGE / "multiview_reference.npz")
    world, _, _ = test_split("bundled", ROTATION_POSES, 0)
    detector = to_detector_joints(torch.from_numpy(camera_frame(world, fixed_test_cameras(len(world), seed=0)))).numpy()
    control = prior.score(detector)
    definition, described = fitted(prior, detector)
    control_fitted = prior.score(detector, definition=definition)
    result = {"file": str(path.relative_to(ROOT)), "threshold": threshold, "cameras": {},
              "bundled_as_detector_joints": {"poses": len(world), "median": float(np.median(control)),
                                             "flagged": float((control > threshold).mean()),
                                             "fitted_median": float(np.median(control_fitted)),
                                             "fitted_flagged": float((control_fitted > threshold).mean()),
                                             "definition": described}}
    for v, name in enumerate(blaze["camera_names"]):
        poses = root_center(blaze["world"][0, v].astype(np.float32))
        frames = reference["frames"] + reference["frame_offsets"][v]
        ref = root_center(reference["points_3d"] @ reference["R"][v].T + reference["t"][v]).astype(np.float32)
        aligned = procrustes_align(torch.from_numpy(poses[frames]), torch.from_numpy(ref)).numpy()
        error = np.linalg.norm(aligned - ref, axis=-1).mean(-1)
        swapped = swapped_frames(poses[frames], ref)
        definition, described = fitted(prior, poses)
        camera = {"frames": len(poses), "reference_frames": len(ref), "swapped_frames": frames[swapped].tolist()}
        for label, fit in (("as_given", None), ("fitted", definition)):
            parts = prior.part_scores(poses, definition=fit)
            scores, ref_scores = parts.max(axis=1), prior.score(ref, definition=fit)
            camera[label] = {
                "median": float(np.median(scores)), "reference_median": float(np.median(ref_scores)),
                "reference_flagged": int((ref_scores > threshold).sum()),
                "spearman_score_vs_pa_mpjpe": float(spearmanr(scores[frames], error).statistic),
                "swapped_auc": auc(scores[frames][~swapped], scores[frames][swapped]) if swapped.any() else None,
                "flagged": [{"frame": int(f), "score": float(scores[f]),
                             "worst_part": list(BODY_PARTS)[int(np.argmax(parts[f]))]}
                            for f in np.flatnonzero(scores > threshold)]}
        camera["fitted"]["definition"] = described
        result["cameras"][str(name)] = camera
    return result


def run(args) -> dict:
    prior = PosePrior.pretrained(args.device) if args.model == "shipped" else PosePrior.load(args.model, args.device)
    threshold = reference(prior)
    print(f"threshold {threshold['value']:.2f} ({threshold['percentile']}th percentile of {threshold['poses']} poses, "
          f"{threshold['ms_per_pose']:.2f} ms per pose)", flush=True)
    return {"model": args.model, "command": "python " + shlex.join(sys.argv), "hardware": hardware.describe(),
            "levels_mm": list(LEVELS_MM), "threshold": threshold,
            "sets": {name + (", definition fitted" if fit else ""):
                     corruption_table(prior, name, args.count, threshold["value"], args.seed, fit)
                     for fit in (False, True) for name in SETS},
            "rotation": rotation_check(prior, args.seed), "footage": footage_check(prior, threshold["value"])}


def frame_ranges(frames: list[int]) -> str:
    """[0, 1, 2, 5] -> '0-2, 5'."""
    runs = np.split(np.asarray(frames), np.flatnonzero(np.diff(frames) != 1) + 1)
    return ", ".join(f"{r[0]}" if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs)


def render(result: dict) -> str:
    sets = list(result["sets"])
    lines = ["| poses | " + " | ".join(f"{s}: n | AUC | flagged" for s in sets) + " |",
             "|---|" + "---|---|---|" * len(sets)]
    clean = " | ".join(f"{r['poses']} | - | {100 * r['clean_flagged']:.1f}%" for r in result["sets"].values())
    lines.append(f"| clean | {clean} |")
    for label in result["sets"][sets[0]]["corruptions"]:
        cells = [result["sets"][s]["corruptions"][label] for s in sets]
        lines.append(f"| {label} | " + " | ".join(f"{c['poses']} | {c['auc']:.3f} | {100 * c['flagged']:.1f}%"
                                                  for c in cells) + " |")
    t, r = result["threshold"], result["rotation"]
    lines += ["", f"Threshold {t['value']:.2f}: the {t['percentile']:g}th percentile of {t['poses']} bundled test "
              f"poses' scores (median {t['median']:.2f}); {t['ms_per_pose']:.2f} ms per pose ({result['hardware']}).",
              f"Rotation: over {len(AZIMUTHS_DEG)} camera azimuths a pose's score moves by a median "
              f"{r['azimuth_range_median']:.2f} (max - min; sd within poses / between poses "
              f"{r['azimuth_sd_within_over_between']:.2f}); median by camera pitch " +
              ", ".join(f"{p} deg {m:.1f}" for p, m in r["median_by_pitch"].items()) +
              "; world poses turned about the vertical change by at most "
              f"{r['world_turned_max_change']:.2g}; "
              f"z-up poses passed as camera frame: median {r['z_up_passed_as_camera_median']:.1f} "
              f"(as world poses {r['world_median']:.1f})."]
    footage = result["footage"]
    if "skipped" in footage:
        lines.append(f"Footage: skipped, {footage['skipped']}.")
    else:
        control = footage["bundled_as_detector_joints"]
        lines += ["", f"Control: {control['poses']} bundled test poses with their derived joints moved where a "
                  f"detector puts them (gfpose.joint_definitions.to_detector_joints): median {control['median']:.1f}, "
                  f"{100 * control['flagged']:.0f}% flagged; in the definition fitted to them "
                  f"{control['fitted_median']:.1f}, {100 * control['fitted_flagged']:.0f}%."]
        lines += ["", "| BlazePose 3D, camera | scored | frames | median | flagged | reference median | reference "
                  "flagged | Spearman(score, PA-MPJPE) | AUC left/right swaps | flagged frames (worst part) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for name, camera in footage["cameras"].items():
            for label, c in ((k, camera[k]) for k in ("as_given", "fitted")):
                worst = Counter(f["worst_part"] for f in c["flagged"]).most_common(2)
                listed = (f"{frame_ranges([f['frame'] for f in c['flagged']])} (worst part: "
                          + ", ".join(f"{part} {count}x" for part, count in worst) + ")") if c["flagged"] else "-"
                swaps = "-" if c["swapped_auc"] is None else f"{c['swapped_auc']:.2f}"
                lines.append(f"| {name} | {label.replace('_', ' ')} | {camera['frames']} | {c['median']:.1f} "
                             f"| {len(c['flagged'])} | {c['reference_median']:.1f} | {c['reference_flagged']} of "
                             f"{camera['reference_frames']} | {c['spearman_score_vs_pa_mpjpe']:.2f} | {swaps} "
                             f"| {listed} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="shipped", help="'shipped' or a model file")
    parser.add_argument("--count", type=int, default=400, help="test poses per set to corrupt")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "plausibility.json")
    parser.add_argument("--render", type=Path, default=None, help="print the Markdown of a result JSON and stop")
    args = parser.parse_args(argv)
    if args.render:
        return print(render(json.loads(args.render.read_text())))
    result = run(args)
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    print(render(result))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
