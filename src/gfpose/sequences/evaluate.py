"""Evaluation of the sequence methods on whole takes (benchmarks/data/sequences.npz):

    estimate  each take seen by its own fixed virtual camera, exact 2D (gfpose.sequences.takes)
    denoise   the true track with N(0, noise) jitter and gaps of one limb (gfpose.sequences.damage)
    complete-3d  the true track with one limb hidden for long stretches, the rest exact

Each row is a method (gfpose.sequences.methods) or a plain baseline: independent per-frame
estimates smoothed by Savitzky-Golay, or the damaged take linearly interpolated (and smoothed).
Metrics per take (gfpose.sequences.metrics), then frame-weighted means per source (bandai at
30 fps, cmu at 24 fps), and the speed of each row in frames/s. Estimation on takes seen on their
global path (gfpose.sequences.takes.fixed_camera_views(..., global_path=True)) also scores the foot
skate (skate_metrics): the track placed on its 2D frame by frame, as a user places a lifted track.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from gfpose import metrics
from gfpose.geometry import root_center
from gfpose.sequences.contacts import TRUE_CONTACTS, WORLD_UP, detect_contacts, foot_skate
from gfpose.sequences.damage import MocapDamage
from gfpose.sequences.filters import interpolate_gaps, savgol_track
from gfpose.sequences.methods import SequenceMethod, clean_track, complete_track, estimate_track
from gfpose.sequences.metrics import track_metrics
from gfpose.sequences.paths import root_translation
from gfpose.sequences.takes import TakeView

SAVGOL_SECONDS = 0.5  # baseline window: 15 frames at 30 fps (latency 0.25 s), 13 at 24 fps
TASKS = ("estimate", "denoise", "complete-3d")  # gfpose.evaluate's names
CLEAN_DAMAGE = MocapDamage(noise_mm=20.0, gap_frames=10, gap_every=30)
COMPLETE_DAMAGE = MocapDamage(noise_mm=0.0, gap_frames=30, gap_every=60)


@dataclass(frozen=True)
class Row:
    """One evaluated row: its name and how it turns a take's inputs into a track (T, 17, 3) mm."""

    name: str
    run: Callable


def savgol_window(fps: float) -> int:
    """The baseline's odd window in frames: SAVGOL_SECONDS at this rate."""
    return int(round(SAVGOL_SECONDS * fps)) // 2 * 2 + 1


def estimate_rows(sampler, methods: dict[str, SequenceMethod], seed: int = 0) -> list[Row]:
    """Rows of the estimation task: run(view) -> track."""
    def method_row(method):
        return lambda view: estimate_track(sampler, *_inputs_2d(view), view.take.fps, method, seed).numpy()

    independent = SequenceMethod("independent")
    rows = [Row("independent, 1 hypothesis per frame", method_row(independent)),
            Row(f"independent + Savitzky-Golay ({SAVGOL_SECONDS:g} s, order 2)",
                lambda view: savgol_track(method_row(independent)(view), savgol_window(view.take.fps)))]
    return rows + [Row(name, method_row(method)) for name, method in methods.items()]


def damaged_rows(sampler, task: str, methods: dict[str, SequenceMethod], seed: int = 0) -> list[Row]:
    """Rows of the denoise or complete-3d task: run(damaged track) -> track."""
    noise_mm = CLEAN_DAMAGE.noise_mm

    def method_row(method):
        if task == "denoise":
            return lambda damaged, fps: clean_track(sampler, torch.from_numpy(damaged), noise_mm, fps, method,
                                                    seed).numpy()
        return lambda damaged, fps: complete_track(sampler, torch.from_numpy(damaged), fps, method, seed).numpy()

    rows = [Row("input, gaps linearly interpolated", lambda damaged, fps: interpolate_gaps(damaged))]
    if task == "denoise":
        rows.append(Row(f"linear interpolation + Savitzky-Golay ({SAVGOL_SECONDS:g} s, order 2)",
                        lambda damaged, fps: savgol_track(interpolate_gaps(damaged), savgol_window(fps))))
    return rows + [Row(name, method_row(method)) for name, method in methods.items()]


def _inputs_2d(view: TakeView):
    keypoints = torch.from_numpy(view.keypoints)
    return keypoints, torch.from_numpy(view.image_size).expand(len(keypoints), 2)


