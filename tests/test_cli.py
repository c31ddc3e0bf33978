"""The `gfpose` command end to end on a tiny trained model (in-process, few sampler steps)."""

import json
from pathlib import Path

import numpy as np
import pytest

from gfpose.cli import main
from gfpose.data.posefile import read_npz, save_pose_npz

FAST = ["--sampler", "em", "--steps", "5", "--device", "cpu"]
pytestmark = pytest.mark.slow  # every test needs the model conftest trains once per session (about 35 s)


@pytest.fixture(scope="module")
def files(tmp_path_factory, gaussian_poses):
    folder = tmp_path_factory.mktemp("cli")
    poses = gaussian_poses.sample(6, seed=3)
    save_pose_npz(folder / "poses.npz", poses_3d=poses, action=np.array(["a", "a", "b", "b", "b", "a"]),
                  split=np.array(["test"] * 6))
    save_pose_npz(folder / "kp.npz", keypoints_2d=poses[..., :2] * 0.5 + 500, image_size=np.array([1000, 1000]))
    partial = poses.copy()
    partial[:, 3] = np.nan
    save_pose_npz(folder / "partial.npz", poses_3d=partial)
    return folder


def test_generate_estimate_complete_denoise_viz(unconditional_model, files, capsys):
    model = ["--checkpoint", str(unconditional_model)]
    out = files / "out.npz"
    assert main(["generate", "-n", "4", "-o", str(out), *model, *FAST]) == 0
    assert read_npz(out)["poses_3d"].shape == (4, 17, 3)
    assert main(["estimate", str(files / "kp.npz"), "-S", "3", "-o", str(out), *model, *FAST]) == 0
    hyps, central = read_npz(out)["hypotheses"], read_npz(out)["central"]
    assert hyps.shape == (6, 3, 17, 3) and np.isfinite(hyps).all()
    assert central.shape == (6, 17, 3) and np.isfinite(central).all()
    assert main(["viz", str(out), "-o", str(files / "hyps.png")]) == 0
    assert (files / "hyps.png").stat().st_size > 1000
    assert main(["complete", str(files / "partial.npz"), "-o", str(out), *model, *FAST]) == 0
    full = read_npz(out)["hypotheses"]
    observed = read_npz(files / "partial.npz")["poses_3d"]
    # Imputation returns the observed joints (root-relative) unchanged.
    np.testing.assert_allclose(full[:, 0, 4], observed[:, 4] - observed[:, 0], atol=1e-3)
    assert main(["denoise", str(files / "poses.npz"), "-o", str(out), *model, *FAST]) == 0
    assert read_npz(out)["poses_3d"].shape == (6, 17, 3)


