"""Lifting a take (gfpose.media.lift) end to end on a few frames, and the lift / export-bvh commands."""

import json

import bvhio
import numpy as np
import pytest

from gfpose import PosePrior
from gfpose.cli import main
from gfpose.data.cameras import to_training_camera
from gfpose.data.detector_files import OPENPOSE_TO_COCO
from gfpose.data.keypoints import Keypoints2D
from gfpose.errors import InputError
from gfpose.media.animation import ffmpeg_executable
from gfpose.media.lift import lift, lift_keypoints
from gfpose.sequences.lift import DEFAULT_FPS, hypothesis_spread, select_track

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
    assert np.isnan(z["hypotheses"][2]).all() and np.isnan(z["track"][2]).all() and np.isnan(z["central"][2]).all()
    assert np.isfinite(z["track"][[0, 1, 3]]).all() and np.isfinite(z["central"][[0, 1, 3]]).all()
    np.testing.assert_allclose(z["track"][:, 0][[0, 1, 3]], 0, atol=1e-3)  # root-relative
    np.testing.assert_array_equal(z["confidence"][2], 0)
    assert z["focal_px"].tolist() == [1145.0] * 4
    assert len(bvhio.readAsHierarchy(str(result.bvh[0])).Keyframes) == 4
    assert result.gif.stat().st_size > 0
    assert (result.mp4 is not None) == (ffmpeg_executable() is not None)
    assert result.mp4 is None or result.mp4.stat().st_size > 0
    assert any("1 of 4 frames have no person" in note for note in result.notes)
    # Placed where the 2D puts it: on the optical axis, at the depth where the lifted pose's size makes
    # the 2D's size (similar triangles: 4 m x the lifted pose's size / the true one's).
    seen = [0, 1, 3]
    size = np.linalg.norm(z["track"][seen] - z["track"][seen].mean(axis=1, keepdims=True), axis=-1).mean(axis=1)
    true_size = np.linalg.norm(STANDING - STANDING.mean(axis=0), axis=-1).mean()
    np.testing.assert_allclose(z["root"][seen, 2], 4000 * size / true_size, rtol=0.08)
    np.testing.assert_allclose(z["root"][seen, :2], 0, atol=60)
    assert np.isnan(z["root"][2]).all() and z["contacts"].shape == (4, 2)
    r50, r90 = z["radius50_mm"], z["radius90_mm"]
    assert r90.shape == (4, 17) and np.isnan(r90[2]).all()
    assert (r90[[0, 1, 3], 1:] >= r50[[0, 1, 3], 1:]).all()  # the 90% ball holds the 50% one
    assert len((tmp_path / "out" / "track_contacts.csv").read_text().splitlines()) == 1 + 4
    assert len((tmp_path / "out" / "uncertainty.csv").read_text().splitlines()) == 1 + 4 * 17


def test_track_skips_frames_without_a_person_and_spread_is_rms():
    hyps = np.zeros((4, 3, 17, 3), dtype=np.float32)
    hyps[1] = np.nan  # no person in frame 1
    keypoints = np.full((4, 17, 2), 500.0, dtype=np.float32)
    keypoints[:, :, 1] += np.arange(17) * 20.0
    track = select_track(hyps, Keypoints2D(keypoints, None, np.full((4, 2), 1000.0, dtype=np.float32)), fps=30.0).track
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


def body_25(kp: Keypoints2D) -> np.ndarray:
    """(T, 25, 3) OpenPose BODY_25 [x, y, confidence] of H36M keypoints: COCO-17 by name, eyes and
    ears at the head; a frame without the person is None."""
    out = np.zeros((len(kp.keypoints), 25, 3))
    coco = kp.keypoints[:, [9, 10, 10, 10, 10, 11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3]]
    out[:, list(OPENPOSE_TO_COCO["BODY_25"]), :2], out[:, list(OPENPOSE_TO_COCO["BODY_25"]), 2] = coco, 0.9
    return [None if np.isnan(frame).any() else frame for frame in out]


def write_openpose(folder, people: list[Keypoints2D]):
    """An OpenPose folder, one *_keypoints.json per frame listing the people present (in reverse order
    of `people` in odd frames, as a detector lists them in any order)."""
    folder.mkdir()
    frames = [body_25(person) for person in people]
    for i in range(len(frames[0])):
        present = [person[i] for person in frames if person[i] is not None]
        listed = present[::-1] if i % 2 else present
        (folder / f"take_{i:04d}_keypoints.json").write_text(
            json.dumps({"people": [{"pose_keypoints_2d": frame.ravel().tolist()} for frame in listed]}))
    return folder


def test_two_people_are_lifted_as_each_alone(tmp_path, prior):
    """Two people side by side, the second gone from frames 3-4: one track each, the same as lifting
    each on its own (same seed), the left one first (seen in more frames); one BVH each."""
    left, right = take(6, missing=()), take(6, missing=(3, 4))
    left.keypoints[..., 0] -= 250
    right.keypoints[..., 0] += 250
    folder = write_openpose(tmp_path / "openpose", [left, right])
    result = lift(prior, folder, tmp_path / "out", image_size=SIZE, num_hypotheses=3)
    z = np.load(result.npz)
    assert int(z["people"]) == 2 and [p.name for p in result.bvh] == ["person0_track.bvh", "person1_track.bvh"]
    assert z["person1_missing_frames"].tolist() == [3, 4] and len(z["person0_missing_frames"]) == 0
    assert result.lifted_frames == 10
    for i, person in enumerate((left, right)):
        alone = prior.lift_take(z[f"person{i}_keypoints_2d"], SIZE, DEFAULT_FPS, 3, z[f"person{i}_confidence"],
                                joints="detector")
        np.testing.assert_allclose(z[f"person{i}_track"], alone.track, atol=1e-3, equal_nan=True)
        seen = np.isfinite(person.keypoints).all(axis=(1, 2))
        np.testing.assert_allclose(z[f"person{i}_keypoints_2d"][seen][:, [1, 4, 11, 14]],
                                   person.keypoints[seen][:, [1, 4, 11, 14]], atol=1e-3)  # hips and shoulders
        assert len(bvhio.readAsHierarchy(str(result.bvh[i])).Keyframes) == 6


def test_lift_and_export_bvh_commands_on_openpose_json(tmp_path, prior, capsys, monkeypatch):
    monkeypatch.setattr("gfpose.media.lift.ffmpeg_executable", lambda: None)  # as on a machine without ffmpeg
    folder = write_openpose(tmp_path / "openpose", [take(3, missing=())])
    run_command(["lift", str(folder), "-o", str(tmp_path / "out"), "--image-size", "1000", "1000", "-S", "2",
                 "--fps", "25"], prior, monkeypatch)
    printed = capsys.readouterr().out
    assert "lifted 3 frames x 2 hypotheses" in printed and "note: no MP4: no ffmpeg found" in printed
    assert not (tmp_path / "out" / "lift.mp4").exists() and (tmp_path / "out" / "lift.gif").exists()
    lifted = np.load(tmp_path / "out" / "lift.npz")
    assert lifted["hypotheses"].shape == (3, 2, 17, 3)
    assert str(lifted["joint_definition"]) == "detector"  # OpenPose's joints: gfpose score fits their definition
    run_command(["export-bvh", str(tmp_path / "out" / "lift.npz"), "-o", str(tmp_path / "again.bvh")], prior,
                monkeypatch)
    assert "Frame Time: 0.04" in (tmp_path / "again.bvh").read_text()  # the fps stored in lift.npz
