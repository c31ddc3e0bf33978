"""The task layer: evaluate and the API draw the same poses; precision and compile paths; the loss;
and a smoke check that the shipped model is the trained one."""

import math

import numpy as np
import pytest
import torch

from gfpose import PosePrior, metrics
from gfpose.conditions import Condition
from gfpose.data.bandai import load_bundled
from gfpose.errors import InputError
from gfpose.evaluate import EvalTask, eval_inputs, evaluate
from gfpose.parametrisation import NoisePrediction
from gfpose.perturbations import MissingJoints, PoseNoise
from gfpose.precision import CompiledWithFallback, prepare_network, resolve_precision
from gfpose.routing import RoutedSampler
from gfpose.sde import SubVPSDE
from gfpose.tasks import Sampler

FAST = dict(name="sde-dpm3m", steps=8, schedule="quadratic", precision="fp32")


@pytest.fixture(scope="module")
def prior(conditional_model):
    return PosePrior.load(conditional_model, device="cpu", **FAST)


@pytest.fixture(scope="module")
def poseset(gaussian_poses):
    return gaussian_poses.poseset(24)


def best_p1(hyps, gt) -> float:
    return metrics.hypothesis_errors(torch.as_tensor(hyps), gt, protocol=1).min(dim=1).values.mean().item()


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
def test_evaluate_complete_2d_equals_the_api(prior, poseset):
    spec = EvalTask("complete-2d", hypotheses=3, missing=MissingJoints(parts=("r_leg",)), seed=4)
    result = evaluate(prior.sampler, poseset, spec, progress=False)
    inputs = eval_inputs(poseset)
    keypoints = inputs.keypoints.numpy().copy()
    keypoints[:, [1, 2, 3]] = np.nan  # the right leg
    hyps = prior.complete(keypoints, inputs.image_size.numpy(), num_hypotheses=3, seed=4)
    assert result["table"]["P1 min S=3"]["Avg"] == pytest.approx(best_p1(hyps, inputs.poses), abs=1e-3)


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
@pytest.mark.parametrize("mode", ["conditional", "imputation", "both"])
def test_evaluate_complete_3d_equals_the_api(prior, poseset, mode):
    spec = EvalTask("complete-3d", hypotheses=2, missing=MissingJoints(count=3), mode=mode, seed=2)
    result = evaluate(prior.sampler, poseset, spec, progress=False)
    inputs = eval_inputs(poseset)
    partial = spec.missing.hide(inputs.poses, seed=2).numpy()
    assert np.isnan(partial).any(axis=-1).sum(axis=1).tolist() == [3] * len(partial)
    hyps = prior.complete(partial, num_hypotheses=2, mode=mode, seed=2)
    assert result["table"]["P1 min S=2"]["Avg"] == pytest.approx(best_p1(hyps, inputs.poses), abs=1e-3)


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
@pytest.mark.parametrize("denoiser", ["sample", "mean"])
def test_evaluate_denoise_equals_the_api(prior, poseset, denoiser):
    spec = EvalTask("denoise", noise_3d=PoseNoise("gaussian", 100.0), t0="auto", denoiser=denoiser, seed=3)
    result = evaluate(prior.sampler, poseset, spec, progress=False)
    inputs = eval_inputs(poseset)
    noisy = PoseNoise("gaussian", 100.0).add(inputs.poses, seed=3).numpy()
    clean = prior.denoise(noisy, noise_mm=10.0, seed=3, method=denoiser)
    assert result["t0"] == pytest.approx(prior.sampler.start_time_for_noise(10.0))
    assert result["table"]["P1 after"]["Avg"] == pytest.approx(
        metrics.mpjpe(torch.as_tensor(clean), inputs.poses).mean().item(), abs=1e-3)


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
def test_int8_through_the_task_layer_stays_close_to_fp32(prior, poseset):
    keypoints = eval_inputs(poseset).keypoints.numpy()[:8]
    reference = prior.estimate(keypoints, num_hypotheses=4, seed=1)
    quantized = prior.with_sampler(precision="int8").estimate(keypoints, num_hypotheses=4, seed=1)
    spread = np.abs(reference - reference.mean(axis=1, keepdims=True)).mean()
    assert prior.with_sampler(precision="int8").sampler.precision == "int8"
    assert np.abs(quantized - reference).mean() < 0.1 * spread  # same noise, a slightly rounded network


