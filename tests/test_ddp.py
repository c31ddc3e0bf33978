"""More than one process: `torchrun --nproc_per_node=2 gfpose train` (DDP over gloo) takes the same
steps as one process on the whole batch, in float32 and in bfloat16 autocast alike, and rows of work
split by rank gather back in order. Each test pins `train.bf16`: 'auto' would follow the CPU."""

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from gfpose.checkpoint import load_train_state
from gfpose.config import Config, ModelConfig, TrainConfig
from gfpose.network import ScoreNet
from gfpose.runtime import gather_row_arrays, local_rows
from gfpose.train import STATE_FILE, train

CONFIG = Config(model=ModelConfig(hidden=128, blocks=1, groups=8, dropout=0.0, time_embed_dim=32),
                train=TrainConfig(steps=2, batch_size=64, lr=2e-3, warmup_steps=5, ema_decay=0.99, log_every=1,
                                  bf16=False))


def with_bf16(config: Config, bf16: bool) -> Config:
    return dataclasses.replace(config, train=dataclasses.replace(config.train, bf16=bf16))


def run_ddp_and_single(tmp_path, data, config: Config) -> tuple[dict, dict, list]:
    """Train `config` with two DDP processes and with one; their final states and logged losses."""
    np.savez(tmp_path / "data.npz", poses_3d=data.poses_3d, keypoints_2d=data.keypoints_2d,
             image_size=data.image_size, split=data.split)
    (tmp_path / "cfg.json").write_text(config.to_json())
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
               "-m", "gfpose.cli", "train", "--data", str(tmp_path / "data.npz"), "--out", str(tmp_path / "ddp"),
               "--config", str(tmp_path / "cfg.json"), "--device", "cpu", "--quiet"]
    done = subprocess.run(command, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    train(config, data, tmp_path / "single", torch.device("cpu"), progress=False)
    ddp, single = (load_train_state(tmp_path / run / STATE_FILE) for run in ("ddp", "single"))
    assert ddp["step"] == single["step"] == 2
    assert len((tmp_path / "ddp" / "log.jsonl").read_text().splitlines()) == 2  # one group: rank 0 alone logs
    logged = [[json.loads(line)["loss"] for line in (tmp_path / run / "log.jsonl").read_text().splitlines()]
              for run in ("ddp", "single")]
    return ddp, single, logged


def test_two_ddp_processes_match_one_process(tmp_path, gaussian_poses):
    data = gaussian_poses.poseset(512)
    ddp, single, logged = run_ddp_and_single(tmp_path, data, CONFIG)
    # The logged loss is the whole batch's, not rank 0's half of it.
    assert np.allclose(logged[0], logged[1], rtol=1e-4), logged
    torch.manual_seed(CONFIG.train.seed)
    initial = ScoreNet(CONFIG.model).state_dict()
    moved = max((single["model"][k] - initial[k]).abs().max().item() for k in initial)
    difference = max(max_difference(ddp[part], single[part]) for part in ("model", "ema"))
    print(f"DDP vs single process after 2 steps: max |difference| {difference:.2e}, max |update| {moved:.2e}")
    assert difference < 1e-5 < moved


@pytest.mark.slow
def test_ddp_in_bf16_matches_one_process_within_bf16_rounding(tmp_path, gaussian_poses):
    """bfloat16 autocast forced on (slow but exact on CPUs without native bf16): the DDP run and the
    single run differ only by where bf16 rounds the two half-batch gradients, which is no more than
    bf16 itself moves a single run away from float32 (a DDP that dropped the all-reduce would not)."""
    data = gaussian_poses.poseset(512)
    ddp, single, logged = run_ddp_and_single(tmp_path, data, with_bf16(CONFIG, True))
    assert np.allclose(logged[0], logged[1], rtol=1e-2), logged
    train(CONFIG, data, tmp_path / "fp32", torch.device("cpu"), progress=False)
    fp32 = load_train_state(tmp_path / "fp32" / STATE_FILE)
    ddp_gap = max(max_difference(ddp[part], single[part]) for part in ("model", "ema"))
    bf16_gap = max(max_difference(single[part], fp32[part]) for part in ("model", "ema"))
    print(f"bf16: DDP vs single {ddp_gap:.2e}, single bf16 vs fp32 {bf16_gap:.2e}")
    assert ddp_gap <= 1.5 * bf16_gap


def max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


ROWS = torch.arange(5 * 3, dtype=torch.float32).reshape(5, 3)


def gather_worker(rank: int, store: str, results) -> None:
    """One of two gloo ranks: gather its share of ROWS (and of one row, where rank 1 has none)."""
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=rank, world_size=2)
    mine, of_one = ROWS[local_rows(5)], ROWS[:1][local_rows(1)]
    arrays = {"error": mine.numpy(), "name": np.array([f"row{i}" for i in range(5)])[local_rows(5)]}
    results.put((rank, len(mine), len(of_one), gather_row_arrays(arrays),  # by value
                 gather_row_arrays({"error": of_one.numpy()} if len(of_one) else {})))
    dist.destroy_process_group()


def test_rows_split_by_rank_gather_back_in_order(tmp_path):
    results = mp.get_context("spawn").SimpleQueue()
    mp.spawn(gather_worker, args=(str(tmp_path / "store"), results), nprocs=2)
    outcomes = sorted(results.get() for _ in range(2))
    assert [o[1:3] for o in outcomes] == [(3, 1), (2, 0)]  # rank 0 takes the extra row
    for _, _, _, arrays, one_array in outcomes:
        np.testing.assert_array_equal(arrays["error"], ROWS.numpy())
        assert list(arrays["name"]) == [f"row{i}" for i in range(5)]
        np.testing.assert_array_equal(one_array["error"], ROWS[:1].numpy())


def test_without_a_process_group_gathering_is_the_identity():
    assert local_rows(5) == slice(0, 5)
    arrays = {"error": ROWS.numpy()}
    assert gather_row_arrays(arrays) is arrays
