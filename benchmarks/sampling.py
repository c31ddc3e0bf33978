"""Sampler speed and accuracy on the bundled test split (issue: fast sampling).

For each sampler / step count / precision, 2D -> 3D estimation on `--inputs` evenly spaced test
inputs with S hypotheses each: minMPJPE over S (protocols 1 and 2), the mean MPJPE over all
hypotheses, the share of hypotheses more than 300 mm off, hypotheses per second (sampling alone,
metrics untimed), the speed-up over the 1000-step Euler-Maruyama baseline (Alg. 1) measured in the
same run, and peak resident memory. MPJPE with S = 1 has a spread of ~40 mm per input, so it is
measured on its own, larger set of `--single-inputs` inputs with one hypothesis each. All figures
are means over inputs; for S = 1 and the mean over hypotheses, '(vs ref)' is the paired difference
to the reference row on the same inputs, +- its standard error, so sampling noise is not read as
a gap. Prints a table, or one JSON object with --json.

    python benchmarks/sampling.py --inputs 50 --hypotheses 200 --single-inputs 1000 [--json]

--only picks rows of CONFIGS by number (the reference, row 0, always runs); --row SAMPLER:STEPS:SCHEDULE:PRECISION
adds a setting of one's own (for a new model or machine), e.g. --only 10 --row sde-dpm3m:25:logsnr:fp32.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs
import numpy as np
import torch

from gfpose import metrics
from gfpose.data.bandai import load_bundled
from gfpose.evaluate import eval_inputs
from gfpose.precision import resolve_precision
from gfpose.prior import PosePrior
from gfpose.tasks import estimate_request

# (sampler, steps, schedule, precision): "fp32", "auto" (a bfloat16 copy of the network where the
# hardware multiplies bfloat16 natively, else fp32), "int8" (gfpose.quantize; only run where the CPU
# multiplies int8 natively), "+compile" for torch.compile. The first row is the paper's sampler and the reference.
CONFIGS = [
    ("em", 1000, "uniform", "fp32"),
    ("em", 100, "uniform", "fp32"),
    ("em", 25, "quadratic", "auto"),
    ("ode-heun", 12, "quadratic", "auto"),
    ("dpm2m", 20, "quadratic", "auto"),
    ("sde-dpm2m", 25, "quadratic", "auto"),
    ("sde-dpm2m", 20, "quadratic", "auto"),
    ("sde-dpm3m", 10, "quadratic", "auto"),
    ("sde-dpm3m", 15, "quadratic", "auto"),
    ("sde-dpm3m", 18, "quadratic", "auto"),
    ("sde-dpm3m", 20, "quadratic", "fp32"),
    ("sde-dpm3m", 20, "quadratic", "auto"),
    ("sde-dpm3m", 25, "quadratic", "auto"),
    ("sde-dpm3m", 20, "quadratic", "auto+compile"),
    ("sde-dpm3m", 20, "quadratic", "int8+compile"),
    ("sde-dpm3m", 18, "quadratic", "int8+compile"),
]


def machine_configs(configs, device: torch.device) -> list[tuple[str, int, str, str]]:
    """The settings as this machine runs them: 'auto' resolved to bf16 or fp32, int8 rows dropped where
    the CPU has no native int8 matmul, and a setting that resolves to one already listed run once."""
    resolved = []
    for name, steps, schedule, precision in configs:
        dtype, plus, compiled = precision.partition("+")
        if dtype == "int8" and not hardware.native_int8():
            continue
        row = (name, steps, schedule, resolve_precision(dtype, device) + plus + compiled)
        if row not in resolved:
            resolved.append(row)
    return resolved


def reset_peak_rss() -> None:
    """Linux: writing 5 to clear_refs resets the peak resident set size (VmHWM)."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def test_inputs(count: int, hypotheses: int):
    """Ground truth of `count` bundled test poses and the estimation request for their 2D."""
    test = load_bundled().select_split("test")
    inputs = eval_inputs(test.subset(np.linspace(0, len(test) - 1, count).astype(int)))
    return inputs.poses, estimate_request(inputs.keypoints, inputs.image_size, hypotheses)


def paired_difference(errors: torch.Tensor, reference: torch.Tensor) -> tuple[float, float]:
    """Mean and standard error of the per-input difference to the reference row's errors on the
    same inputs: a few-step sampler is "no worse" where the difference is within about 2 SE of 0."""
    diff = (errors - reference).double()
    if len(diff) < 2:
        return diff.mean().item(), float("nan")
    return diff.mean().item(), (diff.std() / len(diff) ** 0.5).item()


def timed_sample(sampler, request):
    started = time.perf_counter()
    hyps = sampler.run(request)
    return hyps, time.perf_counter() - started