def test_auto_precision_is_bf16_only_where_native(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: False)
    assert resolve_precision("auto", cpu) == "fp32"
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: True)
    assert resolve_precision("auto", cpu) == "bf16"
    assert resolve_precision("fp32", cpu) == "fp32"


def test_compile_failure_falls_back_to_the_eager_network(monkeypatch):
    calls = []

    def broken_compile(net):
        def run(*args):
            calls.append(1)
            raise RuntimeError("no C++ compiler")
        return run

    monkeypatch.setattr(torch, "compile", broken_compile)
    net = torch.nn.Linear(3, 2)
    prepared = prepare_network(net, "fp32", compile=True)
    assert isinstance(prepared, CompiledWithFallback)
    x = torch.randn(4, 3)
    with pytest.warns(UserWarning, match="torch.compile failed"):
        assert torch.equal(prepared(x), net(x))
    assert torch.equal(prepared(x), net(x))  # later calls go straight to the eager network
    assert calls == [1]


def test_loss_is_the_hand_computed_weighted_dsm():
    """An identity 'network' returns x(t) = alpha x0 + sigma z, so with x0 = z = 1 each of the 51
    coordinates contributes (alpha + sigma + 1)^2, B(t) = 0.1 t + 9.95 t^2 (beta 0.1 -> 20)."""
    t = 0.5
    big_b = 0.1 * t + 9.95 * t**2
    alpha, sigma = math.exp(-big_b / 2), 1 - math.exp(-big_b)
    model = NoisePrediction(lambda x, *rest: x, SubVPSDE())
    ones = torch.ones(2, 17, 3)
    loss = model.loss(ones, Condition.empty(2, 17), torch.full((2,), t), ones)
    assert loss.item() == pytest.approx(51 * (alpha + sigma + 1) ** 2, rel=1e-5)


def test_shipped_model_is_trained():
    """Eight bundled test inputs, best of 10 with the default sampler: the shipped model is ~60 mm
    (docs/RESULTS.md, Table 1); an untrained or swapped network is several hundred mm off."""
    test = load_bundled().select_split("test")
    inputs = eval_inputs(test.subset(np.linspace(0, len(test) - 1, 8).astype(int)))
    hyps = PosePrior.pretrained(device="cpu").estimate(inputs.keypoints.numpy(), inputs.image_size.numpy(),
                                                       num_hypotheses=10, seed=0)
    assert best_p1(hyps, inputs.poses) < 110.0


