"""Tables 4 and 8: the score model (P) against a deterministic lifter with the same backbone (D),
and generated poses as training data for a deterministic lifter.

D is the ScoreNet backbone with the noisy-pose input held at zero and t fixed, trained by mean
squared error from the 2D condition to the root-relative 3D pose: the same network, the same
data pipeline (virtual cameras each step), no score matching; bfloat16 autocast where the CPU has it
natively (gfpose.precision), else float32.

P(GT) and P(DT) are score models trained on clean and on detector-like 2D (`train.noise_2d_sigma`);
every model is tested on the same four kinds of 2D: clean (GT), detector-like (DT: 5 px jitter and
2% outliers), and each with extra N(0, 25 px^2) noise. P draws one hypothesis (S = 1), as in the paper,
and P(GT) also the mean of MEAN_OF hypotheses (the posterior mean's error, what D regresses).

D depends only on the bundled data, its steps and seed, not on P: `--lifters-from` reuses the D rows
of an earlier result with the same inputs and steps, so the twin stands beside every new P.

    python benchmarks/lifter_tables.py --table 4 --steps 3000 --every 64 --p-gt MODEL --p-dt MODEL
    python benchmarks/lifter_tables.py --table 4 --steps 2500 --every 64 --lifters-from docs/results/lifter_t4.json
    python benchmarks/lifter_tables.py --table 8 --steps 1500 --every 64
"""

import argparse
import json
import sys
import time
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs
import numpy as np
import torch
from torch import nn

from gfpose.atomic import atomic_write
from gfpose.batches import PoseBatches
from gfpose.conditions import condition_from_2d, model_to_poses
from gfpose.config import Config, TrainConfig
from gfpose.data.bandai import load_bundled
from gfpose.data.noise2d import detector_noise
from gfpose.data.poseset import PoseSet
from gfpose.evaluate import eval_inputs
from gfpose.geometry import root_center
from gfpose.metrics import mpjpe, per_action_table
from gfpose.network import ScoreNet
from gfpose.precision import native_bf16
from gfpose.prior import PosePrior
from gfpose.tasks import estimate_request

