"""Peak memory of streamed evaluation as the number of inputs grows (issue: bounded memory).

Each size runs `gfpose.evaluate.evaluate` (estimate, S hypotheses per input, a tiny untrained
model, a few Euler-Maruyama steps) in a fresh process and reads that process's peak resident set
size (VmHWM, which counts numpy and torch's CPU allocator alike) before and after. The rise must
stay flat while the hypotheses for all inputs, held at once, would grow with the input count.

    OMP_NUM_THREADS=1 python benchmarks/memory.py [--sizes 50 500 5000] [--hypotheses 200]
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from gfpose.checkpoint import save_model
from gfpose.config import Config, ModelConfig
from gfpose.data.poseset import PoseSet
from gfpose.evaluate import EvalTask, evaluate
from gfpose.network import ScoreNet
from gfpose.prior import PosePrior
from gfpose.tasks import SamplerSettings

MODEL = ModelConfig(hidden=256, blocks=2, groups=8, dropout=0.0, time_embed_dim=64)
SETTINGS = SamplerSettings(name="em", steps=2)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far (Linux VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def reset_peak_rss() -> None:
    """Start VmHWM again from the current resident size (Linux: 5 > /proc/self/clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def test_poses(count: int) -> PoseSet:
    """Camera-frame random poses (mm) with their 2D keypoints in a 1000 x 1000 image."""
    rng = np.random.default_rng(0)
    poses = rng.normal(0, 300, (count, 17, 3)).astype(np.float32)
    poses[:, 0] = 0
    labels = {name: np.full(count, name) for name in ("action", "subject", "take")}
    return PoseSet(poses_3d=poses, frame=np.arange(count), split=np.full(count, "test"), **labels,
                   keypoints_2d=poses[..., :2] * 0.5 + 500, image_size=np.full((count, 2), 1000.0), frame_kind="camera")


def tiny_prior(folder: Path) -> PosePrior:
    """An untrained small model saved and loaded like any other: memory, not accuracy, is measured."""
    torch.manual_seed(0)
    save_model(folder / "tiny.safetensors", ScoreNet(MODEL).state_dict(), Config(model=MODEL), 0)
    return PosePrior.load(folder / "tiny.safetensors", device="cpu", **SETTINGS.__dict__)


def measure(count: int, hypotheses: int) -> dict:
    """Run one evaluation in this process; peak RSS before and during it."""
    with tempfile.TemporaryDirectory() as folder:
        prior, data = tiny_prior(Path(folder)), test_poses(count)
    spec = EvalTask("estimate", hypotheses)
    evaluate(prior.sampler_for("estimate"), test_poses(4), spec, progress=False)  # warm up allocators and kernels
    before = peak_rss_mb()
    reset_peak_rss()
    started = time.time()
    evaluate(prior.sampler_for("estimate"), data, spec, progress=False)
    return {"inputs": count, "baseline_mb": round(before, 1), "peak_mb": round(peak_rss_mb(), 1),
            "all_at_once_mb": round(count * hypotheses * 17 * 3 * 4 / 2**20, 1),
            "seconds": round(time.time() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 500, 5000])
    parser.add_argument("--hypotheses", type=int, default=200)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.hypotheses)))
        return
    print(f"peak RSS of evaluate(estimate, S={args.hypotheses}, {SETTINGS.name} x {SETTINGS.steps} steps, "
          f"max_batch={SETTINGS.max_batch}), one fresh process per size")
    print(f"{'inputs':>8} {'before MB':>10} {'peak MB':>9} {'rise MB':>8} {'all hyps at once MB':>20} {'seconds':>8}")
    for count in args.sizes:
        child = subprocess.run([sys.executable, __file__, "--child", str(count), "--hypotheses", str(args.hypotheses)],
                               capture_output=True, text=True, check=True)
        row = json.loads(child.stdout.splitlines()[-1])
        print(f"{row['inputs']:>8} {row['baseline_mb']:>10} {row['peak_mb']:>9} "
              f"{row['peak_mb'] - row['baseline_mb']:>8.1f} {row['all_at_once_mb']:>20} {row['seconds']:>8}")


if __name__ == "__main__":
    main()
