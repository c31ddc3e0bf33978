"""Held-out metrics against training step, one line per run: the learning-curve figure of docs/RESULTS.md.

A run's snapshots are model files named step_<N>.safetensors in <run>/snapshots (copies of the
run's model.safetensors, the EMA weights, taken as it trains). Each is evaluated on fixed small
subsets with the default sampler and seed, the same `gfpose.evaluate.evaluate` as everywhere:
P1 of one hypothesis, P1 of the mean of the hypotheses, best of S (P1), bone-length error.

    python benchmarks/learning_curves.py runs/gen_a runs/gen_b [--hypotheses 20] \
        [--out docs/results/learning_curves.json] [--figure docs/images/learning_curves.png] [--append]

--append adds the named runs' points to an existing --out file made with the same number of
hypotheses (a point of the same run and step is replaced) and redraws the figure with every run in
it; --min-step N evaluates only the snapshots from step N on (a run that went on training); --x poses
draws the figure against poses seen (step x the run's batch size), for runs of different batch sizes.
"""

import argparse
import json
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from gfpose.atomic import atomic_write  # noqa: E402
from gfpose.data.specs import open_dataset  # noqa: E402
from gfpose.evaluate import EvalTask, evaluate  # noqa: E402
from gfpose.prior import PosePrior  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SUBSETS = {"bundled": ("bundled", 512), "CMU": ("benchmarks/data/cmu17.npz", 16)}  # paths from ROOT
METRICS = ("P1 min S=1", "P1 of mean pose", "P1 min S={S}", "bone error S=1")


def snapshots(run: Path) -> list[tuple[int, Path]]:
    found = [(int(m.group(1)), path) for path in (run / "snapshots").glob("step_*.safetensors")
             if (m := re.fullmatch(r"step_(\d+)\.safetensors", path.name))]
    if not found:
        raise SystemExit(f"{run}: no snapshots/step_<N>.safetensors")
    return sorted(found)


def curves(runs: list[Path], hypotheses: int, min_step: int = 0) -> dict:
    data = {label: open_dataset(spec if spec == "bundled" else str(ROOT / spec), "test", every)
            for label, (spec, every) in SUBSETS.items()}
    names = [m.format(S=hypotheses) for m in METRICS]
    out = {"hypotheses": hypotheses, "subsets": {k: {"spec": s, "every": e, "inputs": len(data[k])}
                                                 for k, (s, e) in SUBSETS.items()},
           "metrics": names, "runs": {}, "command": "python " + " ".join(sys.argv)}
    for run in runs:
        points = []
        for step, path in snapshots(run):
            if step < min_step:
                continue
            prior = PosePrior.load(path)
            sampler = prior.sampler_for("estimate")
            point = {"step": step, "poses": step * prior.config.train.batch_size}
            for label, test_poses in data.items():
                table = evaluate(sampler, test_poses, EvalTask("estimate", hypotheses), progress=False)["table"]
                point[label] = {name: round(table[name]["Avg"], 2) for name in names}
            print(run.name, json.dumps(point), flush=True)
            points.append(point)
        out["runs"][run.name] = points
    return out


def merged(old: dict, new: dict) -> dict:
    """`old` with `new`'s runs added or replaced and its command appended to the commands."""
    inputs = lambda result: {k: v["inputs"] for k, v in result["subsets"].items()}  # noqa: E731
    if old["hypotheses"] != new["hypotheses"] or inputs(old) != inputs(new):
        raise SystemExit(f"--append: the file has S = {old['hypotheses']} on {inputs(old)} inputs, this run "
                         f"S = {new['hypotheses']} on {inputs(new)}")
    commands = old["commands"] if "commands" in old else [old["command"]]
    result = {key: value for key, value in old.items() if key != "command"}
    runs = dict(old["runs"])
    for run, points in new["runs"].items():
        by_step = {p["step"]: p for p in runs.get(run, []) + points}
        runs[run] = [by_step[step] for step in sorted(by_step)]
    return {**result, "runs": runs, "commands": commands + [new["command"]]}


def figure(result: dict, path: Path, x: str = "step") -> None:
    """One panel per subset and metric, one line per run, against training steps or poses seen."""
    metrics, subsets = result["metrics"], list(result["subsets"])
    fig, axes = plt.subplots(len(subsets), len(metrics), figsize=(4 * len(metrics), 3.2 * len(subsets)), squeeze=False)
    for row, subset in enumerate(subsets):
        for col, metric in enumerate(metrics):
            ax = axes[row][col]
            for run, points in result["runs"].items():
                ax.plot([p[x] for p in points], [p[subset][metric] for p in points], marker="o", label=run)
            ax.set_title(f"{subset}: {metric}", fontsize=9)
            ax.set_xlabel("training step" if x == "step" else "training poses seen")
            ax.set_ylabel("mm")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=90))
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--hypotheses", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "learning_curves.json")
    parser.add_argument("--figure", type=Path, default=ROOT / "docs" / "images" / "learning_curves.png")
    parser.add_argument("--append", action="store_true", help="merge into an existing --out file")
    parser.add_argument("--min-step", type=int, default=0, help="only snapshots from this step on")
    parser.add_argument("--x", choices=("step", "poses"), default="step",
                        help="the figure's x axis: training steps, or poses seen (step x batch size)")
    args = parser.parse_args(argv)
    result = curves(args.runs, args.hypotheses, args.min_step)
    if args.append and args.out.exists():
        result = merged(json.loads(args.out.read_text()), result)
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    figure(result, args.figure, args.x)
    print(f"wrote {args.out} and {args.figure}")


if __name__ == "__main__":
    main()