def run(checkpoint, inputs: int, hypotheses: int, single_inputs: int, configs, device: str = "cpu",
        progress: bool = False) -> list[dict]:
    prior = PosePrior.load(checkpoint, device) if checkpoint else PosePrior.pretrained(device)
    gt, request = test_inputs(inputs, hypotheses)
    single_gt, single_request = test_inputs(single_inputs, 1)
    rows, per_input = [], []
    for name, steps, schedule, precision in configs:
        dtype, _, compiled = precision.partition("+")
        sampler = prior.sampler_for("estimate").with_settings(name=name, steps=steps, schedule=schedule,
                                                              precision=dtype, compile=bool(compiled))
        if compiled:  # a first, untimed run compiles for every chunk shape
            sampler.run(request)
            sampler.run(single_request)
        reset_peak_rss()
        hyps, seconds = timed_sample(sampler, request)
        single, single_seconds = timed_sample(sampler, single_request)
        errors = {p: metrics.hypothesis_errors(hyps, gt, protocol=p) for p in (1, 2)}
        per_input.append({"P1_S1": metrics.mpjpe(single[:, 0], single_gt), "meanP1": errors[1].mean(dim=1)})
        rows.append({
            "sampler": name, "steps": steps, "schedule": schedule, "precision": precision,
            "nfe": sampler.settings.network_evaluations(),
            "minP1": errors[1].min(dim=1).values.mean().item(), "minP2": errors[2].min(dim=1).values.mean().item(),
            "P1_S1": per_input[-1]["P1_S1"].mean().item(), "meanP1": errors[1].mean().item(),
            "over300_pct": (errors[1] > 300).float().mean().item() * 100,
            "hyp_per_s": (inputs * hypotheses + single_inputs) / (seconds + single_seconds),
            "seconds": seconds + single_seconds, "peak_rss_mb": peak_rss_mb()})
        rows[-1]["speedup"] = rows[-1]["hyp_per_s"] / rows[0]["hyp_per_s"]
        for key in ("P1_S1", "meanP1"):
            difference = paired_difference(per_input[-1][key], per_input[0][key])
            rows[-1][key + "_diff"], rows[-1][key + "_diff_se"] = difference
        if progress:
            print(json.dumps(rows[-1]), flush=True)
    return rows


def parse_row(text: str) -> tuple[str, int, str, str]:
    """'sde-dpm3m:25:logsnr:fp32' -> a CONFIGS entry."""
    parts = text.split(":")
    if len(parts) != 4 or not parts[1].isdigit():
        raise SystemExit(f"--row {text!r}: expected SAMPLER:STEPS:SCHEDULE:PRECISION, e.g. sde-dpm3m:25:logsnr:fp32")
    return parts[0], int(parts[1]), parts[2], parts[3]


def _diff(row, key) -> str:
    """'+0.4+-0.3': the row's paired difference to the reference, +- one standard error."""
    return f"{row[key + '_diff']:+.1f}+-{row[key + '_diff_se']:.1f}"


def format_rows(rows, inputs, hypotheses, single_inputs, machine) -> str:
    header = (f"{'sampler':10} {'steps':>5} {'sched':7} {'prec':12} {'NFE':>4} {'minP1':>6} {'minP2':>6} "
              f"{'P1 S=1':>7} {'(vs ref)':>11} {'meanP1':>7} {'(vs ref)':>11} {'>300mm%':>7} {'hyp/s':>8} "
              f"{'speedup':>7} {'peakMB':>7}")
    lines = [f"Estimation on {inputs} bundled test inputs, S = {hypotheses} hypotheses (P1 S=1: "
             f"{single_inputs} inputs, one hypothesis each); {machine}", header]
    for r in rows:
        lines.append(f"{r['sampler']:10} {r['steps']:5d} {r['schedule']:7} {r['precision']:12} {r['nfe']:4d} "
                     f"{r['minP1']:6.1f} {r['minP2']:6.1f} {r['P1_S1']:7.1f} {_diff(r, 'P1_S1'):>11} "
                     f"{r['meanP1']:7.1f} {_diff(r, 'meanP1'):>11} "
                     f"{r['over300_pct']:7.2f} {r['hyp_per_s']:8.0f} {r['speedup']:7.1f} {r['peak_rss_mb']:7.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--inputs", type=int, default=50)
    parser.add_argument("--hypotheses", type=int, default=200)
    parser.add_argument("--single-inputs", type=int, default=1000, help="inputs for MPJPE with S = 1")
    parser.add_argument("--only", default=None, help="comma-separated row numbers of CONFIGS (0 is always run)")
    parser.add_argument("--row", action="append", default=[], metavar="SAMPLER:STEPS:SCHEDULE:PRECISION",
                        help="an extra setting after the chosen rows (repeatable)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--progress", action="store_true", help="print each row as JSON when done")
    args = parser.parse_args()
    configs = (CONFIGS if args.only is None
               else [CONFIGS[0]] + [CONFIGS[int(i)] for i in args.only.split(",") if i != "0"])
    configs = machine_configs(configs + [parse_row(row) for row in args.row], torch.device("cpu"))
    rows = run(args.checkpoint, args.inputs, args.hypotheses, args.single_inputs, configs, progress=args.progress)
    if args.json:
        print(json.dumps({"inputs": args.inputs, "hypotheses": args.hypotheses,
                          "single_inputs": args.single_inputs, "hardware": hardware.describe(),
                          "auto_precision": resolve_precision("auto", torch.device("cpu")),
                          "command": "python benchmarks/sampling.py " + " ".join(sys.argv[1:]), "rows": rows}))
    else:
        print(format_rows(rows, args.inputs, args.hypotheses, args.single_inputs, hardware.describe()))
