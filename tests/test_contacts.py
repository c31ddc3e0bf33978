"""Foot contact, foot skate and contact-aware placement (gfpose.sequences.contacts) on hand-made
tracks with closed-form answers, the contacts sidecar of a BVH, and takes on their global path."""

from pathlib import Path

import numpy as np
import pytest
import torch

from gfpose.errors import InputError
from gfpose.media.bvh_export import contacts_path, export_bvh, read_contacts_csv, write_contacts_csv
from gfpose.sequences.contacts import (
    FEET,
    KNEES,
    TRUE_CONTACTS,
    ContactSettings,
    ankle_image_speed,
    clean_with_contacts,
    contact_roots,
    contact_segments,
    detect_contacts,
    estimate_up,
    foot_skate,
    observed_roots,
    pin_feet,
    place_with_contacts,
)
from gfpose.sequences.evaluate import skate_metrics
from gfpose.sequences.guidance import FeetAtRest
from gfpose.sequences.paths import root_translation
from gfpose.sequences.takes import fixed_camera_views, load_takes, take_from_bvh

SEQUENCES = Path(__file__).resolve().parents[1] / "benchmarks/data/sequences.npz"
FOCAL, CENTER = 1000.0, np.array([500.0, 500.0])


def standing(frames: int) -> np.ndarray:
    """(T, 17, 3) mm world (z up) of a person standing still, ankles 80 mm above the floor."""
    pose = np.zeros((17, 3))
    pose[:, 2] = np.linspace(900.0, 1700.0, 17)  # every other joint well above the ankles
    pose[:, 0] = np.linspace(-200.0, 200.0, 17)
    pose[0] = (0.0, 0.0, 950.0)
    pose[FEET[0]], pose[FEET[1]] = (-100.0, 0.0, 80.0), (100.0, 0.0, 80.0)
    pose[KNEES[0]], pose[KNEES[1]] = (-100.0, 0.0, 500.0), (100.0, 0.0, 500.0)
    return np.repeat(pose[None], frames, axis=0)


def test_contact_of_a_planted_and_a_swinging_foot():
    """Right foot still on the floor, left lifted 200 mm and swung fast from frame 10: the right is in
    contact throughout, the left only before it lifts."""
    world = standing(30)
    world[10:, FEET[1], 2] += 200.0
    world[10:, FEET[1], 0] += 30.0 * np.arange(20)  # 30 mm/frame = 900 mm/s at 30 fps
    contacts = detect_contacts(world, 30.0)
    assert contacts[:, 0].all()
    assert contacts[:9, 1].all() and not contacts[10:, 1].any()
    assert contact_segments(contacts) == [(0, 0, 30), (1, 0, 9)]


def test_contact_needs_a_slow_foot():
    """A foot on the floor that slides faster than speed_mm_s is not in contact; slower, it is."""
    world = standing(20)
    world[:, FEET[0], 1] += 10.0 * np.arange(20)  # 10 mm/frame = 300 mm/s
    assert not detect_contacts(world, 30.0, settings=TRUE_CONTACTS)[:, 0].any()
    assert detect_contacts(world, 30.0, settings=ContactSettings(speed_mm_s=400.0))[:, 0].all()


def test_foot_skate_is_the_horizontal_slide_per_contact_frame():
    """Closed form: an ankle sliding 3 mm/frame along x and 4 mm/frame along y while bobbing
    vertically slides 5 mm per frame pair; frame pairs without contact at both ends do not count."""
    world = standing(11)
    world[:, FEET[0], 0] += 3.0 * np.arange(11)
    world[:, FEET[0], 1] += 4.0 * np.arange(11)
    world[:, FEET[0], 2] += 7.0 * (np.arange(11) % 2)
    world[:, FEET[1], 0] += 50.0 * np.arange(11)
    contacts = np.zeros((11, 2), dtype=bool)
    contacts[:, 0] = True
    contacts[5, 1] = True  # a single frame: no pair
    assert foot_skate(world, contacts) == pytest.approx(5.0)
    assert np.isnan(foot_skate(world, np.zeros((11, 2), dtype=bool)))
    # The floor plane follows `up`: with x up, the slide is the y (4) and z (7 or 0) parts.
    assert foot_skate(world, contacts, up=(1.0, 0.0, 0.0)) == pytest.approx(np.mean(
        [np.hypot(4.0, 7.0)] * 10))
    with pytest.raises(InputError):
        foot_skate(world, contacts[:5])


