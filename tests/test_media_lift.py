"""Lifting a take (gfpose.media.lift) end to end on a few frames, and the lift / export-bvh commands."""

import json

import bvhio
import numpy as np
import pytest

from gfpose import PosePrior
from gfpose.cli import main
from gfpose.data.cameras import to_training_camera
from gfpose.data.keypoints import Keypoints2D
from gfpose.errors import InputError
from gfpose.media.animation import ffmpeg_executable
from gfpose.media.formats import OPENPOSE_TO_COCO
from gfpose.media.lift import lift_keypoints
from gfpose.sequences.lift import hypothesis_spread, select_track

SIZE = (1000.0, 1000.0)
# A standing person facing the camera, camera frame (x right, y down, z forward), mm.
STANDING = np.array([
    [0, 0, 0], [-120, 10, 0], [-130, 450, 20], [-135, 880, 40], [120, 10, 0], [130, 450, 20],
    [135, 880, 40], [0, -230, 10], [0, -480, 10], [0, -580, -60], [0, -700, 0],
    [170, -460, 10], [200, -190, 20], [210, 60, 0], [-170, -460, 10], [-200, -190, 20], [-210, 60, 0],
], dtype=np.float64)


@pytest.fixture(scope="module")
def prior():
    return PosePrior.pretrained(device="cpu", precision="fp32", steps=10)


def take(frames: int = 4, missing=(2,)) -> Keypoints2D:
    """The standing person raising the right arm, 4 m away, seen by the training camera; no person in
    the ``missing`` frames."""
    poses = np.repeat(STANDING[None], frames, axis=0)
    poses[:, 16, 1] -= np.linspace(0, 300, frames)
    points = poses + [0, 0, 4000]
    kp = 1145 * points[..., :2] / points[..., 2:] + 500
    kp[list(missing)] = np.nan
    return Keypoints2D(kp.astype(np.float32), None, np.tile(SIZE, (frames, 1)).astype(np.float32))


def test_lift_writes_every_output_and_keeps_missing_frames_nan(tmp_path, prior):
    frames = [np.full((50, 50, 3), 40 * i, np.uint8) for i in range(4)]  # drawn under the overlay
    result = lift_keypoints(prior, take(), tmp_path / "out", fps=10, num_hypotheses=3,
                            video_frames=lambda: iter(frames))
    z = np.load(result.npz)
    assert z["hypotheses"].shape == (4, 3, 17, 3) and z["track"].shape == (4, 17, 3)
    assert z["spread_mm"].shape == (4, 17) and z["missing_frames"].tolist() == [2]
    assert np.isnan(z["hypotheses"][2]).all() and np.isnan(z["track"][2]).all()
    assert np.isfinite(z["track"][[0, 1, 3]]).all()
    np.testing.assert_allclose(z["track"][:, 0][[0, 1, 3]], 0, atol=1e-3)  # root-relative
    np.testing.assert_array_equal(z["confidence"][2], 0)
    assert z["focal_px"].tolist() == [1145.0] * 4
    assert len(bvhio.readAsHierarchy(str(result.bvh)).Keyframes) == 4
    assert result.gif.stat().st_size > 0
    assert (result.mp4 is not None) == (ffmpeg_executable() is not None)
    assert result.mp4 is None or result.mp4.stat().st_size > 0
    assert any("1 of 4 frames have no person" in note for note in result.notes)


def test_track_skips_frames_without_a_person_and_spread_is_rms():
    hyps = np.zeros((4, 3, 17, 3), dtype=np.float32)
    hyps[1] = np.nan  # no person in frame 1
    keypoints = np.full((4, 17, 2), 500.0, dtype=np.float32)
    keypoints[:, :, 1] += np.arange(17) * 20.0
    track = select_track(hyps, Keypoints2D(keypoints, None, np.full((4, 2), 1000.0, dtype=np.float32)), fps=30.0)
    assert np.isnan(track[1]).all() and np.isfinite(track[[0, 2, 3]]).all()
    np.testing.assert_allclose(track[[0, 2, 3]], 0.0, atol=1e-3)  # every hypothesis is the zero pose
    pair = np.zeros((1, 2, 17, 3))
    pair[0, 0, :, 0], pair[0, 1, :, 0] = 5.0, -5.0
    np.testing.assert_allclose(hypothesis_spread(pair), 5.0)


def test_focal_length_keeps_the_viewing_rays():
    kp = take(1, missing=()).keypoints
    size = np.array([SIZE], dtype=np.float32)
    np.testing.assert_array_equal(to_training_camera(kp, size, None), kp)
    wide = to_training_camera(kp, size, focal_px=600.0)
    np.testing.assert_allclose((wide - 500) / 1145, (kp - 500) / 600, rtol=1e-5)


def test_bad_takes(tmp_path, prior):
    with pytest.raises(InputError, match="no frame has any keypoint"):
        lift_keypoints(prior, take(2, missing=(0, 1)), tmp_path, fps=10, num_hypotheses=2)
    with pytest.raises(InputError, match="video_frames: 3 frames but 4 frames of keypoints"):
        lift_keypoints(prior, take(), tmp_path, fps=10, num_hypotheses=2,
                       video_frames=[np.zeros((8, 8, 3), np.uint8)] * 3)
    with pytest.raises(InputError, match="chain_frames must be a positive integer, got 0"):
        lift_keypoints(prior, take(), tmp_path, fps=10, num_hypotheses=2, chain_frames=0)
    assert not list(tmp_path.iterdir())  # nothing written


def run_command(argv, prior, monkeypatch):
    monkeypatch.setattr("gfpose.cli.load_prior", lambda args, checkpoint=None: prior)
    assert main(argv) == 0


def test_lift_and_export_bvh_commands_on_openpose_json(tmp_path, prior, capsys, monkeypatch):
    monkeypatch.setattr("gfpose.media.lift.ffmpeg_executable", lambda: None)  # as on a machine without ffmpeg
    kp = take(3, missing=())
    body_25 = np.zeros((3, 25, 3))
    coco_of_body_25 = list(OPENPOSE_TO_COCO["BODY_25"])
    # COCO-17 from H36M: eyes and ears at the head, the rest by name.
    coco = kp.keypoints[:, [9, 10, 10, 10, 10, 11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3]]
    body_25[:, coco_of_body_25, :2], body_25[:, coco_of_body_25, 2] = coco, 0.9
    folder = tmp_path / "openpose"
    folder.mkdir()
    for i, frame in enumerate(body_25):
        (folder / f"take_{i:04d}_keypoints.json").write_text(
            json.dumps({"people": [{"pose_keypoints_2d": frame.ravel().tolist()}]}))
    run_command(["lift", str(folder), "-o", str(tmp_path / "out"), "--image-size", "1000", "1000", "-S", "2",
                 "--fps", "25"], prior, monkeypatch)
    printed = capsys.readouterr().out
    assert "lifted 3 frames x 2 hypotheses" in printed and "note: no MP4: no ffmpeg found" in printed
    assert not (tmp_path / "out" / "lift.mp4").exists() and (tmp_path / "out" / "lift.gif").exists()
    assert np.load(tmp_path / "out" / "lift.npz")["hypotheses"].shape == (3, 2, 17, 3)
    run_command(["export-bvh", str(tmp_path / "out" / "lift.npz"), "-o", str(tmp_path / "again.bvh")], prior,
                monkeypatch)
    assert "Frame Time: 0.04" in (tmp_path / "again.bvh").read_text()  # the fps stored in lift.npz