def test_evaluate_prints_a_table_and_json(unconditional_model, files, capsys):
    args = ["evaluate", str(unconditional_model), "--data", str(files / "poses.npz"), "--hypotheses", "4", *FAST]
    assert main(args) == 0
    assert "Avg" in capsys.readouterr().out
    assert main(args + ["--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    table = result["table"]
    assert set(table["P1 min S=4"]) == {"a", "b", "Avg"}
    # Avg is the mean over actions of per-action means (a: 3 poses, b: 3 poses).
    assert table["P1 min S=4"]["Avg"] == pytest.approx((table["P1 min S=4"]["a"] + table["P1 min S=4"]["b"]) / 2)
    assert table["P1 min S=4"]["Avg"] <= table["P1 min S=1"]["Avg"]


def test_bad_input_is_a_clear_error(unconditional_model, files, capsys):
    bad = files / "bad.npz"
    save_pose_npz(bad, poses_3d=np.zeros((2, 16, 3)))
    assert main(["denoise", str(bad), "-o", str(files / "x.npz"), "--checkpoint", str(unconditional_model)]) == 2
    err = capsys.readouterr().err
    assert "17" in err and "Traceback" not in err


def test_sequence_denoise_writes_a_smoother_track_and_cleans_bvh(unconditional_model, tmp_path):
    """A take moving at constant velocity plus 20 mm jitter: the --sequence track's second
    differences are smaller than the input's (whose expected norm is 20 sqrt(6 * 3) ~ 85 mm)."""
    model = ["--checkpoint", str(unconditional_model), *FAST]
    rng = np.random.default_rng(0)
    base = np.linspace(0, 1, 17 * 3).reshape(17, 3) * 300
    base[0] = 0
    steps = np.arange(30)[:, None, None] * np.array([0, 5.0, 0])
    take = (base + steps * (np.arange(17) > 0)[:, None] + rng.normal(0, 20, (30, 17, 3))).astype(np.float32)
    save_pose_npz(tmp_path / "take.npz", poses_3d=take)
    assert main(["denoise", str(tmp_path / "take.npz"), "--sequence", "--noise-mm", "20",
                 "-o", str(tmp_path / "clean.npz"), *model]) == 0
    track = read_npz(tmp_path / "clean.npz")["track"]
    assert track.shape == (30, 17, 3) and np.isfinite(track).all()

    def roughness(poses):
        return np.linalg.norm(np.diff(poses - poses[:, :1], n=2, axis=0), axis=-1).mean()
    assert roughness(track) < 0.5 * roughness(take)
    assert main(["export-bvh", str(tmp_path / "clean.npz"), "-o", str(tmp_path / "take.bvh")]) == 0
    assert main(["denoise", str(tmp_path / "take.bvh"), "--rig", "gfpose", "-o", str(tmp_path / "clean.bvh"),
                 *model]) == 0
    assert (tmp_path / "clean.bvh").read_text().startswith("HIERARCHY")
    assert main(["denoise", str(tmp_path / "take.bvh"), "--rig", "gfpose", "-o", str(tmp_path / "clean.npz"),
                 *model]) == 2  # a BVH is cleaned into a BVH


def test_estimate_sequence_is_the_lift_path(unconditional_model, files, monkeypatch):
    """`estimate --sequence` lifts the take as PosePrior.lift_take does (gfpose lift's path): the same
    hypotheses and track for the same seed."""
    from gfpose import PosePrior
    model = ["--checkpoint", str(unconditional_model), *FAST]
    out = files / "take.npz"
    assert main(["estimate", str(files / "kp.npz"), "--sequence", "-S", "4", "--chain-frames", "3", "-o", str(out),
                 *model]) == 0
    written = read_npz(out)
    assert written["track"].shape == (6, 17, 3) and written["hypotheses"].shape == (6, 4, 17, 3)
    assert written["central"].shape == (6, 17, 3)
    kp = read_npz(files / "kp.npz")
    prior = PosePrior.load(unconditional_model, "cpu", name="em", steps=5)
    take = prior.lift_take(kp["keypoints_2d"], kp["image_size"], num_hypotheses=4, chain_frames=3)
    np.testing.assert_allclose(written["track"], take.track, atol=1e-4)
    np.testing.assert_allclose(written["central"], take.central, atol=1e-4)


def test_complete_says_what_it_does_with_each_input(unconditional_model, files, capsys):
    model = ["--checkpoint", str(unconditional_model), *FAST]
    assert main(["complete", str(files / "kp.npz"), "-o", str(files / "c.npz"), *model]) == 0
    assert "completing in 3D by estimation" in capsys.readouterr().out
    save_pose_npz(files / "neither.npz", track=np.zeros((2, 17, 3)))
    assert main(["complete", str(files / "neither.npz"), "-o", str(files / "c.npz"), *model]) == 2
    assert "no 'poses_3d' (3D, mm) or 'keypoints_2d' (2D, px) array" in capsys.readouterr().err


def test_demo_writes_every_file_it_names(tmp_path, capsys):
    """The README's first command: the shipped models on bundled poses and the committed clip; every
    path the demo prints is a file it wrote."""
    pytest.importorskip("mediapipe")
    out = tmp_path / "demo"
    main(["demo", "--out", str(out), "--hypotheses", "4", "--count", "3", "--device", "cpu"])
    printed = capsys.readouterr().out
    named = printed.split("wrote ")[-1].strip().split(", ")
    assert len(named) >= 3 and "PosixPath" not in printed
    for path in named:
        assert Path(path).is_file(), path


def test_viz_reads_quantised_y_up_poses_as_millimetres_z_up(tmp_path, monkeypatch):
    """An int16 world npz (poses_3d_scale_mm, up_axis 'y', as `gfpose data build-*` write) is drawn in mm with
    +z up: the grid receives the poses scaled and rotated, in the world frame."""
    from gfpose import viz
    poses_mm = np.random.default_rng(0).normal(0, 300, (3, 17, 3))
    step = 0.5
    save_pose_npz(tmp_path / "world.npz", poses_3d=np.round(poses_mm / step).astype(np.int16),
                  poses_3d_scale_mm=np.float32(step), up_axis="y")
    drawn = {}
    monkeypatch.setattr(viz, "save_pose_grid", lambda path, poses, frame: drawn.update(poses=poses, frame=frame))
    assert main(["viz", str(tmp_path / "world.npz"), "-o", str(tmp_path / "grid.png")]) == 0
    expected = np.stack([poses_mm[..., 0], -poses_mm[..., 2], poses_mm[..., 1]], axis=-1)  # y up -> z up
    assert drawn["frame"] == "world"
    np.testing.assert_allclose(drawn["poses"], expected, atol=step / 2 + 1e-6)
