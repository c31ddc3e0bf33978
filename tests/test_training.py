"""The whole loop against closed forms: train on a Gaussian pose distribution, then sample.

GaussianPoses (conftest) has a known mean and covariance, so the unconditional model must
generate that mean and covariance, and the 2D-conditioned model must draw depth from the
Gaussian conditional distribution given the 2D keypoints (which are x, y / 2 + 500 px).
"""

import json
import warnings

import numpy as np
import pytest
import torch
from conftest import small_config

from gfpose import PosePrior
from gfpose.checkpoint import load_model, load_train_state
from gfpose.config import NAMED_CONFIGS, Config, TrainConfig
from gfpose.train import STATE_FILE, learning_rate, optimiser_and_ema, train

SETTINGS = dict(name="em", steps=200, schedule="uniform", precision="fp32")


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
@pytest.mark.parametrize("settings, model", [(SETTINGS, "unconditional_model"), ({}, "unconditional_model"),
                                             ({}, "edm_unconditional_model")],
                         ids=["alg1-em", "default-fast", "edm-default-fast"])
def test_generated_poses_match_the_training_gaussian(request, gaussian_poses, settings, model):
    prior = PosePrior.load(request.getfixturevalue(model), device="cpu", **settings)
    poses = prior.generate(4000, seed=0).reshape(4000, -1)[:, 3:].astype(np.float64)
    mean = gaussian_poses.mean.reshape(-1)[3:]
    cov = gaussian_poses.covariance[3:, 3:]
    # Tolerances: per-coordinate std is 40-110 mm; the mean is within 10 mm, the stds within 15 %.
    assert np.abs(poses.mean(0) - mean).max() < 10.0
    ratio = poses.std(0) / np.sqrt(np.diag(cov))
    assert 0.85 < ratio.min() and ratio.max() < 1.15, ratio
    # The shared mode (a correlated direction) carries its variance within 30 %.
    v = gaussian_poses.mode.reshape(-1)[3:]
    assert 0.7 < (v @ np.cov(poses.T) @ v) / (v @ cov @ v) < 1.3


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
def test_conditional_samples_match_the_gaussian_conditional(conditional_model, gaussian_poses):
    prior = PosePrior.load(conditional_model, device="cpu", **SETTINGS)
    truth = gaussian_poses.sample(3, seed=7)
    keypoints = truth[..., :2] * 0.5 + 500.0
    hyps = prior.estimate(keypoints, image_size=(1000, 1000), num_hypotheses=1500, seed=0)
    known = np.zeros((17, 3), dtype=bool)
    known[:, :2] = True
    for pose, samples in zip(truth, hyps):
        mean_z, cov_z = gaussian_poses.conditional(pose, known)
        z = samples[:, 1:, 2].astype(np.float64)  # pelvis depth is fixed at 0
        assert np.abs(z.mean(0) - mean_z).max() < 15.0
        # x, y follow the 2D condition: two independent draws of the prior differ by ~70 mm on
        # average; the small, briefly trained model must lock them to within 30 mm.
        assert np.abs(samples[:, 1:, :2] - pose[1:, :2]).mean() < 30.0
        ratio = z.std(0) / np.sqrt(np.diag(cov_z))
        assert 0.75 < ratio.mean() < 1.25, ratio


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
def test_checkpoint_round_trip_gives_identical_samples(unconditional_model, tmp_path):
    from gfpose.checkpoint import save_model
    state, config, step = load_model(unconditional_model)
    copy = tmp_path / "copy.safetensors"
    save_model(copy, state, config, step)
    a = PosePrior.load(unconditional_model, device="cpu", **SETTINGS).generate(8, seed=3)
    b = PosePrior.load(copy, device="cpu", **SETTINGS).generate(8, seed=3)
    np.testing.assert_array_equal(a, b)
    assert config == load_model(copy)[1] and step == 1500


