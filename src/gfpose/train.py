"""Training loop (Sec. 5.2): Adam, linear warm-up, gradient clipping, EMA, checkpoints, resume, DDP.

Run folder layout:
    model.safetensors   EMA weights + config + step (what PosePrior.load reads)
    train_state.pt      raw weights, EMA, optimizer, step: what a restarted run resumes from
    log.jsonl           one line per logged step: step, loss, lr, seconds
    snapshots/          step_<N>.safetensors, EMA weights every train.snapshot_every steps
Rerunning the same command after an interruption (even SIGKILL) resumes from train_state.pt.

Training imports nothing beyond torch, numpy, safetensors, tqdm and matplotlib, so `PYTHONPATH=src
python -m gfpose.cli train` runs on a machine that has PyTorch but cannot install packages; modules
that need scipy or bvhio import them inside the functions that use them (tests/test_training_imports.py).
"""

import dataclasses
import json
import math
import time
import warnings
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel
from tqdm import tqdm

from gfpose.batches import PoseBatches
from gfpose.checkpoint import load_model, load_train_state, save_model, save_train_state
from gfpose.config import Config, TrainConfig
from gfpose.network import ScoreNet
from gfpose.parametrisation import ScoreModel
from gfpose.precision import native_bf16
from gfpose.runtime import batch_mean, close_distributed, init_distributed, local_device, rank_slice

MODEL_FILE = "model.safetensors"
STATE_FILE = "train_state.pt"
LOG_FILE = "log.jsonl"
SNAPSHOT_DIR = "snapshots"


def ema_with_warmup(decay: float):
    """EMA update of all parameters at once (AveragedModel's multi_avg_fn, one foreach lerp) whose
    decay ramps as (1 + n) / (10 + n) up to `decay`, so short runs are not dominated by their random
    initial weights (the TensorFlow ExponentialMovingAverage rule)."""
    def update(averaged, current, num_averaged):
        d = min(decay, (1.0 + float(num_averaged)) / (10.0 + float(num_averaged)))
        torch._foreach_lerp_(averaged, current, 1.0 - d)
    return update


def optimiser_and_ema(net, train: TrainConfig, device: torch.device):
    """Adam, fused into one kernel over all parameters on CPU and CUDA (on a 2-core CPU 6 ms a step
    against 36 for the per-parameter loop), and the EMA of net's weights."""
    ema = AveragedModel(net, multi_avg_fn=ema_with_warmup(train.ema_decay))
    optimizer = torch.optim.Adam(net.parameters(), lr=train.lr, fused=device.type in ("cpu", "cuda"))
    return optimizer, ema


def train(config: Config, data, out_dir, device: torch.device, progress: bool = True) -> dict:
    """Train (or resume) a score model on a PoseSet; returns {'step', 'loss', 'seconds'}."""
    rank, world_size = init_distributed(device)
    device = local_device(device)
    cfg = config.train
    if cfg.batch_size % world_size:
        raise ValueError(f"batch_size {cfg.batch_size} must be divisible by the {world_size} processes")
    out_dir = Path(out_dir)
    torch.manual_seed(cfg.seed + rank)  # dropout masks differ per rank, as in any DDP run

    net = ScoreNet(config.model).to(device)
    optimizer, ema = optimiser_and_ema(net, cfg, device)
    step = _resume(out_dir / STATE_FILE, config, net, ema, optimizer)
    if step == 0 and cfg.init_from:
        _initialise(cfg.init_from, config, net)
    model = DistributedDataParallel(net) if world_size > 1 else net
    optimise = TrainingStep(net, model, ema, optimizer, config, device)
    batches = PoseBatches(data, config, device)
    share = rank_slice(cfg.batch_size, rank, world_size)

    started, loss_value = time.time(), float("nan")
    bar = tqdm(total=cfg.steps, initial=step, disable=not progress or rank != 0, desc="train", unit="step")
    net.train()
    while step < cfg.steps:
        loss = optimise(batches.batch(step)[share], step)
        step += 1
        bar.update(1)
        logging, saving = step % cfg.log_every == 0 or step == cfg.steps, step % cfg.checkpoint_every == 0
        snapshot = cfg.snapshot_every > 0 and step % cfg.snapshot_every == 0
        if not (logging or saving or snapshot or step == cfg.steps):
            continue  # no host synchronisation on other steps
        loss_value = loss.item()
        if not math.isfinite(loss_value):
            raise FloatingPointError(f"training loss became {loss_value} at step {step}; lower lr or check data")
        if logging:
            logged = batch_mean(loss, share.stop - share.start, cfg.batch_size)  # all ranks' rows
            bar.set_postfix(loss=f"{logged:.3f}")
            if rank == 0:
                _log(out_dir, step=step, loss=logged, lr=optimizer.param_groups[0]["lr"],
                     seconds=round(time.time() - started, 1))
        if rank == 0 and (saving or step == cfg.steps):
            save_checkpoint(out_dir, config, net, ema, optimizer, step)
        if rank == 0 and snapshot:
            save_model(out_dir / SNAPSHOT_DIR / f"step_{step}.safetensors", ema.module.state_dict(), config, step)
    bar.close()
    close_distributed()
    return {"step": step, "loss": loss_value, "seconds": time.time() - started}


