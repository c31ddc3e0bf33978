"""One answer per input: a random hypothesis (the paper's S = 1) against the central answer
(`PosePrior.central_estimate`, `Sampler.central`: the probability-flow ODE from the prior's centre
x(T) = 0), per shipped model and test set, GT 2D through the fixed virtual test cameras as in
benchmarks/cross_dataset.py (same sets, same every-k-th poses, each model's own joint definition).

    python benchmarks/central_answer.py [--sets bundled,CMU,HDM05] [--out docs/results/central_answer.json]

Reports P1 (root-aligned MPJPE) and P2 (Procrustes-aligned) in mm per action and their mean over
actions (as Table 1), for the random hypothesis (seed 0) and the central answer; and the seconds of
each on this machine (one run, so their ratio holds).
"""

import argparse
import json
import sys
import time
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs
import torch
from cross_dataset import TEST_SETS, open_test_set

from gfpose.atomic import atomic_write
from gfpose.evaluate import eval_inputs
from gfpose.metrics import mpjpe, p_mpjpe, per_action_table
from gfpose.prior import DETECTOR_FILE, ESTIMATION_FILE, FREE_FILE, PosePrior, asset_path
from gfpose.tasks import estimate_request

ROOT = Path(__file__).resolve().parent.parent
MODELS = {"mocap": ESTIMATION_FILE, "detector": DETECTOR_FILE, "free": FREE_FILE}
SEED = 0


def score_set(sampler, poseset) -> dict:
    """The random hypothesis and the central answer of every input of a test set: P1 and P2 per action
    and their mean over actions ('Avg', as Table 1 and gfpose.evaluate average), with their seconds."""
    inputs = eval_inputs(poseset, joints=sampler.config.model.joints)
    request = estimate_request(inputs.keypoints, inputs.image_size)
    truth = inputs.poses.double()
    start = time.perf_counter()
    draw = sampler.run(request, seed=SEED)[:, 0].double()
    middle = time.perf_counter()
    central = sampler.central(request).double()
    end = time.perf_counter()
    per_sample = {f"{metric} {name}": function(poses, truth).numpy()
                  for name, poses in (("draw", draw), ("central", central))
                  for metric, function in (("P1", mpjpe), ("P2", p_mpjpe))}
    return {"inputs": len(truth), "table": per_action_table(per_sample, inputs.actions),
            "seconds": {"draw": middle - start, "central": end - middle}}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="bundled,CMU,HDM05", help=f"of {', '.join(TEST_SETS)}")
    parser.add_argument("--models", default=",".join(MODELS), help=f"of {', '.join(MODELS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "central_answer.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    cells = {}
    for model in args.models.split(","):
        sampler = PosePrior.load(asset_path(MODELS[model]), device="cpu", precision="fp32").sampler
        for label in args.sets.split(","):
            spec, every = TEST_SETS[label]
            cells.setdefault(model, {})[label] = cell = score_set(sampler, open_test_set(label, spec, every))
            print(f"{model:9s} {label:8s} " + "  ".join(f"{row} {values['Avg']:6.1f}"
                                                        for row, values in cell["table"].items()), flush=True)
    result = {"command": " ".join(["python", "benchmarks/central_answer.py", *(argv or sys.argv[1:])]),
              "hardware": hardware.describe(), "seed": SEED,
              "sampler": "the shipped default (sde-dpm3m, 25 quadratic steps) for the draw; DPM-Solver-2M with "
                         "the same steps from x(T) = 0 for the central answer; float32",
              "models": {m: MODELS[m] for m in cells}, "sets": {s: TEST_SETS[s] for s in args.sets.split(",")},
              "cells": cells}
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1) + "\n"))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
