"""More than one process: `torchrun --nproc_per_node=2 gfpose train` (DDP over gloo) takes the same
steps as one process on the whole batch, and rows of work split by rank gather back in order."""

import os
import subprocess
import sys

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from gfpose.checkpoint import load_train_state
from gfpose.config import Config, ModelConfig, TrainConfig
from gfpose.network import ScoreNet
from gfpose.runtime import gather_row_arrays, gather_rows, local_rows
from gfpose.train import STATE_FILE, train

CONFIG = Config(model=ModelConfig(hidden=128, blocks=1, groups=8, dropout=0.0, time_embed_dim=32),
                train=TrainConfig(steps=2, batch_size=64, lr=2e-3, warmup_steps=5, ema_decay=0.99, log_every=1))


def test_two_ddp_processes_match_one_process(tmp_path, gaussian_poses):
    data = gaussian_poses.poseset(512)
    np.savez(tmp_path / "data.npz", poses_3d=data.poses_3d, keypoints_2d=data.keypoints_2d,
             image_size=data.image_size, split=data.split)
    (tmp_path / "cfg.json").write_text(CONFIG.to_json())
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "gfpose.cli", "train", "--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "ddp"),
               "--config", str(tmp_path / "cfg.json"), "--device", "cpu", "--quiet"]
    done = subprocess.run(command, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    train(CONFIG, data, tmp_path / "single", torch.device("cpu"), progress=False)

    ddp, single = (load_train_state(tmp_path / run / STATE_FILE) for run in ("ddp", "single"))
    assert ddp["step"] == single["step"] == 2
    torch.manual_seed(CONFIG.train.seed)
    initial = ScoreNet(CONFIG.model).state_dict()
    moved = max((single["model"][k] - initial[k]).abs().max().item() for k in initial)
    difference = max((ddp["model"][k] - single["model"][k]).abs().max().item() for k in single["model"])
    print(f"DDP vs single process after 2 steps: max |difference| {difference:.2e}, max |update| {moved:.2e}")
    assert difference < 1e-5 < moved
