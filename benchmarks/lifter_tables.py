"""Tables 4 and 8: the score model (P) against a deterministic lifter with the same backbone (D),
and generated poses as training data for a deterministic lifter.

D is the ScoreNet backbone with the noisy-pose input held at zero and t fixed, trained by mean
squared error from the 2D condition to the root-relative 3D pose: the same network, the same
data pipeline (virtual cameras each step), no score matching.

    python benchmarks/lifter_tables.py --table 4 --steps 2000 --every 64
    python benchmarks/lifter_tables.py --table 8 --steps 2000 --every 64
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gfpose.batches import PoseBatches
from gfpose.conditions import condition_from_2d, model_to_poses
from gfpose.config import Config, TrainConfig
from gfpose.data.bandai import load_bundled
from gfpose.data.noise2d import detector_noise
from gfpose.data.poseset import PoseSet
from gfpose.evaluate import eval_inputs, evaluate
from gfpose.metrics import mpjpe, per_action_table
from gfpose.network import ScoreNet
from gfpose.prior import PosePrior

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"


class Lifter(nn.Module):
    """D(c) = ScoreNet(x = 0, t = 0 | c): a deterministic 2D -> 3D regressor in model units."""

    def __init__(self, config: Config):
        super().__init__()
        self.net = ScoreNet(config.model)

    def forward(self, cond):
        zeros = torch.zeros_like(cond.values)
        return self.net(zeros, torch.zeros(1), cond.values, cond.keep, cond.is_3d)


def train_lifter(poses: PoseSet, steps: int, noise_2d: float = 0.0, seed: int = 0) -> Lifter:
    config = Config(train=TrainConfig(batch_size=1000, mask_strategy="HPJ-000", noise_2d_sigma=noise_2d, seed=seed))
    torch.manual_seed(seed)
    lifter = Lifter(config)
    optimizer = torch.optim.Adam(lifter.parameters(), lr=1e-3)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    batches = PoseBatches(poses, config)
    lifter.train()
    for step in range(steps):
        batch = batches.batch(step)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            prediction = lifter(batch.cond)
        loss = (prediction.float() - batch.x0).pow(2).sum(dim=(1, 2)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return lifter.eval()


@torch.inference_mode()
def lifter_mpjpe(lifter: Lifter, test: PoseSet, noise_2d: float, data_scale: float) -> float:
    """Average over actions of the per-action mean MPJPE (P1, mm) of the lifter on the test inputs."""
    inputs = eval_inputs(test)
    keypoints = inputs.keypoints
    if noise_2d > 0:
        keypoints = detector_noise(keypoints, torch.Generator().manual_seed(0), sigma_px=noise_2d)
    prediction = model_to_poses(lifter(condition_from_2d(keypoints, inputs.image_size)), data_scale)
    return per_action_table({"P1": mpjpe(prediction, inputs.poses)}, inputs.actions)["P1"]["Avg"]


def camera_poses_as_world(poses_cam: np.ndarray) -> np.ndarray:
    """Camera frame (x right, y down, z forward) -> a z-up world frame, so new cameras can view them."""
    return np.stack([poses_cam[..., 0], poses_cam[..., 2], -poses_cam[..., 1]], axis=-1)


def as_poseset(poses: np.ndarray, label: str) -> PoseSet:
    n = len(poses)
    return PoseSet(poses_3d=poses, action=np.full(n, label), subject=np.full(n, label), take=np.full(n, label),
                   frame=np.arange(n), split=np.full(n, "train"))


def table_4(prior, train, test, steps) -> dict:
    rows = {}
    for name, train_noise in (("GT", 0.0), ("noisy", 5.0)):
        lifter = train_lifter(train, steps, noise_2d=train_noise)
        rows[f"D ({name})"] = {test_name: lifter_mpjpe(lifter, test, noise, prior.config.model.data_scale)
                               for test_name, noise in (("GT", 0.0), ("noisy", 5.0))}
    rows["P (GT)"] = {test_name: evaluate(prior, test, "estimate", 1, noise_2d=noise, progress=False)
                      ["table"]["P1 min S=1"]["Avg"] for test_name, noise in (("GT", 0.0), ("noisy", 5.0))}
    return rows


def table_8(prior, train, test, steps, real_small: int, generated: int) -> dict:
    rng = np.random.default_rng(0)
    small = train.subset(np.sort(rng.choice(len(train), real_small, replace=False)))
    synthetic = as_poseset(camera_poses_as_world(prior.generate(generated, seed=0)), "generated")
    both = as_poseset(np.concatenate([small.poses_3d, synthetic.poses_3d]), "mixed")
    rows = {}
    for name, data in ((f"real {real_small}", small), (f"generated {generated}", synthetic),
                       (f"real {real_small} + generated {generated}", both), (f"real {len(train)}", train)):
        rows[name] = {"GT": lifter_mpjpe(train_lifter(data, steps), test, 0.0, prior.config.model.data_scale)}
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=int, choices=[4, 8], required=True)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--every", type=int, default=64)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--real-small", type=int, default=2438)
    parser.add_argument("--generated", type=int, default=20000)
    args = parser.parse_args()
    prior = PosePrior.load(args.checkpoint) if args.checkpoint else PosePrior.pretrained()
    data = load_bundled()
    train, test = data.select_split("train"), data.select_split("test").every(args.every)
    started = time.time()
    rows = (table_4(prior, train, test, args.steps) if args.table == 4 else
            table_8(prior, train, test, args.steps, args.real_small, args.generated))
    result = {"table": args.table, "rows": rows, "inputs": len(test), "steps": args.steps,
              "seconds": round(time.time() - started, 1), "command": "python benchmarks/lifter_tables.py "
              f"--table {args.table} --steps {args.steps} --every {args.every}"}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"lifter_t{args.table}.json").write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
