"""Cross-dataset estimation (the paper's Table 2 analogue): models side by side on several test sets.

Each (model, data) cell is one `gfpose.evaluate.evaluate` call with GT 2D through the fixed virtual
test cameras, the same code as `gfpose evaluate --json`; the JSON keeps every per-action table and
the Markdown report is rendered from it, so no number is typed by hand.

    python benchmarks/cross_dataset.py --model shipped --model augmented=runs/gen_b/model.safetensors \
        [--data mine=my_poses.npz] [--hypotheses 200] [--out docs/results/cross_dataset.json]
    python benchmarks/cross_dataset.py --render docs/results/cross_dataset.json

Test sets: the bundled test split (every 256th pose of each take: the Table 1 subset), the CMU test
takes (every 8th pose; no CMU test take is in any training data), the same bundled poses retargeted
to the Human3.6M skeleton's bone lengths (directions kept: a skeleton no model here trained on), and
any `--data LABEL=SPEC` (a pose npz or a `gfpose train --data` spec; its test split, or every row if
it has no split labels).
"""

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs
import torch

from gfpose.atomic import atomic_write
from gfpose.augment import set_bone_lengths
from gfpose.data.specs import open_dataset
from gfpose.evaluate import EvalTask, evaluate
from gfpose.metrics import format_table
from gfpose.prior import PosePrior

ROOT = Path(__file__).resolve().parent.parent
H36M_PROPORTIONS = "bundled as H36M"
TEST_SETS = {"bundled": ("bundled", 256), "CMU": (str(ROOT / "benchmarks" / "data" / "cmu17.npz"), 8),
             H36M_PROPORTIONS: ("bundled", 256),
             # HDM05's test actors (mm, tr): floor poses, squats, kicks; an unseen mocap skeleton
             "HDM05": (str(ROOT / "benchmarks" / "data" / "hdm05_17.npz"), 32)}
# Bone lengths (mm) of the Human3.6M motion-capture skeleton (the offsets of its 32-joint skeleton in
# the motion-prediction preprocessing used by VideoPose3D and others), per H36M-17 joint's incoming
# bone: hips 132.9, thighs 442.9, shanks 454.2, pelvis-spine 233.4, spine-thorax 257.1, thorax-nose
# 121.1, nose-head 115.0, shoulders 151.0, upper arms 278.9, forearms 251.7. Bandai's: 65, 391, 410,
# 224, 208, 129, 116, 108, 243, 223.
H36M_BONES_MM = (0.0, 132.9, 442.9, 454.2, 132.9, 442.9, 454.2, 233.4, 257.1, 121.1, 115.0,
                 151.0, 278.9, 251.7, 151.0, 278.9, 251.7)
COLUMNS = ("P1 min S=1", "P1 min S={S}", "P2 min S=1", "P2 min S={S}", "P1 of mean pose", "bone error S=1",
           "PCK150 best", "% hyps > 300 mm")
PER_ACTION = ("P1 min S=1", "P1 min S={S}", "bone error S=1")


def load_sampler(model: str, steps: int | None = None):
    """The estimation Sampler of 'shipped' (PosePrior.pretrained) or of a model file; `steps`
    overrides the default sampler's step count."""
    prior = PosePrior.pretrained() if model == "shipped" else PosePrior.load(model)
    return (prior.with_sampler(steps=steps) if steps else prior).sampler_for("estimate")


def open_test_set(label: str, spec: str, every: int):
    """The test split of `spec` (every k-th pose); the H36M-proportions set gets H36M's bone lengths."""
    data = open_dataset(spec, "test", every)
    if label == H36M_PROPORTIONS:
        data.poses_3d = set_bone_lengths(torch.as_tensor(data.poses_3d), torch.tensor(H36M_BONES_MM)).numpy()
    return data


