"""Bad input at every entry point (API, loaders, CLI, checkpoints) gets an InputError that names
the argument or file, what was found and what was expected; missing joints are completed."""

import json
import os
import re
import stat

import numpy as np
import pytest
import torch
from conftest import small_config

from gfpose.atomic import atomic_write
from gfpose.checkpoint import load_model, load_train_state, save_model, save_train_state
from gfpose.cli import main
from gfpose.data.bvh import load_bvh
from gfpose.data.keypoints import load_keypoints
from gfpose.data.posefile import load_pose_npz
from gfpose.data.rigs import Rig
from gfpose.errors import InputError
from gfpose.network import ScoreNet
from gfpose.prior import PosePrior
from gfpose.skeleton import H36M_JOINTS

FAST = dict(name="em", steps=3, schedule="uniform", precision="fp32")

# A standing person, H36M-17 order, mm, z up (hand-made; bones 110-450 mm).
STANDING = np.array([[0, 0, 0], [-130, 0, 0], [-130, 0, -450], [-130, 0, -850], [130, 0, 0],
                     [130, 0, -450], [130, 0, -850], [0, 0, 230], [0, 0, 480], [0, -30, 600],
                     [0, 0, 720], [150, 0, 480], [150, 0, 200], [150, 0, -50], [-150, 0, 480],
                     [-150, 0, 200], [-150, 0, -50]], dtype=np.float32)
KEYPOINTS = np.stack([500 + 0.4 * STANDING[:, 0], 500 - 0.4 * STANDING[:, 2]], axis=-1)  # px in 1000 x 1000


def save_tiny_model(path):
    """An untrained small ScoreNet as a model file: enough to run every code path."""
    torch.manual_seed(0)
    config = small_config("U3D")
    save_model(path, ScoreNet(config.model).state_dict(), config, 0)
    return path


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny") / "model.safetensors")


@pytest.fixture(scope="module")
def prior(model_path):
    return PosePrior.load(model_path, device="cpu", **FAST)


def two(array):
    return np.stack([array, array])


def with_nan(array, joint=3):
    out = array.copy()
    out[..., joint, :] = np.nan
    return out


