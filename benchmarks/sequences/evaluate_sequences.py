"""Sequence benchmark (issue 14): whole takes at a fixed frame rate, every sequence method beside
independent per-frame sampling and the plain filter baselines; writes docs/results/sequences.json.

    python benchmarks/sequences/evaluate_sequences.py [--tasks estimate,denoise,complete-3d] [--max-frames 150]
        [--every-take 1] [--threads 1] [--out docs/results/sequences.json] [--render-only]

Data: benchmarks/data/sequences.npz (benchmarks/sequences/make_sequences.py): 34 Bandai test takes at
30 fps and the 6 CMU test takes at 24 fps, each seen by its own fixed virtual camera with exact 2D
(estimate), or damaged (denoise: N(0, 20 mm) jitter and 10-frame gaps of one limb every 30 frames;
complete-3d: one limb hidden 30 of every 60 frames, the rest exact). The shipped models in float32
(estimate: the one PosePrior serves estimation with; denoise, complete-3d: the unified one) with the
default sampler (DPM-Solver++(3M), 20 steps). Metrics: gfpose.sequences.metrics, frame-weighted
means per source; frames/s of each row on this machine.
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/hardware.py
import hardware  # noqa: E402

from gfpose.atomic import atomic_write  # noqa: E402
from gfpose.prior import PosePrior  # noqa: E402
from gfpose.sequences.evaluate import TASKS, damaged_rows, estimate_rows, evaluate_rows  # noqa: E402
from gfpose.sequences.methods import DEFAULT_METHODS, SequenceMethod  # noqa: E402
from gfpose.sequences.propagate import Propagation  # noqa: E402
from gfpose.sequences.takes import fixed_camera_views, load_takes  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GUIDED, CORRELATED, PATH = SequenceMethod("guided"), SequenceMethod("correlated"), SequenceMethod("path")
PROPAGATED = SequenceMethod("path", propagation=Propagation())
METHODS = {  # per task; 'path' draws 20 hypotheses per frame, affordable here for estimation only
    "estimate": {"guided": GUIDED, "correlated starts + ODE": CORRELATED,
                 f"path (Viterbi over {PATH.hypotheses} hypotheses, smoothed)": PATH,
                 f"path over {PATH.hypotheses} hypotheses warm-started in chains of "
                 f"{PROPAGATED.propagation.chain_frames} frames": PROPAGATED},
    "denoise": {"independent (reverse SDE from t0 per frame)": SequenceMethod("independent"),
              "guided": DEFAULT_METHODS["denoise"], "correlated (ODE from t0 per frame)": CORRELATED},
    "complete-3d": {"independent (per frame from the interpolated start, App. G)": SequenceMethod("independent"),
                 "guided, stopped at 60 mm": GUIDED, "guided, sampled to the end": DEFAULT_METHODS["complete-3d"]},
}


def markdown(results: dict) -> str:
    """The results as one Markdown table per task: P1 / P2 / acceleration / velocity error per source."""
    lines = []
    for task, rows in results["tasks"].items():
        sources = sorted({source for row in rows.values() for source in row if source != "frames/s"})
        header = " | ".join(f"{s} P1 | {s} P2 | {s} accel | {s} vel" for s in sources)
        lines += [f"**{task}**", "", f"| method | {header} | frames/s |", "|---" * (4 * len(sources) + 2) + "|"]
        for name, row in rows.items():
            cells = " | ".join(f"{row[s]['P1']:.1f} | {row[s]['P2']:.1f} | {row[s]['acceleration']:.1f} | "
                               f"{row[s]['velocity']:.1f}" for s in sources)
            lines.append(f"| {name} | {cells} | {row['frames/s']:g} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks/data/sequences.npz")
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--max-frames", type=int, default=None, help="use the first N frames of each take")
    parser.add_argument("--every-take", type=int, default=1, help="use every k-th take")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--checkpoint", default=None, help="a model file (default: the shipped unified model)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs/results/sequences.json")
    parser.add_argument("--render-only", action="store_true", help="print the tables of --out as Markdown")
    args = parser.parse_args()
    if args.render_only:
        print(markdown(json.loads(args.out.read_text())))
        return
    torch.set_num_threads(args.threads)

    takes = [t.first(args.max_frames) for t in load_takes(args.data)[::args.every_take]]
    views = fixed_camera_views(takes)
    prior = (PosePrior.load(args.checkpoint, device="cpu", precision="fp32") if args.checkpoint
             else PosePrior.pretrained(device="cpu", precision="fp32"))
    sampler = prior.sampler
    started = time.time()
    previous = json.loads(args.out.read_text()) if args.out.exists() else {"tasks": {}, "commands": []}
    results = {"commands": previous["commands"] + [" ".join(["python", *sys.argv])], "machine": hardware.describe(),
               "sampler": {"name": sampler.settings.name, "steps": sampler.settings.steps,
                           "precision": sampler.precision},
               "methods": {task: {name: dataclasses.asdict(m) for name, m in methods.items()}
                           for task, methods in METHODS.items()},
               "defaults": {task: dataclasses.asdict(method) for task, method in DEFAULT_METHODS.items()},
               "tasks": previous["tasks"]}  # tasks not rerun keep their rows
    for task in args.tasks.split(","):
        if task == "estimate":  # the model that serves estimation, as lift_sequence uses it
            rows = estimate_rows(prior.sampler_for("estimate"), METHODS[task])
        else:
            rows = damaged_rows(sampler, task, METHODS[task])
        results["tasks"][task] = evaluate_rows(rows, views, task, progress=print)
        results["seconds"] = round(time.time() - started, 1)
        atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(results, indent=2) + "\n"))
    print(markdown(results))
    print(f"wrote {args.out} in {results['seconds']} s")


if __name__ == "__main__":
    main()