def test_up_of_a_tilted_body():
    """The up direction of a standing pose rotated by a known rotation is the rotated z."""
    angle = np.radians(25.0)
    rotation = np.array([[1.0, 0.0, 0.0], [0.0, np.cos(angle), -np.sin(angle)], [0.0, np.sin(angle), np.cos(angle)]])
    world = standing(4)
    world[:, FEET[0], 0] = world[:, FEET[1], 0] = 0.0  # the thorax straight above the ankles' midpoint
    world[:, 8] = (0.0, 0.0, 1400.0)
    np.testing.assert_allclose(estimate_up(world @ rotation.T), rotation @ [0.0, 0.0, 1.0], atol=1e-12)


def camera_take(frames: int = 40, seed: int = 0):
    """A person walking across a camera's view at constant speed (camera frame: x right, y down,
    z forward, 5 m away, 0.9 m/s) with the right foot planted, the left gliding: (root-relative
    track, true root, exact 2D)."""
    rng = np.random.default_rng(seed)
    body = standing(frames)[:, :, [0, 2, 1]] * np.array([1.0, -1.0, 1.0])  # world z up -> camera y down
    body += rng.normal(0.0, 30.0, (1, 17, 3))                               # an irregular body
    root = np.stack([np.linspace(-600.0, 600.0, frames), np.full(frames, 100.0), np.full(frames, 5000.0)], axis=1)
    placed = body - body[:, :1] + root[:, None]
    placed[:, FEET[0]] = placed[0, FEET[0]]  # planted: still in the camera (= world) frame
    keypoints = FOCAL * placed[..., :2] / placed[..., 2:] + CENTER
    return placed - placed[:, :1], root, keypoints


def test_contact_roots_recovers_a_root_in_constant_motion():
    """Exact 2D of a track whose root moves at constant velocity: the acceleration prior costs
    nothing there, so the solved root is the true one, with or without contacts that are true."""
    track, root, keypoints = camera_take()
    np.testing.assert_allclose(contact_roots(track, keypoints, FOCAL, CENTER, 30.0), root, atol=1e-6)
    contacts = np.zeros((len(track), 2), dtype=bool)
    contacts[:, 0] = True
    np.testing.assert_allclose(contact_roots(track, keypoints, FOCAL, CENTER, 30.0, contacts), root, atol=1e-6)
    # ... and it is the per-frame least squares of gfpose.sequences.paths.root_translation.
    per_frame = root_translation(torch.from_numpy(track), torch.from_numpy(keypoints),
                                 torch.full((len(track),), FOCAL, dtype=torch.float64),
                                 torch.from_numpy(np.tile(CENTER, (len(track), 1))))
    np.testing.assert_allclose(per_frame.numpy(), root, atol=1e-6)


def test_held_contact_removes_the_slide_of_a_depth_jittered_track():
    """A track whose size jitters frame to frame (the depth ambiguity of a lifted track) slides in
    depth when each frame is placed on its 2D; held contacts and pinning keep the planted foot still."""
    track, root, keypoints = camera_take()
    rng = np.random.default_rng(1)
    jittered = track * rng.uniform(0.95, 1.05, (len(track), 1, 1))
    contacts = np.zeros((len(track), 2), dtype=bool)
    contacts[:, 0] = True
    per_frame = root_translation(torch.from_numpy(jittered), torch.from_numpy(keypoints),
                                 torch.full((len(track),), FOCAL, dtype=torch.float64),
                                 torch.from_numpy(np.tile(CENTER, (len(track), 1)))).numpy()
    up = (0.0, -1.0, 0.0)
    before = foot_skate(jittered + per_frame[:, None], contacts, up)
    held = contact_roots(jittered, keypoints, FOCAL, CENTER, 30.0, contacts)
    after = foot_skate(jittered + held[:, None], contacts, up)
    pinned = pin_feet(jittered, held, contacts)
    assert before > 20.0
    assert after < before / 4
    assert foot_skate(pinned + held[:, None], contacts, up) < 1e-9


def test_ankle_image_speed_is_px_speed_at_the_ankles_depth():
    """Closed form: an ankle moving 3 px a frame at 30 fps, 5 m away, focal 1000 px: 3 x 30 x 5000 / 1000
    = 450 mm/s; a still one 0; NaN where it or a neighbour it is differenced with is missing."""
    keypoints = np.zeros((6, 17, 2))
    keypoints[:, FEET[0], 0] = 3.0 * np.arange(6)
    keypoints[2, FEET[1]] = np.nan
    speed = ankle_image_speed(keypoints, 1000.0, np.full((6, 2), 5000.0), 30.0)
    np.testing.assert_allclose(speed[:, 0], 450.0)
    assert (speed[[0, 4, 5], 1] == 0).all() and np.isnan(speed[[1, 2, 3], 1]).all()


