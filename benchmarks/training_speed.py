"""Training throughput of the paper-size network: steps/s and poses/s per setting, with building the
batch timed apart from the optimisation step (forward, backward, clipping, Adam, EMA), in one run
so that the ratios between settings hold on a shared, noisy machine.

    python benchmarks/training_speed.py --precisions fp32,bf16 --distinct-times 0,32 --threads 1,2 --json

Settings are interleaved (each timed for --steps steps after --warmup untimed ones, repeated
--rounds times, the median kept), on the bundled training poses with the default config.
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
from torch.optim.swa_utils import AveragedModel

import hardware  # benchmarks/ is on sys.path when this script runs

from gfpose.atomic import atomic_write
from gfpose.batches import PoseBatches
from gfpose.config import Config
from gfpose.data.bandai import load_bundled
from gfpose.network import ScoreNet
from gfpose.runtime import resolve_device
from gfpose.train import TrainingStep, ema_with_warmup

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"


def time_setting(data, precision: str, distinct: int, threads: int, device: torch.device,
                 steps: int, warmup: int, batch_size: int) -> dict:
    """Seconds per batch build and per optimisation step for one setting."""
    torch.set_num_threads(threads)
    config = Config().with_overrides([f"train.bf16={json.dumps(precision == 'bf16')}",
                                      f"train.distinct_times={distinct}", f"train.batch_size={batch_size}"])
    torch.manual_seed(0)
    net = ScoreNet(config.model).to(device).train()
    ema = AveragedModel(net, avg_fn=ema_with_warmup(config.train.ema_decay))
    optimizer = torch.optim.Adam(net.parameters(), lr=config.train.lr, fused=device.type == "cuda")
    optimise = TrainingStep(net, net, ema, optimizer, config, device)
    batches = PoseBatches(data, config, device)
    build, step_time = [], []
    for step in range(warmup + steps):
        started = time.perf_counter()
        batch = batches.batch(step)
        built = time.perf_counter()
        optimise(batch, step).item()  # .item() waits for the device
        done = time.perf_counter()
        if step >= warmup:
            build.append(built - started)
            step_time.append(done - built)
    return {"batch_ms": 1000 * statistics.median(build), "step_ms": 1000 * statistics.median(step_time)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--distinct-times", default="0,32", help="0 = one time per pose (the paper's)")
    parser.add_argument("--threads", default="2")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", action="store_true", help="also write docs/results/training_speed.json")
    args = parser.parse_args()
    device = resolve_device(args.device)
    machine = hardware.describe().rsplit(",", 1)[0]  # the CPU; each row records its threads
    data = load_bundled().select_split("train")
    settings = [(p, int(k), int(n)) for n in args.threads.split(",") for p in args.precisions.split(",")
                for k in args.distinct_times.split(",")]
    samples = {s: [] for s in settings}
    for _ in range(args.rounds):
        for setting in settings:
            samples[setting].append(time_setting(data, *setting, device, args.steps, args.warmup, args.batch_size))
    rows = []
    for (precision, distinct, threads), runs in samples.items():
        batch_ms = statistics.median(r["batch_ms"] for r in runs)
        step_ms = statistics.median(r["step_ms"] for r in runs)
        rows.append({"precision": precision, "distinct_times": distinct, "threads": threads,
                     "batch_ms": round(batch_ms, 1), "step_ms": round(step_ms, 1),
                     "steps_per_s": round(1000 / (batch_ms + step_ms), 2),
                     "poses_per_s": round(1000 * args.batch_size / (batch_ms + step_ms))})
    base = rows[0]["poses_per_s"]
    print(f"{'precision':>9} {'times':>6} {'threads':>7} {'batch ms':>9} {'step ms':>8} {'steps/s':>8} "
          f"{'poses/s':>8} {'x first':>7}")
    for row in rows:
        print(f"{row['precision']:>9} {row['distinct_times'] or 'all':>6} {row['threads']:>7} {row['batch_ms']:>9} "
              f"{row['step_ms']:>8} {row['steps_per_s']:>8} {row['poses_per_s']:>8} {row['poses_per_s'] / base:>7.2f}")
    if args.json:
        command = ("python benchmarks/training_speed.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "json") + " --json")
        result = {"command": command, "hardware": machine, "device": str(device),
                  "batch_size": args.batch_size, "rows": rows}
        atomic_write(RESULTS / "training_speed.json", lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))


if __name__ == "__main__":
    main()
