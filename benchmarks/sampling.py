"""Sampler speed and accuracy on the bundled test split (issue: fast sampling).

For each sampler / step count / precision: minMPJPE over S hypotheses (protocols 1 and 2), MPJPE
of one hypothesis, mean MPJPE over all hypotheses, the share of hypotheses more than 300 mm off,
hypotheses per second, speed-up over the 1000-step Euler-Maruyama baseline (Alg. 1) measured in
the same run, and peak resident memory. Prints a table, or one JSON object with --json.

    python benchmarks/sampling.py --inputs 50 --hypotheses 200 [--checkpoint MODEL] [--json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from gfpose.data.bandai import load_bundled
from gfpose.evaluate import evaluate
from gfpose.prior import PosePrior

# (sampler, steps, schedule, precision); precision False = fp32, True = bf16 autocast,
# "compiled" = bf16 with torch.compile. The first row is the paper's sampler and the reference.
CONFIGS = [
    ("em", 1000, "uniform", False),
    ("em", 100, "uniform", False),
    ("em", 25, "quadratic", False),
    ("ode-heun", 12, "quadratic", False),
    ("dpm2m", 10, "logsnr", False),
    ("dpm2m", 20, "quadratic", False),
    ("sde-dpm2m", 10, "quadratic", False),
    ("sde-dpm2m", 15, "quadratic", False),
    ("sde-dpm2m", 25, "logsnr", False),
    ("sde-dpm2m", 25, "quadratic", False),
    ("sde-dpm2m", 25, "quadratic", True),
    ("sde-dpm2m", 10, "quadratic", True),
    ("sde-dpm2m", 25, "quadratic", "compiled"),
    ("sde-dpm2m", 10, "quadratic", "compiled"),
]


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(checkpoint, inputs: int, hypotheses: int, configs, device: str = "cpu", progress: bool = False) -> list[dict]:
    prior = PosePrior.load(checkpoint, device) if checkpoint else PosePrior.pretrained(device)
    test = load_bundled().select_split("test")
    test = test.subset(np.linspace(0, len(test) - 1, inputs).astype(int))
    rows = []
    for name, steps, schedule, precision in configs:
        sampler = prior.with_sampler(name=name, steps=steps, schedule=schedule, bf16=bool(precision),
                                     compile=precision == "compiled")
        if precision == "compiled":  # a first, untimed run compiles for every chunk shape
            evaluate(sampler, test, "estimate", hypotheses, progress=False)
        reset_peak_rss()
        started = time.perf_counter()
        result = evaluate(sampler, test, "estimate", hypotheses, progress=False)
        seconds = time.perf_counter() - started
        avg = {row: values["Avg"] for row, values in result["table"].items()}
        rows.append({
            "sampler": name, "steps": steps, "schedule": schedule, "precision": {False: "fp32", True: "bf16"}.get(precision, "bf16+compile"),
            "nfe": result["sampler"]["nfe"],
            "minP1": avg[f"P1 min S={hypotheses}"], "minP2": avg[f"P2 min S={hypotheses}"],
            "P1_S1": avg["P1 min S=1"], "meanP1": avg["P1 mean over S"],
            "over300_pct": avg["% hyps > 300 mm"],
            "hyp_per_s": inputs * hypotheses / seconds, "seconds": seconds, "peak_rss_mb": peak_rss_mb()})
        rows[-1]["speedup"] = rows[-1]["hyp_per_s"] / rows[0]["hyp_per_s"]
        if progress:
            print(json.dumps(rows[-1]), flush=True)
    return rows


def format_rows(rows, inputs, hypotheses, threads) -> str:
    header = (f"{'sampler':10} {'steps':>5} {'sched':7} {'prec':12} {'NFE':>4} {'minP1':>6} {'minP2':>6} "
              f"{'P1 S=1':>7} {'meanP1':>7} {'>300mm%':>7} {'hyp/s':>8} {'speedup':>7} {'peakMB':>7}")
    lines = [f"Estimation on {inputs} bundled test inputs, S = {hypotheses} hypotheses, "
             f"{threads} CPU threads", header]
    for r in rows:
        lines.append(f"{r['sampler']:10} {r['steps']:5d} {r['schedule']:7} {r['precision']:12} {r['nfe']:4d} "
                     f"{r['minP1']:6.1f} {r['minP2']:6.1f} {r['P1_S1']:7.1f} {r['meanP1']:7.1f} "
                     f"{r['over300_pct']:7.2f} {r['hyp_per_s']:8.0f} {r['speedup']:7.1f} {r['peak_rss_mb']:7.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--inputs", type=int, default=50)
    parser.add_argument("--hypotheses", type=int, default=200)
    parser.add_argument("--only", default=None, help="comma-separated row numbers of CONFIGS (0 is always run)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--progress", action="store_true", help="print each row as JSON when done")
    args = parser.parse_args()
    configs = CONFIGS if args.only is None else [CONFIGS[0]] + [CONFIGS[int(i)] for i in args.only.split(",") if i != "0"]
    rows = run(args.checkpoint, args.inputs, args.hypotheses, configs, progress=args.progress)
    if args.json:
        print(json.dumps({"inputs": args.inputs, "hypotheses": args.hypotheses, "threads": torch.get_num_threads(),
                          "command": "python benchmarks/sampling.py " + " ".join(sys.argv[1:]), "rows": rows}))
    else:
        print(format_rows(rows, args.inputs, args.hypotheses, torch.get_num_threads()))