def test_a_foot_still_in_the_image_is_in_contact_however_the_3d_jitters():
    """The planted foot of a track whose size jitters slides in depth once placed (3D speed far above
    500 mm/s): the 3D rule misses the contact, the foot's still 2D finds it; the gliding foot, fast in
    the image, is never in contact."""
    track, root, keypoints = camera_take()
    jittered = track * np.random.default_rng(1).uniform(0.95, 1.05, (len(track), 1, 1))
    placed = jittered + root[:, None]
    up = (0.0, -1.0, 0.0)
    image_speed = ankle_image_speed(keypoints, FOCAL, placed[:, FEET, 2], 30.0)
    without = detect_contacts(placed, 30.0, up)
    with_2d = detect_contacts(placed, 30.0, up, image_speed=image_speed)
    assert without[:, 0].mean() < 0.5 and with_2d[:, 0].all()
    assert not with_2d[:, 1].any()


def test_pin_feet_moves_ankle_to_segment_mean_and_knee_by_its_share():
    """Closed form: in a contact segment the placed ankle becomes the segment's mean, the knee moves
    by knee_share of the ankle's move, other joints and other frames are untouched."""
    track = standing(6)
    track[:, FEET[1], 0] += np.arange(6.0)  # placed positions 0..5 mm along x with root 0
    contacts = np.zeros((6, 2), dtype=bool)
    contacts[1:5, 1] = True  # positions 1..4: mean 2.5
    pinned = pin_feet(track, np.zeros((6, 3)), contacts, ContactSettings(knee_share=0.5))
    np.testing.assert_allclose(pinned[1:5, FEET[1], 0], 100.0 + 2.5)
    np.testing.assert_allclose(pinned[1:5, KNEES[1], 0] - track[1:5, KNEES[1], 0], 0.5 * (2.5 - np.arange(1.0, 5.0)))
    changed = np.zeros(17, dtype=bool)
    changed[[FEET[1], KNEES[1]]] = True
    np.testing.assert_array_equal(pinned[:, ~changed], track[:, ~changed])
    np.testing.assert_array_equal(pinned[[0, 5]], track[[0, 5]])


def test_place_with_contacts_on_exact_input_keeps_the_track():
    """Exact 2D and a true track: the planted foot is found and nothing moves by more than a mm."""
    track, root, keypoints = camera_take()
    placed = place_with_contacts(track, keypoints, FOCAL, CENTER, 30.0)
    assert placed.contacts[2:-2, 0].all()
    np.testing.assert_allclose(placed.root, root, atol=1.0)
    np.testing.assert_allclose(placed.track, track, atol=1.0)
    np.testing.assert_allclose(placed.points, track + placed.root[:, None])


def world_take(frames: int = 60):
    """A person walking along x at 0.9 m/s (world frame, z up, 30 fps), the right foot planted
    throughout, the left swinging high: (root-relative track, true root path)."""
    root = np.stack([np.linspace(-900.0, 900.0, frames), np.zeros(frames), np.full(frames, 950.0)], axis=1)
    placed = standing(frames) - standing(1)[:, :1] + root[:, None]
    placed[:, FEET[0]] = placed[0, FEET[0]]                    # planted: still in the world
    placed[:, FEET[1], 2] += 150.0 + 100.0 * np.sin(np.linspace(0.0, 6.0, frames))  # off the floor
    return placed - placed[:, :1], root


def test_observed_roots_keeps_an_exact_root_in_constant_motion():
    """An exactly observed root at constant velocity: the acceleration prior costs nothing and the
    true contacts hold, so the solved root is the observed one."""
    track, root = world_take()
    contacts = np.zeros((len(track), 2), dtype=bool)
    contacts[:, 0] = True
    for held in (None, contacts):
        np.testing.assert_allclose(observed_roots(track, root, 20.0, 30.0, held), root, atol=1e-6)
    with pytest.raises(InputError, match="root_mm"):
        observed_roots(track, root[:-1], 20.0, 30.0)


def test_clean_with_contacts_holds_the_planted_foot_of_a_jittery_root():
    """The root of a take observed with 20 mm jitter: smoothed alone, the planted foot still slides;
    with the contact found and held, it slides less than 0.1 mm and the root is closer to the truth
    than the observation (its error well under the jitter's 20 * sqrt(3) mm)."""
    track, root = world_take()
    noisy = root + np.random.default_rng(0).normal(0.0, 20.0, root.shape)
    truth = np.zeros((len(track), 2), dtype=bool)
    truth[:, 0] = True
    smooth = observed_roots(track, noisy, 20.0, 30.0)
    placed = clean_with_contacts(track, noisy, 20.0, 30.0)
    assert placed.contacts[2:-2, 0].all() and not placed.contacts[:, 1].any()
    assert foot_skate(track + smooth[:, None], truth) > 1.0
    assert foot_skate(placed.points, truth) < 0.1
    error = np.linalg.norm(placed.root - root, axis=-1).mean()
    assert error < 0.5 * np.linalg.norm(noisy - root, axis=-1).mean()