def test_central_answer_is_one_deterministic_pose_nearer_the_truth_than_a_draw():
    """The shipped models' central answer (ODE from x(T) = 0) on 40 bundled test inputs, mocap and
    detector joints: the same pose on every call, and nearer the truth on average than a random
    hypothesis (docs/RESULTS.md, One answer: about half its error); P1 (root-aligned MPJPE)."""
    test = load_bundled().select_split("test")
    prior = PosePrior.pretrained(device="cpu", precision="fp32")
    for joints in ("mocap", "detector"):
        inputs = eval_inputs(test.subset(np.linspace(0, len(test) - 1, 40).astype(int)), joints=joints)
        kp, size = inputs.keypoints.numpy(), inputs.image_size.numpy()
        central = prior.central_estimate(kp, size, joints=joints)
        np.testing.assert_array_equal(central, prior.central_estimate(kp, size, joints=joints))
        draws = prior.estimate(kp, size, num_hypotheses=4, seed=0, joints=joints)
        central_p1 = metrics.mpjpe(torch.from_numpy(central), inputs.poses).mean()
        draw_p1 = metrics.mpjpe(torch.from_numpy(draws), inputs.poses[:, None]).mean()
        assert central.shape == (40, 17, 3) and central_p1 < 0.8 * draw_p1, (joints, central_p1, draw_p1)


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
def test_estimation_model_serves_the_2d_inputs_it_was_trained_for(unconditional_model, conditional_model, poseset):
    """With an estimation model loaded beside the unified one, 2D inputs with whole parts missing at
    most draw from it (the same poses as the estimation model alone), 2D inputs with a cut part (one
    wrist) and the other tasks from the unified model, row by row within one batch."""
    both = PosePrior.load(unconditional_model, device="cpu", estimation=conditional_model, **FAST)
    alone = PosePrior.load(conditional_model, device="cpu", **FAST)
    unified = PosePrior.load(unconditional_model, device="cpu", **FAST)
    keypoints = eval_inputs(poseset).keypoints.numpy()[:6]
    np.testing.assert_array_equal(both.estimate(keypoints, num_hypotheses=2, seed=1),
                                  alone.estimate(keypoints, num_hypotheses=2, seed=1))
    partial = keypoints.copy()
    partial[2:4, [1, 2, 3]] = np.nan  # the right leg: still the estimation model's
    partial[4:, 16] = np.nan  # the right wrist: the unified model's
    mixed = both.with_sampler(steps=4).complete(partial, num_hypotheses=2, seed=2)
    # Rows batched with others round differently in float32 (oneDNN picks kernels by batch size):
    # 0.1 mm tells that apart from the other model's poses, which are hundreds of mm away.
    np.testing.assert_allclose(mixed[:4], alone.with_sampler(steps=4).complete(partial, num_hypotheses=2, seed=2)[:4],
                               atol=0.1)
    np.testing.assert_allclose(mixed[4:], unified.with_sampler(steps=4).complete(partial, num_hypotheses=2, seed=2)[4:],
                               atol=0.1)
    np.testing.assert_array_equal(both.generate(3, seed=3), unified.generate(3, seed=3))
    assert both.sampler_for("denoise") is both.sampler and both.sampler_for("complete-2d") is both.sampler_2d


@pytest.mark.slow  # a model conftest trains once per session (about 35 s)
def test_models_with_different_sdes_are_not_routed_together(conditional_model):
    estimation = PosePrior.load(conditional_model, device="cpu").sampler
    other = Sampler(estimation.net, SubVPSDE(0.1, 10.0), estimation.data_scale, config=estimation.config)
    with pytest.raises(InputError, match="SDE"):
        RoutedSampler(estimation, other)


def test_detector_keypoints_go_to_the_detector_model(unconditional_model, conditional_model, poseset, tmp_path):
    """A third model trained with model.joints = 'detector' draws the 2D marked as detector keypoints
    (the same poses as that model alone); 2D marked 'mocap' keeps the estimation model; a model of the
    mocap definition is refused as the detector model by name."""
    import dataclasses

    from gfpose.checkpoint import load_model, save_model
    state, config, step = load_model(conditional_model)
    detector = tmp_path / "detector.safetensors"
    save_model(detector, state, dataclasses.replace(config, model=dataclasses.replace(config.model, joints="detector")),
               step)
    keypoints = eval_inputs(poseset).keypoints.numpy()[:4]
    three = PosePrior.load(unconditional_model, device="cpu", estimation=unconditional_model, detector=detector, **FAST)
    alone = PosePrior.load(detector, device="cpu", **FAST)
    np.testing.assert_array_equal(three.estimate(keypoints, num_hypotheses=2, seed=1, joints="detector"),
                                  alone.estimate(keypoints, num_hypotheses=2, seed=1))
    unified = PosePrior.load(unconditional_model, device="cpu", **FAST)
    np.testing.assert_array_equal(three.estimate(keypoints, num_hypotheses=2, seed=1),
                                  unified.estimate(keypoints, num_hypotheses=2, seed=1))
    with pytest.raises(InputError, match="model.joints = 'mocap'"):
        PosePrior.load(unconditional_model, device="cpu", detector=conditional_model)
    with pytest.raises(InputError, match="joints"):
        three.estimate(keypoints, joints="openpose")
