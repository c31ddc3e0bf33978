"""Table 9's network-size half: models of different width or depth, trained for the same number of
steps with the same settings on the bundled train split, sampled the same way and timed on the same CPU.

Each checkpoint is run through benchmarks/sampling.py's measurement (minMPJPE over S hypotheses,
MPJPE with S = 1, mean over hypotheses, hypotheses per second) with one sampler setting, the
package default unless --sampler/--steps say otherwise. Prints a table, or JSON with --json.

    python benchmarks/network_size.py runs/size_512x2/model.safetensors runs/size_1024x2/model.safetensors --json

The training log beside each model (log.jsonl, written by `gfpose train`) gives its final training
loss, where present.
"""

import argparse
import json
import sys
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs
from sampling import run

from gfpose.checkpoint import load_model
from gfpose.prior import DEFAULT_SAMPLER
from gfpose.train import LOG_FILE


def architecture(path) -> dict:
    """Width, depth, parameter count and training step of a model file."""
    state, config, step = load_model(path)
    return {"hidden": config.model.hidden, "blocks": config.model.blocks, "train_step": step,
            "params_m": sum(v.numel() for v in state.values()) / 1e6}


def final_loss(path, last: int = 10) -> dict:
    """The training loss averaged over the last `last` logged intervals, from the run's log."""
    log = Path(path).parent / LOG_FILE
    records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []
    losses = [r["loss"] for r in records if "lr" in r][-last:]  # per-interval lines carry the lr
    return {"final_loss": sum(losses) / len(losses) if losses else None}


def _or_dash(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def format_rows(rows, inputs, hypotheses, single_inputs, machine) -> str:
    lines = [f"Estimation on {inputs} bundled test inputs, S = {hypotheses} (P1 S=1: {single_inputs} inputs), "
             f"{rows[0]['sampler']} x {rows[0]['steps']} steps ({rows[0]['precision']}); {machine}",
             f"{'hidden':>6} {'blocks':>6} {'params M':>8} {'steps':>6} {'loss':>5} {'minP1':>6} "
             f"{'minP2':>6} {'P1 S=1':>7} {'meanP1':>7} {'hyp/s':>7}"]
    for r in rows:
        lines.append(f"{r['hidden']:6d} {r['blocks']:6d} {r['params_m']:8.2f} {r['train_step']:6d} "
                     f"{_or_dash(r.get('final_loss'), '5.2f'):>5} "
                     f"{r['minP1']:6.1f} {r['minP2']:6.1f} {r['P1_S1']:7.1f} {r['meanP1']:7.1f} {r['hyp_per_s']:7.0f}")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+")
    parser.add_argument("--sampler", default=DEFAULT_SAMPLER.name)
    parser.add_argument("--steps", type=int, default=DEFAULT_SAMPLER.steps)
    parser.add_argument("--precision", default=DEFAULT_SAMPLER.precision)
    parser.add_argument("--inputs", type=int, default=50)
    parser.add_argument("--hypotheses", type=int, default=200)
    parser.add_argument("--single-inputs", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    config = (args.sampler, args.steps, DEFAULT_SAMPLER.schedule, args.precision)
    rows = []
    for path in args.checkpoints:
        row = run(path, args.inputs, args.hypotheses, args.single_inputs, [config])[0]
        rows.append({"checkpoint": str(path), **architecture(path), **final_loss(path), **row})
    machine = hardware.describe()
    if args.json:
        print(json.dumps({"inputs": args.inputs, "hypotheses": args.hypotheses, "single_inputs": args.single_inputs,
                          "hardware": machine, "command": "python benchmarks/network_size.py " + " ".join(sys.argv[1:]),
                          "rows": rows}))
    else:
        print(format_rows(rows, args.inputs, args.hypotheses, args.single_inputs, machine))


if __name__ == "__main__":
    main()
