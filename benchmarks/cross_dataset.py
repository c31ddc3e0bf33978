"""Cross-dataset estimation (the paper's Table 2 analogue): models side by side on several test sets.

Each (model, data) cell is one `gfpose.evaluate.evaluate` call with GT 2D through the fixed virtual
test cameras, the same code as `gfpose evaluate --json`; the JSON keeps every per-action table and
the Markdown report is rendered from it, so no number is typed by hand.

    python benchmarks/cross_dataset.py --model shipped --model runs/gen_b/model.safetensors \
        [--data mine=my_poses.npz] [--hypotheses 200] [--out docs/results/cross_dataset.json]
    python benchmarks/cross_dataset.py --render docs/results/cross_dataset.json

Test sets: the bundled test split (every 256th pose of each take: the Table 1 subset), the CMU test
takes (every 8th pose; no CMU test take is in any training data), and any `--data LABEL=SPEC` (a
pose npz or a `gfpose train --data` spec; its test split, or every row if it has no split labels).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs

from gfpose.atomic import atomic_write
from gfpose.cli import open_dataset
from gfpose.evaluate import EvalTask, evaluate
from gfpose.metrics import format_table
from gfpose.prior import PosePrior

ROOT = Path(__file__).resolve().parent.parent
TEST_SETS = {"bundled": ("bundled", 256), "CMU": (str(ROOT / "benchmarks" / "data" / "cmu17.npz"), 8)}
COLUMNS = ("P1 min S=1", "P1 min S={S}", "P2 min S=1", "P2 min S={S}", "P1 of mean pose", "bone error S=1",
           "PCK150 best", "% hyps > 300 mm")
PER_ACTION = ("P1 min S=1", "P1 min S={S}", "bone error S=1")


def load_sampler(model: str):
    """The estimation Sampler of 'shipped' (PosePrior.pretrained) or of a model file."""
    prior = PosePrior.pretrained() if model == "shipped" else PosePrior.load(model)
    return prior.sampler_for("estimate")


def run(models: list[str], test_sets: dict[str, tuple[str, int]], hypotheses: int) -> dict:
    cells = []
    for model in models:
        sampler = load_sampler(model)
        for label, (spec, every) in test_sets.items():
            data = open_dataset(spec, "test", every)
            started = time.time()
            result = evaluate(sampler, data, EvalTask("estimate", hypotheses), progress=False)
            result.update(model=model, data=label, spec=spec, every=every, wall_seconds=round(time.time() - started, 1))
            cells.append(result)
            print(f"{model} on {label}: " + json.dumps(
                {c: round(result["table"][c]["Avg"], 1) for c in columns(hypotheses)}), flush=True)
    return {"hypotheses": hypotheses, "cells": cells, "hardware": hardware.describe(),
            "command": "python " + " ".join(sys.argv)}


def columns(hypotheses: int, names=COLUMNS) -> list[str]:
    return [c.format(S=hypotheses) for c in names]


def render(result: dict) -> str:
    """Markdown: one row per (model, data) with the averages over actions, then per-action blocks."""
    wanted = columns(result["hypotheses"])
    lines = ["| model | data | inputs | " + " | ".join(wanted) + " |", "|" + "---|" * (len(wanted) + 3)]
    for cell in result["cells"]:
        values = " | ".join(f"{cell['table'][c]['Avg']:.1f}" for c in wanted)
        lines.append(f"| {Path(cell['model']).parent.name or cell['model']} | {cell['data']} | {cell['count']} | {values} |")
    parts = [f"{result['hardware']}; `{result['command']}`\n", "\n".join(lines) + "\n"]
    for data in dict.fromkeys(cell["data"] for cell in result["cells"]):
        for column in columns(result["hypotheses"], PER_ACTION):
            chosen = [cell for cell in result["cells"] if cell["data"] == data]
            rows = {action: {Path(cell["model"]).parent.name or cell["model"]: cell["table"][column][action]
                             for cell in chosen} for action in chosen[0]["table"][column]}
            parts.append(f"{data}, per action, {column}:\n\n```\n{format_table(rows, col_width=12)}\n```\n")
    return "\n".join(parts)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[], help="'shipped' or a model file; repeatable")
    parser.add_argument("--data", action="append", default=[], metavar="LABEL=SPEC", help="another test set")
    parser.add_argument("--every", type=int, default=1, help="every k-th pose of the --data sets")
    parser.add_argument("--hypotheses", type=int, default=200)
    parser.add_argument("--out", default=str(ROOT / "docs" / "results" / "cross_dataset.json"))
    parser.add_argument("--render", default=None, help="print the Markdown of a result JSON and stop")
    args = parser.parse_args(argv)
    if args.render:
        return print(render(json.loads(Path(args.render).read_text())))
    test_sets = dict(TEST_SETS)
    for item in args.data:
        label, sep, spec = item.partition("=")
        if not sep:
            parser.error(f"--data {item!r}: expected LABEL=SPEC")
        test_sets[label] = (spec, args.every)
    result = run(args.model or ["shipped"], test_sets, args.hypotheses)
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    print(render(result))


if __name__ == "__main__":
    main()