def evaluate_rows(rows: list[Row], views: list[TakeView], task: str, seed: int = 0,
                  progress: Callable[[str], None] | None = None) -> dict:
    """{row: {source: {metric: frame-weighted mean}, 'frames/s': ...}} over the views' takes."""
    damage = {"denoise": CLEAN_DAMAGE, "complete-3d": COMPLETE_DAMAGE}.get(task)
    results = {}
    for row in rows:
        per_source, frames, seconds = {}, 0, 0.0
        for index, view in enumerate(views):
            if damage is None:
                inputs = (view,)
            else:
                inputs = (damage.apply(view.track, seed + index).astype(np.float32), view.take.fps)
            started = time.perf_counter()
            track = row.run(*inputs)
            seconds += time.perf_counter() - started
            frames += len(track)
            scores = track_metrics(track, view.track)
            if damage is None and view.world is not None:
                scores |= {"skate": skate_metrics(view, track)["skate"]}
            per_source.setdefault(view.take.source, []).append((len(track), scores))
        results[row.name] = {source: _weighted(values) for source, values in per_source.items()}
        results[row.name]["frames/s"] = round(frames / seconds, 1)
        if progress is not None:
            progress(f"{task}: {row.name}: {results[row.name]}")
    return results


def _weighted(values: list[tuple[int, dict]]) -> dict:
    """Frame-weighted means of each metric over the takes where it is finite (skate: NaN without contact)."""
    counts = np.array([count for count, _ in values], dtype=np.float64)
    means = {}
    for name in values[0][1]:
        finite = np.array([np.isfinite(m[name]) for _, m in values])
        if finite.any():
            means[name] = round(float(np.average([m[name] for _, m in values if np.isfinite(m[name])],
                                                 weights=counts[finite])), 2)
    return means | {"takes": len(values), "frames": int(counts.sum())}


def skate_metrics(view: TakeView, track, root=None, contacts=None) -> dict:
    """Foot metrics of a root-relative track (T, 17, 3) mm of a view on its global path
    (view.world): the track placed in the camera frame by `root` (T, 3) mm, or each frame on the
    view's 2D by least squares (paths.root_translation, the view's focal length) when None, then in
    the world frame.

        P1               mm, root-relative (as track_metrics)
        skate            mm of horizontal (world floor plane) slide of the ankles per frame pair in
                         contact, contact from the TRUE ankles (detect_contacts on view.world,
                         contacts.TRUE_CONTACTS: within 50 mm of the floor, slower than 250 mm/s)
        reprojection_px  RMS reprojection error of the placed track against the view's 2D
        contact_precision, contact_recall   of `contacts` (T, 2) (the track's own detector) against
                         the true contacts (None without `contacts`)"""
    track = np.asarray(track, dtype=np.float64)
    keypoints, size = view.keypoints.astype(np.float64), view.image_size.astype(np.float64)
    center = np.broadcast_to(size / 2, (len(track), 2))
    if root is None:
        root = root_translation(torch.from_numpy(track), torch.from_numpy(keypoints),
                                torch.full((len(track),), view.focal, dtype=torch.float64),
                                torch.from_numpy(center.copy())).numpy()
    placed = track + np.asarray(root, dtype=np.float64)[:, None]
    truth = detect_contacts(view.world, view.take.fps, WORLD_UP, TRUE_CONTACTS)
    projected = view.focal * placed[..., :2] / placed[..., 2:] + center[:, None]
    truth_track = torch.from_numpy(root_center(view.track.astype(np.float64)))
    out = {"P1": float(metrics.mpjpe(torch.from_numpy(root_center(track)), truth_track).mean()),
           "skate": foot_skate(view.to_world(placed), truth, WORLD_UP),
           "reprojection_px": float(np.sqrt(np.nanmean(((projected - keypoints) ** 2).sum(axis=-1)))),
           "contact_precision": None, "contact_recall": None}
    if contacts is not None:
        contacts = np.asarray(contacts, dtype=bool)
        hits = (contacts & truth).sum()
        out["contact_precision"] = float(hits / contacts.sum()) if contacts.any() else None
        out["contact_recall"] = float(hits / truth.sum()) if truth.any() else None
    return out
