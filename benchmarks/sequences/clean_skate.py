"""Foot skate of cleaned motion capture (issue 30, "feet that stay put"): a jittery take cleaned as
`gfpose denoise take.bvh` cleans it (gfpose.media.bvh_denoise.clean_world_take), with and without
the feet held in contact; writes docs/results/clean_skate.json.

    python benchmarks/sequences/clean_skate.py [--max-frames 0] [--noise-mm 20] [--out docs/results/clean_skate.json]
    python benchmarks/sequences/clean_skate.py --bvh TAKE.bvh ... --rig cmu-daz --out OTHER.json

Data: benchmarks/data/sequences.npz with its root path (`root_mm`): 34 Bandai test takes at 30 fps,
6 CMU test takes at 24 fps, in the world frame (+z up). Each take gets N(0, noise^2) jitter on every
coordinate of every joint (seeded by the take's index) and is cleaned by the shipped model
(float32, the 'denoise' default method: guided). With --bvh: those BVH takes at their own rate,
read with --rig (e.g. the held-out CMU subjects 02 and 14 and the test dance takes of
../shared/data/cmu-bvh-subsets, split as benchmarks/data/README.md says).

Rows:
    ground truth                the take itself (the metric's floor: mocap feet slide a little)
    noisy input                 the jittery take
    root smoothed               the cleaned body on the pelvis path smoothed by the temporal prior
                                (what cleaning did before contacts; contacts=False)
    contacts held, not pinned   the pelvis path solved with the contacts found on the cleaned take
                                held still (gfpose.sequences.contacts.observed_roots), ankles as cleaned
    ... ankles pinned           ... and the ankles pinned (clean_with_contacts; the default before the
                                feet-at-rest pass)
    contact-aware               the default: the body cleaned again by the guided sampler with those
                                contacting ankles held at rest in the world on that pelvis path
                                (gfpose.sequences.guidance.FeetAtRest)
Metrics, frame-weighted means per source and over all takes ('all'): P1 (mm, root-relative), world
MPJPE (mm, every joint placed), foot skate (mm of horizontal ankle slide per frame pair where the
TRUE foot is in contact: low and slow, gfpose.sequences.contacts.TRUE_CONTACTS), and the precision
/ recall of the contacts the cleaning found against the true ones.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/hardware.py
import hardware  # noqa: E402
from foot_skate import markdown, weighted_means  # noqa: E402  (benchmarks/sequences/ is the script's directory)

from gfpose.atomic import atomic_write  # noqa: E402
from gfpose.media.bvh_denoise import clean_world_take  # noqa: E402
from gfpose.sequences.contacts import (  # noqa: E402
    CLEANING_CONTACTS,
    TRUE_CONTACTS,
    WORLD_UP,
    clean_with_contacts,
    detect_contacts,
    foot_skate,
)
from gfpose.sequences.takes import load_takes, take_from_bvh  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ROWS = ("ground truth", "noisy input", "root smoothed", "contacts held, not pinned", "contacts held, ankles pinned",
        "contact-aware")


def metrics(world: np.ndarray, truth: np.ndarray, true_contacts: np.ndarray, contacts=None) -> dict:
    relative = world - world[:, :1]
    out = {"P1": float(np.linalg.norm(relative - (truth - truth[:, :1]), axis=-1).mean()),
           "world_mpjpe": float(np.linalg.norm(world - truth, axis=-1).mean()),
           "skate": foot_skate(world, true_contacts, WORLD_UP), "contact_precision": None, "contact_recall": None}
    if contacts is not None:
        hits = (contacts & true_contacts).sum()
        out["contact_precision"] = float(hits / contacts.sum()) if contacts.any() else None
        out["contact_recall"] = float(hits / true_contacts.sum()) if true_contacts.any() else None
    return out


def rows_of_take(prior, truth: np.ndarray, fps: float, noise_mm: float, seed: int) -> dict:
    """{row: metrics} of one take (world poses (T, 17, 3) mm)."""
    noisy = truth + np.random.default_rng(seed).normal(0.0, noise_mm, truth.shape)
    true_contacts = detect_contacts(truth, fps, WORLD_UP, TRUE_CONTACTS)
    smoothed = clean_world_take(prior, noisy, fps, noise_mm, contacts=False)
    held = clean_with_contacts(smoothed.track, noisy[:, 0], noise_mm, fps, WORLD_UP, pin=False)
    pinned = clean_with_contacts(smoothed.track, noisy[:, 0], noise_mm, fps, WORLD_UP)
    aware = clean_world_take(prior, noisy, fps, noise_mm)
    return {"ground truth": metrics(truth, truth, true_contacts),
            "noisy input": metrics(noisy, truth, true_contacts),
            "root smoothed": metrics(smoothed.points, truth, true_contacts),
            "contacts held, not pinned": metrics(held.points, truth, true_contacts, held.contacts),
            "contacts held, ankles pinned": metrics(pinned.points, truth, true_contacts, pinned.contacts),
            "contact-aware": metrics(aware.points, truth, true_contacts, aware.contacts)}


def world_takes(args) -> list[tuple[str, np.ndarray, float]]:
    """(source, world poses (T, 17, 3) mm, fps) of each take: sequences.npz's on their root paths,
    or the --bvh files (source: their folder's name)."""
    takes = ([take_from_bvh(path, args.rig) for path in args.bvh] if args.bvh else
             [take.first(args.max_frames or None) for take in load_takes(args.data)])
    return [(take.source, take.poses.astype(np.float64) + take.root[:, None].astype(np.float64), take.fps)
            for take in takes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks/data/sequences.npz")
    parser.add_argument("--max-frames", type=int, default=0, help="the first N frames of each take (0: all)")
    parser.add_argument("--bvh", type=Path, nargs="*", default=None, help="BVH takes instead of --data")
    parser.add_argument("--rig", default="cmu-daz", help="the rig of the --bvh takes (gfpose.data.rigs)")
    parser.add_argument("--noise-mm", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/results/clean_skate.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from gfpose.prior import PosePrior

    started = time.time()
    prior = PosePrior.pretrained(device="cpu", precision="fp32")
    per_row = {name: {} for name in ROWS}
    for index, (source, truth, fps) in enumerate(world_takes(args)):
        for name, values in rows_of_take(prior, truth, fps, args.noise_mm, index).items():
            for group in (source, "all"):
                per_row[name].setdefault(group, []).append((len(truth), values))
    results = {"command": " ".join(["python", *sys.argv]), "machine": hardware.describe(),
               "noise_mm": args.noise_mm, "contact_settings": vars(CLEANING_CONTACTS),
               "true_contacts": vars(TRUE_CONTACTS),
               "rows": {name: {source: weighted_means(values) for source, values in sources.items()}
                        for name, sources in per_row.items()},
               "seconds": round(time.time() - started, 1)}
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(results, indent=2) + "\n"))
    print(markdown(results, ("P1", "world_mpjpe", "skate", "contact_precision", "contact_recall")))
    print(f"wrote {args.out} in {results['seconds']} s")


if __name__ == "__main__":
    main()