class TrainingStep:
    """One optimisation step (Sec. 5.2): the learning rate of the step (learning_rate), the loss of Eq. 10
    (in bfloat16 autocast where TrainConfig.bf16 asks, or where the hardware has it natively when
    it is None), gradient clipping, Adam, EMA. Returns the loss tensor without synchronising."""

    def __init__(self, net, model, ema, optimizer, config: Config, device: torch.device):
        self.net, self.ema, self.optimizer, self.train = net, ema, optimizer, config.train
        self.score_model = ScoreModel.for_config(model, config.model)
        self.device = device
        self.bf16 = native_bf16(device) if config.train.bf16 is None else config.train.bf16

    def __call__(self, batch, step: int) -> torch.Tensor:
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(self.train, step)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            loss = self.score_model.loss(batch.x0, batch.cond, batch.t, batch.z, batch.t_index)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.train.grad_clip)
        self.optimizer.step()
        self.ema.update_parameters(self.net)
        return loss.detach()


def learning_rate(train: TrainConfig, step: int) -> float:
    """The lr of step `step` (0-based): linear warm-up over warmup_steps, constant, then a linear
    decay to 0 over the last decay_steps of train.steps."""
    warmup = min(1.0, (step + 1) / max(train.warmup_steps, 1))
    decay = 1.0 if train.decay_steps <= 0 else min(1.0, (train.steps - step) / train.decay_steps)
    return train.lr * min(warmup, max(decay, 0.0))


def save_checkpoint(out_dir: Path, config: Config, net, ema, optimizer, step: int) -> None:
    """Training state first, then the EMA model file; both atomic."""
    save_train_state(out_dir / STATE_FILE, {
        "config": config.to_json(), "step": step, "model": net.state_dict(),
        "ema": ema.state_dict(), "optimizer": optimizer.state_dict()})
    save_model(out_dir / MODEL_FILE, ema.module.state_dict(), config, step)


def _resume(path: Path, config: Config, net, ema, optimizer) -> int:
    if not path.exists():
        return 0
    state = load_train_state(path)
    saved = Config.from_saved(json.loads(state["config"]))
    differing = _differences(saved.model, config.model)
    if differing:
        described = _describe(saved.model, config.model, differing)
        raise ValueError(f"{path} was trained with other model settings: {described}; "
                         "use a new --out folder or the same settings")
    changed_recipe = _differences(saved.train, config.train) - SETTINGS_FREE_AT_RESUME
    if changed_recipe:
        warnings.warn(f"resuming {path} with other training settings: "
                      f"{_describe(saved.train, config.train, changed_recipe, 'train')}", stacklevel=2)
    net.load_state_dict(state["model"])
    ema.load_state_dict(state["ema"])
    optimizer.load_state_dict(state["optimizer"])
    return int(state["step"])


#: Training settings a resumed run may change without a warning (the others change its recipe,
#: e.g. a default that moved since the run began: the warning names them).
SETTINGS_FREE_AT_RESUME = {"steps", "decay_steps", "checkpoint_every", "snapshot_every", "log_every", "init_from"}

#: Model settings an init_from run may change: none alters the network's parameters.
SETTINGS_FREE_AT_INIT = {"preconditioning", "sigma_data", "dropout", "joints"}


def _initialise(path, config: Config, net) -> None:
    """Start from the weights of a model file (the EMA weights of an earlier run). The network
    must be the same; its parametrisation may differ (the output's meaning is then relearned) and
    so may its dropout rate."""
    state, saved, _ = load_model(path)
    differing = _differences(saved.model, config.model) - SETTINGS_FREE_AT_INIT
    if differing:
        described = _describe(saved.model, config.model, differing)
        raise ValueError(f"init_from {path} has other model settings: {described}")
    net.load_state_dict(state)


def _differences(saved, wanted) -> set[str]:
    return {f.name for f in dataclasses.fields(saved) if getattr(saved, f.name) != getattr(wanted, f.name)}


def _describe(saved, wanted, names, section: str = "model") -> str:
    return ", ".join(f"{n} {getattr(saved, n)!r} there, {getattr(wanted, n)!r} here "
                     f"(--set {section}.{n}={json.dumps(getattr(saved, n))} to match)" for n in sorted(names))


def _log(out_dir: Path, **record) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / LOG_FILE, "a") as handle:
        handle.write(json.dumps(record) + "\n")