BAD_CALLS = {
    "joint count": (lambda p: p.estimate(two(KEYPOINTS)[:, :16]), r"keypoints_2d: .*\(N, 17, 2\).*got \(2, 16, 2\)"),
    "coordinate dim": (lambda p: p.estimate(STANDING), r"keypoints_2d: .*got \(17, 3\)"),
    "text dtype": (lambda p: p.estimate(KEYPOINTS.astype(str)), r"keypoints_2d: expected real numbers, got dtype <U"),
    "complex dtype": (lambda p: p.estimate(KEYPOINTS.astype(complex)), r"keypoints_2d: .*complex128"),
    "bool dtype": (lambda p: p.complete(STANDING > 0), r"pose: .*dtype bool"),
    "None": (lambda p: p.generate(None), r"count: .*got None"),
    "empty batch": (lambda p: p.estimate(np.zeros((0, 17, 2))), r"keypoints_2d: empty \(shape \(0, 17, 2\)\)"),
    "empty list": (lambda p: p.denoise([]), r"poses: empty"),
    "ragged list": (lambda p: p.complete([[1.0, 2.0, 3.0], [4.0]]), r"pose: cannot be read as an array"),
    "inf": (lambda p: p.estimate(np.where(KEYPOINTS > 600, np.inf, KEYPOINTS)), r"keypoints_2d: contains inf"),
    "float32 overflow": (lambda p: p.complete(STANDING.astype(np.float64) * 1e38),
                         r"pose: values up to 8.5e\+40 overflow"),
    "huge values": (lambda p: p.denoise(STANDING * 1e4), r"poses: values up to 8.5e\+06, implausibly large"),
    "all joints NaN": (lambda p: p.estimate(np.stack([KEYPOINTS, KEYPOINTS * np.nan])),
                       r"keypoints_2d: every joint is missing in pose\(s\) \[1\]"),
    "all confidence 0": (lambda p: p.estimate(KEYPOINTS, confidence=np.zeros(17)), r"every joint is missing"),
    "confidence shape": (lambda p: p.estimate(two(KEYPOINTS), confidence=np.ones((17, 2))),
                         r"confidence: expected shape \(2, 17\), got \(17, 2\)"),
    "normalised 2D": (lambda p: p.estimate(KEYPOINTS / 1000), r"keypoints_2d: pose\(s\) \[0\] .*expected pixels"),
    "normalised image": (lambda p: p.estimate(KEYPOINTS, image_size=(1, 1)), r"image_size: has 1; expected pixels"),
    "image shape": (lambda p: p.estimate(two(KEYPOINTS), image_size=np.ones((3, 2)) * 500),
                    r"image_size: expected \(w, h\) or \(2, 2\) pixels, got shape \(3, 2\)"),
    "outside image": (lambda p: p.estimate(KEYPOINTS * 30), r"keypoints_2d: pose 0 reaches .* px, far outside"),
    "metres": (lambda p: p.complete(STANDING / 1000),
               r"pose: median bone length 0.2.*looks like metres.*multiply by 1000 "),
    "centimetres": (lambda p: p.denoise(STANDING / 10),
                    r"poses: median bone length 2\d(\.\d+)?; .*looks like centimetres.*multiply by 10 "),
    "not root-relative": (lambda p: p.complete(with_nan(STANDING + 5000, 0)), r"pose: .*no pelvis.*root-relative"),
    "NaN for denoise": (lambda p: p.denoise(with_nan(STANDING)), r"poses: 1 joints are NaN"),
    "hypotheses 0": (lambda p: p.estimate(KEYPOINTS, num_hypotheses=0), r"num_hypotheses: .*got 0"),
    "hypotheses float": (lambda p: p.complete(STANDING, num_hypotheses=2.0), r"num_hypotheses: .*got 2.0"),
    "count too large": (lambda p: p.generate(10**9), r"count: expected an integer in \[1, 1000000\]"),
    "count bool": (lambda p: p.generate(True), r"count: .*got True"),
    "seed negative": (lambda p: p.generate(2, seed=-1), r"seed: .*got -1"),
    "seed text": (lambda p: p.estimate(KEYPOINTS, seed="a"), r"seed: .*got 'a'"),
    "mode": (lambda p: p.complete(STANDING, mode="impute"), r"mode: expected one of .*got 'impute'"),
    "t0 zero": (lambda p: p.denoise(STANDING, t0=0.0), r"t0: .*got 0.0"),
    "t0 bool": (lambda p: p.denoise(STANDING, t0=True), r"t0: .*got True"),
    "noise_mm negative": (lambda p: p.denoise(STANDING, noise_mm=-1.0), r"noise_mm: .*got -1.0"),
    "noise_mm text": (lambda p: p.denoise(STANDING, noise_mm="5mm"), r"noise_mm: .*got '5mm'"),
    "denoise method": (lambda p: p.denoise(STANDING, method="median"), r"method: expected one of .*got 'median'"),
}


@pytest.mark.parametrize("case", BAD_CALLS)
def test_bad_api_input_raises_input_error_naming_it(prior, case):
    call, message = BAD_CALLS[case]
    with pytest.raises(InputError, match=message):
        call(prior)


def test_nan_and_zero_confidence_are_the_same_missing_joint(prior):
    kp = two(KEYPOINTS)
    conf = np.ones((2, 17))
    conf[0, [3, 13]] = 0
    conf[1, 10] = 0
    nan = kp.copy()
    nan[0, [3, 13]] = np.nan
    nan[1, 10] = np.nan
    by_nan = prior.estimate(nan, num_hypotheses=2, seed=5)
    by_conf = prior.estimate(kp, num_hypotheses=2, confidence=conf, seed=5)
    assert by_nan.shape == (2, 2, 17, 3) and np.isfinite(by_nan).all()
    np.testing.assert_array_equal(by_nan, by_conf)
    assert not np.array_equal(by_nan, prior.estimate(kp, num_hypotheses=2, seed=5))  # the mask matters


def test_missing_3d_joints_are_completed_wherever_the_pose_stands(prior):
    partial = with_nan(two(STANDING), 13)
    partial[1, 0] = np.nan  # no pelvis: given root-relative
    moved = partial.copy()
    moved[0] += [100.0, 2000.0, 4000.0]  # camera frame: the pelvis is known, so the pose is re-rooted
    for mode in ("conditional", "both"):
        out = prior.complete(partial, num_hypotheses=3, mode=mode, seed=1)
        assert out.shape == (2, 3, 17, 3) and np.isfinite(out).all()
        np.testing.assert_allclose(prior.complete(moved, num_hypotheses=3, mode=mode, seed=1), out, atol=1e-3)
    observed = ~np.isnan(partial[0, :, 0])
    np.testing.assert_allclose(out[0][:, observed], np.broadcast_to(STANDING[observed], (3, 16, 3)), atol=1e-2)