RESULTS = Path(__file__).resolve().parent.parent / "docs" / "results"
MEAN_OF = 50


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
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=native_bf16(torch.device("cpu"))):
            prediction = lifter(batch.cond)
        loss = (prediction.float() - batch.x0).pow(2).sum(dim=(1, 2)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return lifter.eval()


def test_keypoints(inputs) -> dict[str, torch.Tensor]:
    """The four 2D test distributions of Table 4, each drawn once with a fixed seed."""
    def gen(seed):
        return torch.Generator().manual_seed(seed)
    clean = inputs.keypoints
    detected = detector_noise(clean, gen(0), sigma_px=5.0)
    return {"GT": clean, "DT": detected,
            "GT + N(0, 25)": detector_noise(clean, gen(1), sigma_px=5.0, outlier_prob=0.0),
            "DT + N(0, 25)": detector_noise(detected, gen(1), sigma_px=5.0, outlier_prob=0.0)}


def action_mpjpe(prediction_mm: torch.Tensor, inputs) -> float:
    """Average over actions of the per-action mean MPJPE (P1, mm), as the paper's tables."""
    return per_action_table({"P1": mpjpe(prediction_mm, inputs.poses)}, inputs.actions)["P1"]["Avg"]


@torch.inference_mode()
def lifter_mpjpe(lifter: Lifter, inputs, keypoints, data_scale: float) -> float:
    prediction = model_to_poses(lifter(condition_from_2d(keypoints, inputs.image_size)), data_scale)
    return action_mpjpe(root_center(prediction), inputs)


def prior_mpjpe(prior: PosePrior, inputs, keypoints, mean_of: int = 1) -> float:
    """One hypothesis per input (S = 1), or the mean pose of `mean_of` hypotheses."""
    request = estimate_request(keypoints, inputs.image_size, hypotheses=mean_of)
    return action_mpjpe(prior.sampler_for("estimate").run(request).mean(dim=1), inputs)


def camera_poses_as_world(poses_cam: np.ndarray) -> np.ndarray:
    """Camera frame (x right, y down, z forward) -> a z-up world frame, so new cameras can view them."""
    return np.stack([poses_cam[..., 0], poses_cam[..., 2], -poses_cam[..., 1]], axis=-1)


def as_poseset(poses: np.ndarray, label: str) -> PoseSet:
    n = len(poses)
    return PoseSet(poses_3d=poses, action=np.full(n, label), subject=np.full(n, label), take=np.full(n, label),
                   frame=np.arange(n), split=np.full(n, "train"))


def table_4(priors: dict, train, test, steps, lifter_rows: dict | None = None) -> dict:
    inputs = eval_inputs(test)
    keypoints = test_keypoints(inputs)
    data_scale = next(iter(priors.values())).config.model.data_scale
    rows = {}
    for name, prior in priors.items():
        rows[f"P ({name})"] = {column: prior_mpjpe(prior, inputs, kp) for column, kp in keypoints.items()}
    rows[f"P (GT), mean of {MEAN_OF}"] = {column: prior_mpjpe(priors["GT"], inputs, kp, MEAN_OF)
                                          for column, kp in keypoints.items()}
    if lifter_rows:
        return rows | lifter_rows
    for name, train_noise in (("GT", 0.0), ("DT", 5.0)):
        lifter = train_lifter(train, steps, noise_2d=train_noise)
        rows[f"D ({name})"] = {column: lifter_mpjpe(lifter, inputs, kp, data_scale) for column, kp in keypoints.items()}
    return rows


def table_8(prior, train, test, steps, real_small: int, generated: int) -> dict:
    """Lifters trained on a small real set, generated poses, both, and the whole real set."""
    inputs = eval_inputs(test)
    small = train.subset(np.linspace(0, len(train) - 1, real_small).astype(int))  # every ~118th pose
    synthetic = as_poseset(camera_poses_as_world(prior.generate(generated, seed=0)), "generated")
    few = as_poseset(synthetic.poses_3d[:len(small)], "generated")
    runs = [(f"real {len(small)}", small, None), (f"real {len(small)} + generated {len(few)}", small, few),
            (f"real {len(small)} + generated {generated}", small, synthetic),
            (f"generated {generated}", None, synthetic),
            (f"real {len(train)}", train, None), (f"real {len(train)} + generated {generated}", train, synthetic)]
    rows = {}
    for label, real, fake in runs:
        parts = [p.poses_3d for p in (real, fake) if p is not None]
        data = real if fake is None else as_poseset(np.concatenate(parts), "mixed")
        lifter = train_lifter(data, steps)
        rows[label] = {"GT": lifter_mpjpe(lifter, inputs, inputs.keypoints, prior.config.model.data_scale)}
        print(label, rows[label], flush=True)
    return rows


def reused_lifters(path: Path, every: int, steps: int, inputs: int) -> dict:
    """The D rows and command of an earlier Table 4 result, refused unless it tested the same inputs
    with lifters of the same length."""
    earlier = json.loads(path.read_text())
    found = {"table": earlier.get("table"), "every": earlier.get("every"), "steps": earlier.get("steps"),
             "inputs": earlier.get("inputs")}
    if found != {"table": 4, "every": every, "steps": steps, "inputs": inputs}:
        raise SystemExit(f"{path}: its lifters were tested on {found}, not table 4, every {every}, steps {steps}, "
                         f"{inputs} inputs; rerun without --lifters-from to train them")
    return {"rows": {name: row for name, row in earlier["rows"].items() if name.startswith("D (")},
            "command": earlier.get("lifters_from", earlier["command"])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=int, choices=[4, 8], required=True)
    parser.add_argument("--steps", type=int, default=2000, help="training steps of each deterministic lifter")
    parser.add_argument("--every", type=int, default=64)
    parser.add_argument("--p-gt", default=None, help="score model trained on clean 2D (default: the shipped model)")
    parser.add_argument("--p-dt", default=None, help="score model trained on detector-like 2D (Table 4)")
    parser.add_argument("--lifters-from", type=Path, default=None,
                        help="an earlier Table 4 JSON whose D rows (same --every and --steps) are reused")
    parser.add_argument("--real-small", type=int, default=2438)
    parser.add_argument("--generated", type=int, default=177200)
    args = parser.parse_args()
    prior = PosePrior.load(args.p_gt) if args.p_gt else PosePrior.pretrained()
    data = load_bundled()
    train, test = data.select_split("train"), data.select_split("test").every(args.every)
    started = time.time()
    reused = reused_lifters(args.lifters_from, args.every, args.steps, len(test)) if args.lifters_from else None
    if args.table == 4:
        priors = {"GT": prior} | ({"DT": PosePrior.load(args.p_dt)} if args.p_dt else {})
        rows = table_4(priors, train, test, args.steps, reused and reused["rows"])
    else:
        rows = table_8(prior, train, test, args.steps, args.real_small, args.generated)
    command = " ".join(["python benchmarks/lifter_tables.py"] + sys.argv[1:])
    result = {"table": args.table, "rows": rows, "inputs": len(test), "every": args.every, "steps": args.steps,
              "sampler": vars(prior.sampler.settings), "hardware": hardware.describe(),
              "seconds": round(time.time() - started, 1), "command": command}
    if reused:
        result["lifters_from"] = reused["command"]
    text = json.dumps(result, indent=1)
    atomic_write(RESULTS / f"lifter_t{args.table}.json", lambda tmp: Path(tmp).write_text(text))
    print(text)


if __name__ == "__main__":
    main()