def test_feet_at_rest_put_the_root_step_on_the_held_ankles():
    """Hand-worked: 3 frames, the right foot in contact in frames 0-1, the left in 1-2, the root
    stepping (10, 0, 0) then (0, 20, 0); two tracks per frame share the terms."""
    contacts = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    root = np.array([[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [10.0, 20.0, 0.0]])
    weights, offsets = FeetAtRest(contacts, root, contact_mm=0.5).terms(tracks=2, joints=17)
    assert weights.shape == offsets.shape == (2, 2 * 17 * 3)
    w, o = weights.reshape(2, 2, 17, 3), offsets.reshape(2, 2, 17, 3)
    assert (w[0, :, FEET[0]] == 4.0).all() and (w[0, :, FEET[1]] == 0).all()  # 1 / 0.5^2, right foot only
    assert (w[1, :, FEET[1]] == 4.0).all() and (w[1, :, FEET[0]] == 0).all()
    assert w.sum() == 4.0 * 2 * 2 * 3  # nothing but the ankles
    np.testing.assert_array_equal(o[:, 0, FEET[1]], [[10.0, 0.0, 0.0], [0.0, 20.0, 0.0]])
    with pytest.raises(InputError):
        FeetAtRest(contacts, root[:2])


def test_contacts_sidecar_round_trip(tmp_path):
    contacts = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)  # (right, left)
    path = write_contacts_csv(contacts_path(tmp_path / "track.bvh"), contacts, fps=25.0)
    assert path.name == "track_contacts.csv"
    lines = path.read_text().splitlines()
    assert lines[0] == "frame,time_s,left,right"
    assert lines[1:] == ["0,0.000000,0,1", "1,0.040000,1,1", "2,0.080000,1,0"]
    np.testing.assert_array_equal(read_contacts_csv(path), contacts)
    with pytest.raises(InputError):
        write_contacts_csv(tmp_path / "bad.csv", np.zeros((3, 3)), 25.0)


def test_takes_on_their_global_path():
    """sequences.npz keeps each take's root path: the global-path view maps back to its world poses,
    keeps the person in the image, and the true track placed by its true root (or, exactly, by
    its 2D) has the foot skate of the mocap itself, a few mm at most."""
    takes = [t.first(60) for t in load_takes(SEQUENCES) if t.name in ("dataset-1_walk_happy_001", "cmu_walking_1")]
    assert len(takes) == 2 and all(t.root is not None and t.root.shape == (60, 3) for t in takes)
    for view in fixed_camera_views(takes, global_path=True):
        assert (view.keypoints > 0).all() and (view.keypoints < view.image_size).all()
        camera = view.world @ view.rotation.T + view.translation
        np.testing.assert_allclose(view.to_world(camera), view.world, atol=1e-6)
        np.testing.assert_allclose(camera - camera[:, :1], view.track, atol=0.1)
        true = skate_metrics(view, view.track, camera[:, 0])
        by_2d = skate_metrics(view, view.track)
        assert true["P1"] < 1e-3 and true["skate"] < 5.0 and by_2d["reprojection_px"] < 0.01
        assert abs(by_2d["skate"] - true["skate"]) < 0.5
        assert detect_contacts(view.world, view.take.fps, settings=TRUE_CONTACTS).any(axis=0).all()


def test_a_bvh_take_keeps_its_path_at_its_rate(tmp_path):
    """A take written as BVH at 120 fps and read back every 4th frame: 30 fps, the root path and the
    root-relative poses of those frames (the BVH keeps one length per bone: within a few mm)."""
    (walk,) = [t.first(40) for t in load_takes(SEQUENCES) if t.name == "dataset-1_walk_happy_001"]
    track, root = walk.poses.astype(np.float64), walk.root.astype(np.float64)
    world = track + root[:, None]
    export_bvh(world, tmp_path / "walk.bvh", 120.0, frame="world")
    take = take_from_bvh(tmp_path / "walk.bvh", "gfpose", every=4)
    assert take.fps == pytest.approx(30.0) and take.name == "walk" and len(take.poses) == 10
    np.testing.assert_allclose(take.root, root[::4], atol=1.0)
    np.testing.assert_allclose(take.poses, track[::4], atol=5.0)
    with pytest.raises(InputError, match="every"):
        take_from_bvh(tmp_path / "walk.bvh", "gfpose", every=0)
