"""SIGKILL a `gfpose train` run after a checkpoint and rerun the same command: it resumes from the
last checkpoint's step (not 0), reaches the final step, and the loss keeps falling. A writer
killed halfway through a checkpoint leaves the previous file whole."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from gfpose.checkpoint import load_model, load_train_state, save_train_state
from gfpose.config import Config, ModelConfig, TrainConfig

STEPS, CHECKPOINT_EVERY, LOG_EVERY = 600, 50, 10
CONFIG = Config(model=ModelConfig(hidden=128, blocks=1, groups=8, dropout=0.0, time_embed_dim=32),
                train=TrainConfig(steps=STEPS, batch_size=128, lr=2e-3, warmup_steps=20, ema_decay=0.99,
                                  checkpoint_every=CHECKPOINT_EVERY, log_every=LOG_EVERY, bf16=False))


def train_command(tmp_path, gaussian_poses):
    data = gaussian_poses.poseset(2000)
    np.savez(tmp_path / "data.npz", poses_3d=data.poses_3d, keypoints_2d=data.keypoints_2d,
             image_size=data.image_size, split=data.split)
    (tmp_path / "cfg.json").write_text(CONFIG.to_json())
    return [sys.executable, "-m", "gfpose.cli", "train", "--data", str(tmp_path / "data.npz"),
            "--out", str(tmp_path / "run"), "--config", str(tmp_path / "cfg.json"), "--device", "cpu", "--quiet"]


def logged(run):
    path = run / "log.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def kill_after_a_checkpoint(command, run, env) -> int:
    """Start training, SIGKILL it once it has logged a step past its first checkpoint; the last logged step."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and process.poll() is None:
        records = logged(run)
        if records and records[-1]["step"] > CHECKPOINT_EVERY and records[-1]["step"] % CHECKPOINT_EVERY:
            process.send_signal(signal.SIGKILL)
            process.wait()
            assert process.returncode == -signal.SIGKILL
            return records[-1]["step"]
        time.sleep(0.02)
    process.kill()
    raise AssertionError(f"training never got past step {CHECKPOINT_EVERY} ({process.communicate()[1][-2000:]})")


@pytest.mark.slow
def test_sigkilled_run_resumes_from_its_last_checkpoint(tmp_path, gaussian_poses):
    command, run = train_command(tmp_path, gaussian_poses), tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    killed_at = kill_after_a_checkpoint(command, run, env)
    saved = load_train_state(run / "train_state.pt")["step"]
    assert 0 < saved < STEPS and saved % CHECKPOINT_EVERY == 0 and load_model(run / "model.safetensors")[2] == saved
    assert killed_at < STEPS, "the run finished before it could be killed"

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]
    assert json.loads(finished.stdout.splitlines()[-1])["step"] == STEPS
    assert load_train_state(run / "train_state.pt")["step"] == load_model(run / "model.safetensors")[2] == STEPS

    steps = [r["step"] for r in logged(run)]
    restart = next(i for i in range(1, len(steps)) if steps[i] <= steps[i - 1])
    assert steps[restart - 1] >= killed_at  # the first run got this far ...
    assert steps[restart:] == list(range(saved + LOG_EVERY, STEPS + 1, LOG_EVERY))  # ... the rerun resumed at `saved`
    losses = [r["loss"] for r in logged(run)]
    first, resumed, last = np.mean(losses[:5]), np.mean(losses[restart:restart + 5]), np.mean(losses[-5:])
    assert resumed < 0.8 * first and last < resumed, (first, resumed, last)
    assert not list(run.glob(".*.tmp*"))


HALF_WRITE = """
import os, signal
from gfpose.atomic import atomic_write

def half(tmp):
    open(tmp, "wb").write(b"PK half a checkpoint")
    os.kill(os.getpid(), signal.SIGKILL)

atomic_write({path!r}, half)
"""


def test_sigkill_in_the_middle_of_a_write_keeps_the_last_good_file(tmp_path):
    path = tmp_path / "train_state.pt"
    save_train_state(path, {"step": 1})
    killed = subprocess.run([sys.executable, "-c", HALF_WRITE.format(path=str(path))],
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert killed.returncode == -signal.SIGKILL
    assert torch.load(path)["step"] == 1 and len(list(tmp_path.glob(".train_state.pt.*.tmp.pt"))) == 1
    save_train_state(path, {"step": 2})  # the next write clears what the killed one left
    assert [p.name for p in tmp_path.iterdir()] == ["train_state.pt"] and torch.load(path)["step"] == 2