def test_training_resumes_and_continues_the_step_count(tmp_path, gaussian_poses):
    data = gaussian_poses.poseset(2000)
    config = small_config("HPJ-T00", steps=30).with_overrides(["train.checkpoint_every=10", "train.batch_size=64"])
    train(config, data, tmp_path, torch.device("cpu"), progress=False)
    assert load_train_state(tmp_path / STATE_FILE)["step"] == 30
    longer = config.with_overrides(["train.steps=45"])
    summary = train(longer, data, tmp_path, torch.device("cpu"), progress=False)
    assert summary["step"] == 45
    assert load_model(tmp_path / "model.safetensors")[2] == 45
    logged = [json.loads(line)["step"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert logged == [30, 45]  # the final step of each run: the second run did not start over


def test_resume_warns_by_name_when_the_recipe_changed(tmp_path, gaussian_poses):
    """More steps is a plain continuation; another batch size (say a default that moved) is named."""
    data = gaussian_poses.poseset(500)
    config = small_config("HPJ-T00", steps=2).with_overrides(["train.batch_size=32"])
    train(config, data, tmp_path, torch.device("cpu"), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(config.with_overrides(["train.steps=3"]), data, tmp_path, torch.device("cpu"), progress=False)
    with pytest.warns(UserWarning, match=r"batch_size 32 there, 16 here \(--set train.batch_size=32 to match\)"):
        train(config.with_overrides(["train.steps=4", "train.batch_size=16"]), data, tmp_path, torch.device("cpu"),
              progress=False)


def test_learning_rate_warms_up_holds_and_decays_to_zero():
    schedule = TrainConfig(lr=1e-3, warmup_steps=4, steps=20, decay_steps=5)
    # Warm-up (step + 1) / 4, constant until step 15, then (20 - step) / 5 of the lr.
    expected = {0: 0.25e-3, 3: 1e-3, 10: 1e-3, 15: 1e-3, 16: 0.8e-3, 19: 0.2e-3, 20: 0.0}
    assert {s: learning_rate(schedule, s) for s in expected} == pytest.approx(expected)
    assert learning_rate(TrainConfig(lr=1e-3, warmup_steps=4, steps=20), 19) == 1e-3


@pytest.mark.parametrize("name", NAMED_CONFIGS)
def test_shipped_configs_reach_their_lr_and_end_as_documented(name):
    train = Config.from_json_file(name).train
    assert train.warmup_steps + train.decay_steps <= train.steps
    assert learning_rate(train, train.warmup_steps - 1) == pytest.approx(train.lr)
    # The last step runs at 1 / decay_steps of the lr when the run decays, at the full lr otherwise.
    last = train.lr / train.decay_steps if train.decay_steps else train.lr
    assert learning_rate(train, train.steps - 1) == pytest.approx(last)


def test_a_constant_run_is_cooled_down_by_resuming_it_with_decay_steps(tmp_path, gaussian_poses):
    data = gaussian_poses.poseset(500)
    config = small_config("HPJ-T00", steps=6).with_overrides(["train.batch_size=32", "train.log_every=1",
                                                               "train.warmup_steps=1", "train.lr=1e-3"])
    train(config, data, tmp_path, torch.device("cpu"), progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train(config.with_overrides(["train.steps=10", "train.decay_steps=4"]), data, tmp_path,
              torch.device("cpu"), progress=False)
    lrs = [json.loads(line)["lr"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    # A line per step, with the lr that step used: 0-based steps 6..9 decay as (10 - step) / 4.
    assert lrs[:6] == pytest.approx([1e-3] * 6)
    assert lrs[6:] == pytest.approx([1e-3, 0.75e-3, 0.5e-3, 0.25e-3])


def test_resume_matches_an_uninterrupted_run(tmp_path, gaussian_poses):
    data = gaussian_poses.poseset(2000)
    config = small_config("HPJ-T00", steps=20).with_overrides(["train.checkpoint_every=10", "train.batch_size=64"])
    straight, split = tmp_path / "straight", tmp_path / "split"
    train(config, data, straight, torch.device("cpu"), progress=False)
    train(config.with_overrides(["train.steps=10"]), data, split, torch.device("cpu"), progress=False)
    train(config, data, split, torch.device("cpu"), progress=False)
    a, b = load_model(straight / "model.safetensors")[0], load_model(split / "model.safetensors")[0]
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=1e-4, atol=1e-5)


def test_other_model_settings_are_refused_by_name_on_resume_and_init(tmp_path, gaussian_poses):
    data = gaussian_poses.poseset(500)
    config = small_config("HPJ-T00", steps=2).with_overrides(["train.batch_size=32"])
    train(config, data, tmp_path / "a", torch.device("cpu"), progress=False)
    wider = config.with_overrides(["model.hidden=128", "train.steps=3"])
    with pytest.raises(ValueError, match=r"hidden 256 there, 128 here \(--set model.hidden=256"):
        train(wider, data, tmp_path / "a", torch.device("cpu"), progress=False)
    init = [f"train.init_from={tmp_path / 'a' / 'model.safetensors'}"]
    with pytest.raises(ValueError, match="init_from .* hidden 256 there, 128 here"):
        train(wider.with_overrides(init), data, tmp_path / "b", torch.device("cpu"), progress=False)


def test_init_from_carries_the_network_into_another_parametrisation(tmp_path, gaussian_poses):
    """The weights of a noise-predicting model start an EDM run with another dropout rate (step 0 =
    the loaded weights)."""
    data = gaussian_poses.poseset(500)
    config = small_config("HPJ-T00", steps=2).with_overrides(["train.batch_size=32"])
    train(config, data, tmp_path / "noise", torch.device("cpu"), progress=False)
    source = load_model(tmp_path / "noise" / "model.safetensors")[0]
    edm = config.with_overrides(["model.preconditioning=edm", "model.dropout=0.1", "train.steps=1", "train.lr=0",
                                 f"train.init_from={tmp_path / 'noise' / 'model.safetensors'}"])
    train(edm, data, tmp_path / "edm", torch.device("cpu"), progress=False)
    state, saved, _ = load_model(tmp_path / "edm" / "model.safetensors")
    assert saved.model.preconditioning == "edm" and saved.model.dropout == 0.1
    for name in source:
        torch.testing.assert_close(state[name], source[name])


def test_ema_follows_the_warm_up_rule_and_fused_adam_the_adam_update():
    """The EMA copies the weights at its first update, then moves by 1 - min(decay, (1 + n) / (10 + n))
    of the way to them; fused Adam's first step moves every weight by lr against its gradient's sign
    (m / sqrt(v) = g / |g| after one bias-corrected step)."""
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 3)
    train = TrainConfig(lr=1e-2, ema_decay=0.999)
    optimizer, ema = optimiser_and_ema(net, train, torch.device("cpu"))
    before = [p.detach().clone() for p in net.parameters()]
    ema.update_parameters(net)  # n = 0: a copy
    grads = [torch.randn_like(p) for p in net.parameters()]
    for p, g in zip(net.parameters(), grads):
        p.grad = g
    optimizer.step()
    for p, b, g in zip(net.parameters(), before, grads):
        assert torch.allclose(p.detach(), b - train.lr * torch.sign(g), atol=1e-6)
    ema.update_parameters(net)  # n = 1: moves 1 - 2 / 11 of the way
    for averaged, b, p in zip(ema.module.parameters(), before, net.parameters()):
        assert torch.allclose(averaged.detach(), b + (p.detach() - b) * (1 - 2 / 11), atol=1e-6)


@pytest.mark.parametrize("native", [False, True])
def test_training_precision_follows_the_config_then_the_hardware(monkeypatch, native):
    """train.bf16 = true/false is obeyed whatever the CPU; null follows native bf16 support."""
    from gfpose.network import ScoreNet
    from gfpose.train import TrainingStep
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: native)
    config = small_config("HPJ-T00", steps=2)
    net = ScoreNet(config.model)
    optimizer, ema = optimiser_and_ema(net, config.train, torch.device("cpu"))
    for bf16, expected in ((False, False), (True, True), (None, native)):
        pinned = config.with_overrides([f"train.bf16={json.dumps(bf16)}"])
        assert TrainingStep(net, net, ema, optimizer, pinned, torch.device("cpu")).bf16 is expected


def test_bf16_training_learns_the_gaussian_as_float32_does(tmp_path, gaussian_poses):
    """The bf16 autocast path, forced on (slow but exact where the CPU lacks native bf16): the
    same 150 steps lower the loss as far as float32 does, within bf16's rounding of the loss,
    while the weights differ (autocast was really on)."""
    data = gaussian_poses.poseset(2000)
    runs = {}
    for bf16 in (False, True):
        config = small_config("HPJ-T00", steps=150, bf16=bf16).with_overrides(
            ["train.batch_size=128", "train.log_every=10", "model.hidden=64"])
        run = tmp_path / str(bf16)
        train(config, data, run, torch.device("cpu"), progress=False)
        losses = [json.loads(line)["loss"] for line in (run / "log.jsonl").read_text().splitlines()]
        runs[bf16] = (np.mean(losses[:2]), np.mean(losses[-3:]), load_model(run / "model.safetensors")[0])
    (first32, last32, w32), (first16, last16, w16) = runs[False], runs[True]
    assert last32 < 0.5 * first32 and last16 < 0.5 * first16
    assert abs(last16 - last32) < 0.1 * last32
    assert max((w32[k] - w16[k]).abs().max().item() for k in w32) > 1e-4
