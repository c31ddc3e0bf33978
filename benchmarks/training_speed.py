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
from unittest.mock import patch

import hardware  # benchmarks/ is on sys.path when this script runs
import torch
from torch.optim.swa_utils import AveragedModel

from gfpose import network
from gfpose.atomic import atomic_write
from gfpose.batches import PoseBatches
from gfpose.config import Config
from gfpose.data.bandai import load_bundled
from gfpose.network import ScoreNet
from gfpose.runtime import resolve_device
from gfpose.train import TrainingStep, optimiser_and_ema

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"


def time_setting(data, precision: str, distinct: int, threads: int, device: torch.device,
                 steps: int, warmup: int, batch_size: int) -> dict:
    """Seconds per batch build and per optimisation step for one setting."""
    torch.set_num_threads(threads)
    config = Config().with_overrides([f"train.bf16={json.dumps(precision == 'bf16')}",
                                      f"train.distinct_times={distinct}", f"train.batch_size={batch_size}"])
    torch.manual_seed(0)
    net = ScoreNet(config.model).to(device).train()
    optimizer, ema = optimiser_and_ema(net, config.train, device)
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


def median_ms(run, repeats: int = 10) -> float:
    """Median wall time of run() in ms, after two untimed calls."""
    run(), run()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def step_breakdown(data, distinct: int, threads: int, batch_size: int) -> dict:
    """Where a float32 CPU step's time goes: forward + backward (also with torch's stock dropout, which
    gfpose.network.dropout replaces), clipping + Adam + EMA (also with the stock per-parameter Adam and
    AveragedModel EMA that train.optimiser_and_ema replaces: each choice measured against the library
    alternative it beat, in the same run), and the matrix
    products of forward + backward alone (each Linear's x W^T, its input gradient g W and its weight
    gradient g^T x, on the main path's batch rows and the time
    path's distinct rows), timed as plain torch.matmul calls of those shapes: the floor no
    elementwise fusion goes below."""
    torch.set_num_threads(threads)
    config = Config().with_overrides([f"train.distinct_times={distinct}", f"train.batch_size={batch_size}"])
    torch.manual_seed(0)
    net = ScoreNet(config.model).train()
    optimizer, ema = optimiser_and_ema(net, config.train, torch.device("cpu"))
    batch = PoseBatches(data, config, torch.device("cpu")).batch(0)
    score_model = TrainingStep(net, net, ema, optimizer, config, torch.device("cpu")).score_model

    def forward_backward():
        net.zero_grad(set_to_none=True)
        score_model.loss(batch.x0, batch.cond, batch.t, batch.z, batch.t_index).backward()

    def forward_backward_torch_dropout():  # torch.nn.functional.dropout instead of gfpose.network.dropout
        with patch.object(network, "dropout", lambda h, p, training: torch.nn.functional.dropout(h, p, training)):
            forward_backward()

    def update(optimizer=optimizer, ema=ema):
        torch.nn.utils.clip_grad_norm_(net.parameters(), config.train.grad_clip)
        optimizer.step()
        ema.update_parameters(net)

    # torch's stock update: Adam's per-parameter loop (foreach=False) and AveragedModel's per-parameter EMA
    decay = config.train.ema_decay
    loop_adam = torch.optim.Adam(net.parameters(), lr=config.train.lr, foreach=False)
    loop_ema = AveragedModel(net, avg_fn=lambda avg, current, n: avg + (current - avg) * (
        1.0 - min(decay, (1.0 + float(n)) / (10.0 + float(n)))))

    time_rows = distinct or batch_size
    shapes = [(time_rows if name.startswith("time_mlp") or name.endswith("time_proj") else batch_size,
               *module.weight.shape) for name, module in net.named_modules() if isinstance(module, torch.nn.Linear)]
    operands = [(torch.randn(rows, n_in), torch.randn(n_in, n_out), torch.randn(rows, n_out))
                for rows, n_out, n_in in shapes]

    def products():
        for x, w, g in operands:
            x @ w, g @ w.T, x.T @ g

    flops = sum(6 * rows * n_out * n_in for rows, n_out, n_in in shapes)
    forward_backward()
    update(), update(loop_adam, loop_ema)  # Adam's state exists before timing
    product_ms = median_ms(products)
    return {"distinct_times": distinct, "threads": threads,
            "forward_backward_ms": round(median_ms(forward_backward), 1),
            "forward_backward_torch_dropout_ms": round(median_ms(forward_backward_torch_dropout), 1),
            "clip_adam_ema_ms": round(median_ms(update), 1),
            "clip_adam_ema_per_parameter_ms": round(median_ms(lambda: update(loop_adam, loop_ema)), 1),
            "products_ms": round(product_ms, 1),
            "products_gflop": round(flops / 1e9, 1), "products_gflop_per_s": round(flops / product_ms / 1e6, 1)}


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
    parser.add_argument("--breakdown", action="store_true",
                        help="also time forward + backward, the update and the matrix products alone (float32)")
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
    breakdown = []
    if args.breakdown and device.type == "cpu":
        breakdown = [step_breakdown(data, distinct, threads, args.batch_size)
                     for threads in sorted({s[2] for s in settings}) for distinct in sorted({s[1] for s in settings})]
        for part in breakdown:
            print(json.dumps(part))
    if args.json:
        command = ("python benchmarks/training_speed.py " + " ".join(
            f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k not in ("json", "breakdown"))
            + (" --breakdown" if args.breakdown else "") + " --json")
        result = {"command": command, "hardware": machine, "device": str(device),
                  "batch_size": args.batch_size, "rows": rows, "breakdown": breakdown}
        atomic_write(RESULTS / "training_speed.json", lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))


if __name__ == "__main__":
    main()