# --- file loaders ---------------------------------------------------------------------------

SIZE = [1000, 1000]


def npz(path, **arrays):
    np.savez(path, **arrays)
    return path


BAD_FILES = {
    "pose text": ("p.npz", dict(poses_3d=STANDING[None].astype(str)), r"p.npz: poses_3d.*<U"),
    "pose empty": ("p.npz", dict(poses_3d=np.zeros((0, 17, 3))), r"p.npz: poses_3d.*empty"),
    "pose 16 joints": ("p.npz", dict(poses_3d=STANDING[None, :16]), r"p.npz: poses_3d.*\(1, 16, 3\)"),
    "pose inf": ("p.npz", dict(poses_3d=np.where(STANDING > 400, np.inf, STANDING)[None]), r"p.npz: poses_3d.*inf"),
    "pose overflow": ("p.npz", dict(poses_3d=STANDING[None].astype(np.float64) * 1e40), r"p.npz: poses_3d.*overflow"),
    "pose metres": ("p.npz", dict(poses_3d=STANDING[None] / 1000), r"p.npz: .*metres"),
    "scale text": ("p.npz", dict(poses_3d=STANDING[None], poses_3d_scale_mm="x"), r"p.npz: poses_3d_scale_mm"),
    "scale zero": ("p.npz", dict(poses_3d=STANDING[None], poses_3d_scale_mm=0.0),
                   r"p.npz: poses_3d_scale_mm: expected one positive number, got \[0.0\]"),
    "frame text": ("p.npz", dict(poses_3d=STANDING[None], frame=np.array(["a"])), r"p.npz: frame holds .*'a'"),
    "pose kp normalised": ("p.npz", dict(poses_3d=STANDING[None], keypoints_2d=KEYPOINTS[None] / 1000),
                           r"p.npz: keypoints_2d: .*expected pixels"),
    "pose image text": ("p.npz", dict(poses_3d=STANDING[None], keypoints_2d=KEYPOINTS[None], image_size=["a", "b"]),
                        r"p.npz: image_size: expected real numbers"),
    "kp text": ("k.npz", dict(keypoints_2d=KEYPOINTS[None].astype(str), image_size=SIZE), r"k.npz: keypoints_2d.*<U"),
    "kp inf": ("k.npz", dict(keypoints_2d=np.where(KEYPOINTS > 600, np.inf, KEYPOINTS)[None], image_size=SIZE),
               r"k.npz: keypoints_2d: contains inf"),
    "kp empty": ("k.npz", dict(keypoints_2d=np.zeros((0, 17, 2)), image_size=SIZE), r"k.npz: keypoints_2d: empty"),
    "kp all missing": ("k.npz", dict(keypoints_2d=KEYPOINTS[None], confidence=np.zeros((1, 17)), image_size=SIZE),
                       r"k.npz: keypoints_2d: every joint is missing"),
    "kp confidence text": ("k.npz", dict(keypoints_2d=KEYPOINTS[None], confidence=np.full((1, 17), "hi"),
                                         image_size=SIZE), r"k.npz: confidence: expected real numbers"),
    "kp image text": ("k.npz", dict(keypoints_2d=KEYPOINTS[None], image_size=["w", "h"]), r"k.npz: image_size.*<U"),
    "kp image inf": ("k.npz", dict(keypoints_2d=KEYPOINTS[None], image_size=[np.inf, 1000]),
                     r"k.npz: image_size: has inf"),
    "kp normalised": ("k.npz", dict(keypoints_2d=KEYPOINTS[None] / 1000, image_size=SIZE),
                      r"k.npz: keypoints_2d: .*expected pixels"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_pose_and_keypoint_files_raise_naming_file_and_key(tmp_path, case):
    name, arrays, message = BAD_FILES[case]
    path = npz(tmp_path / name, **arrays)
    with pytest.raises(InputError, match=message):
        (load_pose_npz if name.startswith("p") else load_keypoints)(path)


@pytest.mark.parametrize("text, message", [
    ('{"image_size": "big", "keypoints": [[[500, 500]]]}', r"k.json: keypoints have shape \(1, 1, 2\)"),
    ('{"image_size": "big", "keypoints": %s}' % json.dumps(KEYPOINTS[None].tolist()), r"k.json: image_size.*<U"),
    ('{"image_size": [1000, 1000], "keypoints": [[[Infinity, 1]' + ", [500, 500]" * 16 + "]]}",
     r"k.json: keypoints_2d: contains inf"),
    ('{"image_size": [1000, 1000], "keypoints": %s, "confidence": [[null]]}' % json.dumps(KEYPOINTS[None].tolist()),
     r"k.json: confidence: expected shape \(1, 17\), got \(1, 1\)"),
])
def test_bad_keypoint_json_raises_naming_file(tmp_path, text, message):
    (tmp_path / "k.json").write_text(text)
    with pytest.raises(InputError, match=message):
        load_keypoints(tmp_path / "k.json")


CHAIN_BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  JOINT Chest
  {
    OFFSET 0 20 0
    CHANNELS 3 Zrotation Xrotation Yrotation
    End Site
    {
      OFFSET 0 20 0
    }
  }
}
MOTION
Frames: 2
Frame Time: 0.04
0 90 0 0 0 0 0 0 0
%s 90 0 0 0 0 0 30 0
"""
CHAIN_RIG = Rig(name="chain", joints={name: ("Hips",) if name in H36M_JOINTS[:7] else ("Chest",)
                                      for name in H36M_JOINTS})


@pytest.mark.parametrize("value", ["nan", "inf", "1e400"])
def test_bvh_with_non_finite_motion_raises_naming_file(tmp_path, value):
    path = tmp_path / "take.bvh"
    path.write_text(CHAIN_BVH % value)
    with pytest.raises(InputError, match=r"take.bvh: poses: 1 of 2 poses hold NaN or inf \(first at index 1\)"):
        load_bvh(path, CHAIN_RIG)


def test_bvh_chain_loads_in_mm_z_up(tmp_path):
    path = tmp_path / "take.bvh"
    path.write_text(CHAIN_BVH % "5")
    poses = load_bvh(path, CHAIN_RIG)
    # Y-up cm -> z-up mm: hips at (0, 90, 0) cm -> (0, 0, 900) mm; chest 200 mm above them.
    np.testing.assert_allclose(poses[0, 0], [0, 0, 900], atol=1e-3)
    np.testing.assert_allclose(poses[1, 7], [50, 0, 1100], atol=1e-3)


# --- command line -----------------------------------------------------------------------------

@pytest.mark.parametrize("task, arrays, message", [
    ("estimate", dict(keypoints_2d=KEYPOINTS[None] / 1000, image_size=SIZE), r"in.npz: keypoints_2d: .*pixels"),
    ("complete", dict(poses_3d=STANDING[None] / 1000), r"pose: median bone length .*metres"),
    ("complete", dict(keypoints_2d=KEYPOINTS[None], confidence=np.zeros((1, 17)), image_size=SIZE),
     r"in.npz: keypoints_2d: every joint is missing"),
    ("denoise", dict(poses_3d=with_nan(STANDING)[None]), r"poses: 1 joints are NaN"),
])
def test_cli_reports_bad_input_in_one_line(tmp_path, model_path, capsys, task, arrays, message):
    source = npz(tmp_path / "in.npz", **arrays)
    code = main([task, str(source), "-o", str(tmp_path / "out.npz"), "--checkpoint", str(model_path), "--steps", "3"])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"gfpose {task}: error: ") and "Traceback" not in err
    assert err.count("\n") == 1 and re.search(message, err), err


@pytest.mark.parametrize("extra, message", [
    (["--device", "tpu9"], r"device 'tpu9': not a device"),
    (["--seed", "-4"], r"seed: .*got -4"),
    (["-o", "{tmp}"], r"Is a directory"),
])
def test_cli_reports_bad_arguments(tmp_path, model_path, capsys, extra, message):
    args = ["generate", "-n", "2", "-o", str(tmp_path / "g.npz"), "--checkpoint", str(model_path), "--steps", "3"]
    assert main(args + [arg.format(tmp=tmp_path) for arg in extra]) == 2
    assert re.search(message, capsys.readouterr().err)


def test_cli_complete_accepts_2d_npz(tmp_path, model_path):
    source = npz(tmp_path / "kp.npz", keypoints_2d=with_nan(KEYPOINTS)[None], image_size=SIZE)
    out = tmp_path / "out.npz"
    assert main(["complete", str(source), "-o", str(out), "--checkpoint", str(model_path), "--steps", "3",
                 "-S", "2"]) == 0
    hyps = np.load(out)["hypotheses"]
    assert hyps.shape == (1, 2, 17, 3) and np.isfinite(hyps).all()


# --- checkpoints --------------------------------------------------------------------------------

def damage(path, how):
    data = path.read_bytes()
    if how == "truncated":
        data = data[: len(data) * 2 // 3]
    elif how == "header":
        data = data[:8] + b"\xff" * 40 + data[48:]
    elif how == "empty":
        data = b""
    path.write_bytes(data)


@pytest.mark.parametrize("how", ["truncated", "header", "empty"])
def test_damaged_model_file_raises_naming_it(model_path, tmp_path, how):
    path = tmp_path / "model.safetensors"
    path.write_bytes(model_path.read_bytes())
    damage(path, how)
    with pytest.raises(InputError, match=f"checkpoint {path}: not a readable safetensors file"):
        PosePrior.load(path, device="cpu")


def test_model_file_with_nan_weights_raises(tmp_path):
    config = small_config("U3D")
    state = ScoreNet(config.model).state_dict()
    next(iter(state.values()))[0] = float("nan")
    save_model(tmp_path / "nan.safetensors", state, config, 0)
    with pytest.raises(InputError, match=r"nan.safetensors: NaN or inf in weights"):
        load_model(tmp_path / "nan.safetensors")


@pytest.mark.parametrize("how", ["truncated", "header", "empty"])
def test_damaged_train_state_raises_naming_it(tmp_path, how):
    path = tmp_path / "train_state.pt"
    save_train_state(path, {"config": "{}", "step": 3, "model": {"w": torch.ones(2000)}, "ema": {}, "optimizer": {}})
    damage(path, how)
    with pytest.raises(InputError, match=f"training state {path}: truncated or corrupt"):
        load_train_state(path)


def test_train_state_without_its_keys_raises(tmp_path):
    save_train_state(tmp_path / "s.pt", {"step": 3})
    with pytest.raises(InputError, match=r"s.pt: expected a dict with keys .*found \['step'\]"):
        load_train_state(tmp_path / "s.pt")


def test_cli_train_on_corrupt_state_names_it(tmp_path, capsys, gaussian_poses):
    data = gaussian_poses.poseset(8)
    npz(tmp_path / "d.npz", poses_3d=data.poses_3d, split=data.split)
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "train_state.pt").write_bytes(b"PK\x03\x04 half a zip")
    assert main(["train", "--data", str(tmp_path / "d.npz"), "--out", str(tmp_path / "run"), "--quiet"]) == 2
    assert "train_state.pt: truncated or corrupt" in capsys.readouterr().err


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_atomic_write_gives_new_file_permissions(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        save_model(tmp_path / "m.safetensors", {"w": torch.ones(3)}, small_config("U3D"), 1)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.safetensors").stat().st_mode) == mode


def test_failed_write_keeps_the_last_good_file_and_no_temporaries(tmp_path):
    path = tmp_path / "state.pt"
    save_train_state(path, {"step": 1})
    (tmp_path / ".state.pt.killed.tmp").write_bytes(b"left by a killed writer")

    def crash(tmp):
        with open(tmp, "wb") as handle:
            handle.write(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, crash)
    assert torch.load(path)["step"] == 1 and len(list(tmp_path.iterdir())) == 2
    save_train_state(path, {"step": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["state.pt"] and torch.load(path)["step"] == 2


def test_atomic_write_temporary_sits_beside_the_target_with_its_suffix(tmp_path):
    """Writers that pick the format from the name (matplotlib, PIL) see the target's suffix."""
    seen = []

    def write(tmp):
        seen.append(tmp)
        with open(tmp, "w") as handle:
            handle.write("done")

    atomic_write(tmp_path / "sub" / "figure.png", write)
    assert os.path.dirname(seen[0]) == str(tmp_path / "sub") and seen[0].endswith(".png")
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["figure.png"]