def run(models: dict[str, str], test_sets: dict[str, tuple[str, int]], hypotheses: int,
        steps: int | None = None) -> dict:
    cells = []
    for label, model in models.items():
        sampler = load_sampler(model, steps)
        for data_label, (spec, every) in test_sets.items():
            data = open_test_set(data_label, spec, every)
            started = time.time()
            result = evaluate(sampler, data, EvalTask("estimate", hypotheses), progress=False)
            result.update(model=label, file=model, data=data_label, spec=spec, every=every,
                          wall_seconds=round(time.time() - started, 1))
            cells.append(result)
            print(f"{label} on {data_label}: " + json.dumps(
                {c: round(result["table"][c]["Avg"], 1) for c in columns(hypotheses)}), flush=True)
    return {"hypotheses": hypotheses, "cells": cells, "hardware": hardware.describe(),
            "commands": ["python " + shlex.join(sys.argv)]}


def columns(hypotheses: int, names=COLUMNS) -> list[str]:
    return [c.format(S=hypotheses) for c in names]


def render(result: dict) -> str:
    """Markdown: one row per (model, data) with the averages over actions, then per-action blocks."""
    wanted = columns(result["hypotheses"])
    lines = ["| model | data | inputs | sampler steps | " + " | ".join(wanted) + " |", "|" + "---|" * (len(wanted) + 4)]
    for cell in result["cells"]:
        values = " | ".join(f"{cell['table'][c]['Avg']:.1f}" for c in wanted)
        lines.append(f"| {cell['model']} | {cell['data']} | {cell['count']} | {cell['sampler']['steps']} | {values} |")
    commands = "\n".join(f"    {command}" for command in result["commands"])
    parts = [f"{result['hardware']}; made by\n\n{commands}\n", "\n".join(lines) + "\n"]
    for data in dict.fromkeys(cell["data"] for cell in result["cells"]):
        for column in columns(result["hypotheses"], PER_ACTION):
            chosen = [cell for cell in result["cells"] if cell["data"] == data]
            rows = {action: {cell["model"]: cell["table"][column][action]
                             for cell in chosen} for action in chosen[0]["table"][column]}
            parts.append(f"{data}, per action, {column}:\n\n```\n{format_table(rows, col_width=12)}\n```\n")
    return "\n".join(parts)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", default=[], metavar="[LABEL=]MODEL",
                        help="'shipped' or a model file, optionally labelled; repeatable")
    parser.add_argument("--data", action="append", default=[], metavar="LABEL=SPEC", help="another test set")
    parser.add_argument("--every", type=int, default=1, help="every k-th pose of the --data sets")
    parser.add_argument("--sets", default=",".join(TEST_SETS),
                        help=f"built-in test sets to use, of: {', '.join(TEST_SETS)}")
    parser.add_argument("--hypotheses", type=int, default=200)
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default: the default sampler's)")
    parser.add_argument("--out", default=str(ROOT / "docs" / "results" / "cross_dataset.json"))
    parser.add_argument("--render", default=None, help="print the Markdown of a result JSON and stop")
    parser.add_argument("--append", action="store_true", help="add the new cells to those of --out (same S)")
    args = parser.parse_args(argv)
    if args.render:
        return print(render(json.loads(Path(args.render).read_text())))
    unknown = set(args.sets.split(",")) - set(TEST_SETS) - {""}
    if unknown:
        parser.error(f"--sets: unknown {sorted(unknown)}; expected some of {', '.join(TEST_SETS)}")
    test_sets = {name: TEST_SETS[name] for name in args.sets.split(",") if name}
    for item in args.data:
        label, sep, spec = item.partition("=")
        if not sep:
            parser.error(f"--data {item!r}: expected LABEL=SPEC")
        test_sets[label] = (spec, args.every)
    models = dict(item.partition("=")[::2] if "=" in item else (item, item) for item in args.model or ["shipped"])
    result = run(models, test_sets, args.hypotheses, args.steps)
    if args.append and Path(args.out).exists():
        previous = json.loads(Path(args.out).read_text())
        if previous["hypotheses"] != args.hypotheses:
            parser.error(f"--append: {args.out} has S = {previous['hypotheses']}, not {args.hypotheses}")
        result.update(cells=previous["cells"] + result["cells"], commands=previous["commands"] + result["commands"])
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    print(render(result))


if __name__ == "__main__":
    main()
