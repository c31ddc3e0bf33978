"""Foot skate benchmark (issue 30, "feet that stay put"): today's track beside the contact-aware one,
on the sequence takes on their global paths; writes docs/results/foot_skate.json.

    python benchmarks/sequences/foot_skate.py [--max-frames 100] [--every-take 1] [--threads 1]
        [--cache /tmp/foot_skate_hypotheses.npz] [--out docs/results/foot_skate.json]
    python benchmarks/sequences/foot_skate.py --bvh TAKE.bvh ... --rig cmu-daz --every-frame 4 --out OTHER.json

Data: benchmarks/data/sequences.npz with its root path (`root_mm`): 34 Bandai test takes at 30 fps,
6 CMU test takes at 24 fps, each on its global path through its own fixed camera that keeps the
whole path in view (gfpose.sequences.takes.view_take_path), exact 2D. Per frame the 'path'
method's 20 hypotheses from the shipped estimation model (float32, DPM-Solver++(3M), 20 steps),
drawn once and shared by every row (cached in --cache). With --bvh: those BVH takes instead, every
--every-frame-th frame (120 fps captures at 30 fps), e.g. the CMU BVH takes no model or choice here
used (subjects 02 and 14 and the test dance takes of ../shared/data/cmu-bvh-subsets).

Rows: each a root-relative track and how it is placed in the camera frame:
    ground truth                the true track on its true path (the metric's floor)
    today                       the 'path' track (Viterbi + smoother), each frame placed on its 2D
                                by least squares (gfpose.sequences.paths.root_translation): what a
                                user does with `gfpose lift`'s root-relative track
    today, smooth placement     the same track placed by contact_roots without contacts (ablation)
    contact-aware               place_with_contacts: contacts detected on the track, the root solved
                                with the contacting feet held still, the ankles pinned; the track
                                placed by its own root path
    contact-aware, per frame    the contact-aware (pinned) track placed per frame like 'today'
Metrics, frame-weighted means per source and over all takes ('all'): P1 (mm, root-relative), foot
skate (mm of horizontal slide per contact frame in the world floor plane, contact from the TRUE
ankles: low and slow, gfpose.sequences.contacts.detect_contacts with TRUE_CONTACTS: within 50 mm of
the floor, slower than 250 mm/s), the reprojection RMS of the placed track (px), and the precision /
recall of the contacts the row's own detector finds (contact-aware rows) against the true ones.
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/hardware.py
import hardware  # noqa: E402

from gfpose.atomic import atomic_write  # noqa: E402
from gfpose.sequences.contacts import TRUE_CONTACTS, ContactSettings, contact_roots, place_with_contacts  # noqa: E402
from gfpose.sequences.evaluate import skate_metrics  # noqa: E402
from gfpose.sequences.methods import DEFAULT_METHODS, path_through  # noqa: E402
from gfpose.sequences.takes import fixed_camera_views, load_takes, take_from_bvh  # noqa: E402
from gfpose.tasks import estimate_request  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ROWS = ("ground truth", "today", "today, smooth placement", "contact-aware", "contact-aware, per frame")


def hypotheses(prior, views, cache: Path | None, seed: int = 0) -> list[np.ndarray]:
    """(T, S, 17, 3) mm hypotheses of each view, drawn once (the 'path' method's draw) or read from cache."""
    from gfpose.sequences.draw import draw_window

    keys = [f"{v.take.name}:{len(v.keypoints)}" for v in views]
    if cache is not None and cache.exists():
        stored = np.load(cache)
        if all(k in stored for k in keys):
            return [stored[k] for k in keys]
    sampler, method = prior.sampler_for("estimate"), DEFAULT_METHODS["estimate"]
    drawn = []
    for view in views:
        keypoints = torch.from_numpy(view.keypoints)
        size = torch.from_numpy(view.image_size).expand(len(keypoints), 2)
        drawn.append(draw_window(sampler, estimate_request(keypoints, size, method.tracks()), seed).numpy())
        print(f"drew {view.take.name} ({len(keypoints)} frames)", flush=True)
    if cache is not None:
        atomic_write(cache, lambda tmp: np.savez(open(tmp, "wb"), **dict(zip(keys, drawn))))
    return drawn


def rows_of_view(view, poses: np.ndarray, settings: ContactSettings) -> dict:
    """{row: (root-relative track, camera-frame root or None (per-frame placement), detected contacts or None)}."""
    method = DEFAULT_METHODS["estimate"]
    keypoints = torch.from_numpy(view.keypoints)
    size = torch.from_numpy(view.image_size).expand(len(keypoints), 2)
    today = path_through(torch.from_numpy(poses), keypoints, size, view.take.fps,
                         dataclasses.replace(method, contacts=False)).numpy().astype(np.float64)
    focal, center = view.focal, view.image_size / 2
    smooth = contact_roots(today, view.keypoints, focal, center, view.take.fps, None, settings)
    aware = place_with_contacts(today, view.keypoints, focal, center, view.take.fps, settings=settings)
    true_root = view.world[:, 0] @ view.rotation.T + view.translation
    return {"ground truth": (view.track, true_root, None), "today": (today, None, None),
            "today, smooth placement": (today, smooth, None),
            "contact-aware": (aware.track, aware.root, aware.contacts),
            "contact-aware, per frame": (aware.track, None, aware.contacts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks/data/sequences.npz")
    parser.add_argument("--max-frames", type=int, default=100, help="use the first N frames of each take")
    parser.add_argument("--every-take", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=None, help="an npz of the drawn hypotheses (reused)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/results/foot_skate.json")
    parser.add_argument("--bvh", type=Path, nargs="*", default=None, help="BVH takes instead of --data")
    parser.add_argument("--rig", default="cmu-daz", help="the rig of the --bvh takes (gfpose.data.rigs)")
    parser.add_argument("--every-frame", type=int, default=4, help="of the --bvh takes")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from gfpose.prior import PosePrior

    started = time.time()
    takes = ([take_from_bvh(path, args.rig, args.every_frame) for path in args.bvh] if args.bvh
             else load_takes(args.data))
    takes = [t.first(args.max_frames) for t in takes[::args.every_take]]
    views = fixed_camera_views(takes, global_path=True)
    prior = PosePrior.pretrained(device="cpu", precision="fp32")
    drawn = hypotheses(prior, views, args.cache)
    settings = ContactSettings()
    per_row = {name: {} for name in ROWS}
    for view, poses in zip(views, drawn):
        for name, (track, root, contacts) in rows_of_view(view, poses, settings).items():
            metrics = skate_metrics(view, track, root, contacts)
            for group in (view.take.source, "all"):
                per_row[name].setdefault(group, []).append((len(track), metrics))
    table = {name: {source: weighted_means(values) for source, values in sources.items()}
             for name, sources in per_row.items()}
    results = {"command": " ".join(["python", *sys.argv]), "machine": hardware.describe(),
               "contact_settings": vars(settings),
               "true_contacts": vars(TRUE_CONTACTS), "rows": table, "seconds": round(time.time() - started, 1)}
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(results, indent=2) + "\n"))
    print(markdown(results))
    print(f"wrote {args.out} in {results['seconds']} s")


def weighted_means(values: list[tuple[int, dict]]) -> dict:
    out = {}
    for name in values[0][1]:
        pairs = [(count, m[name]) for count, m in values if m[name] is not None and np.isfinite(m[name])]
        if pairs:
            out[name] = round(float(np.average([v for _, v in pairs], weights=[c for c, _ in pairs])), 2)
    return out | {"takes": len(values), "frames": int(sum(count for count, _ in values))}


def markdown(results: dict, names=("P1", "skate", "reprojection_px", "contact_precision", "contact_recall")) -> str:
    """A Markdown table of results["rows"]: one row per track, the `names` metrics of each source."""
    sources = sorted({s for row in results["rows"].values() for s in row})
    header = " | ".join(f"{s} {n}" for s in sources for n in names)
    lines = [f"| row | {header} |", "|---" * (len(sources) * len(names) + 1) + "|"]
    for row, values in results["rows"].items():
        cells = " | ".join(str(values[s].get(n, "")) for s in sources for n in names)
        lines.append(f"| {row} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
