"""Several people per frame: identities tracked across frames (gfpose.data.people) and read from COCO
results and OpenPose files (gfpose.data.keypoints.load_people) on a synthetic two-person take: two
people walking on crossing paths, one of them leaving the frame and coming back, jittered detections,
missed detections, a spurious one, detections listed in random order."""

import json

import numpy as np
import pytest

from gfpose.data.detector_files import OPENPOSE_TO_COCO
from gfpose.data.keypoints import load_keypoints, load_people
from gfpose.data.people import look_distance, track_people
from gfpose.errors import InputError

SIZE = (800, 480)
FRAMES = 70
AWAY = range(50, 58)  # person 0 is out of the frame
# A standing person, COCO-17 [x, y] px about the mid-hip, y down (nose, eyes, ears, shoulders,
# elbows, wrists, hips, knees, ankles; left before right).
STANDING = np.array([
    (0, -150), (-5, -155), (5, -155), (-12, -150), (12, -150), (-25, -115), (25, -115),
    (-32, -65), (32, -65), (-35, -20), (35, -20), (-15, 0), (15, 0), (-17, 50), (17, 50),
    (-18, 100), (18, 100)], dtype=float)


def take(seed: int = 0):
    """Per frame the detections (K, 17, 3) in random order and who each one is (0, 1, or -1 spurious)."""
    rng = np.random.default_rng(seed)
    arms = STANDING.copy()
    arms[[7, 9], 1] -= (40, 90)  # person 1 waves its left arm
    frames, who = [], []
    for t in range(FRAMES):
        people = []
        if t not in AWAY:  # person 0: left to right, 9 px per frame
            people.append((0, STANDING + (100 + 9 * t, 300)))
        # person 1: right to left, a little further away; missed at times, but not while person 0 is away (a
        # COCO results file has no entry for an image without detections, so that frame would not exist)
        if rng.random() > 0.05 or t in AWAY:
            people.append((1, 0.85 * arms + (700 - 8 * t, 280)))
        if t in (12, 13):  # a spurious detection
            people.append((-1, rng.uniform((50, 50), (750, 430), (17, 2))))
        rows = [np.concatenate([xy + rng.normal(0, 3, xy.shape), rng.uniform(0.5, 1, (17, 1))], 1)
                for _, xy in people]
        order = rng.permutation(len(people))
        frames.append(np.array([rows[i] for i in order]).reshape(-1, 17, 3))
        who.append(np.array([people[i][0] for i in order], dtype=int))
    return frames, who


def write_coco(path, frames, people=None):
    doc = [{"image_id": t, "category_id": 1, "keypoints": rows.ravel().tolist(), "score": float(rows[:, 2].mean())}
           for t, detections in enumerate(frames) for k, rows in enumerate(detections)
           if people is None or k in people[t]]
    path.write_text(json.dumps(doc))
    return path


def write_openpose(folder, frames):
    folder.mkdir()
    body25 = OPENPOSE_TO_COCO["BODY_25"]
    for t, detections in enumerate(frames):
        people = []
        for rows in detections:
            flat = np.zeros((25, 3))
            flat[list(body25)] = rows
            people.append({"pose_keypoints_2d": flat.ravel().tolist()})
        (folder / f"take_{t:012d}_keypoints.json").write_text(json.dumps({"version": 1.3, "people": people}))
    return folder


def test_tracker_never_swaps_crossing_people_and_keeps_one_through_a_gap():
    frames, who = take()
    tracks = track_people(frames)
    assert tracks.keypoints.shape == (2, FRAMES, 17, 3)
    for p in range(2):
        identities = {int(who[t][k]) for t, k in enumerate(tracks.detection[p]) if k >= 0}
        assert len(identities) == 1, f"track {p} holds people {identities}"
        (person,) = identities
        present = [t for t in range(FRAMES) if person in who[t]]
        assert [t for t in range(FRAMES) if tracks.detection[p, t] >= 0] == present  # never split, never lost
        missing = np.setdiff1d(np.arange(FRAMES), present)
        assert np.isnan(tracks.keypoints[p, missing, :, :2]).all() and (tracks.keypoints[p, missing, :, 2] == 0).all()
    # the person found in more frames (person 0, but for its 8 frames away) comes first
    assert {int(who[t][tracks.detection[0, t]]) for t in range(FRAMES) if tracks.detection[0, t] >= 0} == \
        ({0} if sum(0 in w for w in who) > sum(1 in w for w in who) else {1})


@pytest.mark.parametrize("seed", range(5))
def test_tracker_over_seeds(seed):
    frames, who = take(seed)
    tracks = track_people(frames)
    assert len(tracks.keypoints) == 2
    for p in range(2):
        assert len({int(who[t][k]) for t, k in enumerate(tracks.detection[p]) if k >= 0}) == 1


def test_a_far_detection_starts_a_new_identity_and_a_long_gap_ends_one():
    person = np.concatenate([STANDING + (200, 300), np.ones((17, 1))], 1)
    frames = [person[None]] * 5 + [(person + (400, 0, 0))[None]] * 5
    assert len(track_people(frames).keypoints) == 2  # jumped 400 px: another person
    frames = [person[None]] * 5 + [np.zeros((0, 17, 3))] * 4 + [person[None]] * 5
    assert len(track_people(frames, max_gap=5).keypoints) == 1
    assert len(track_people(frames, max_gap=3).keypoints) == 2
    assert len(track_people(frames, max_gap=3, min_frames=6).keypoints) == 2  # too short, but the longest
    assert len(track_people(frames[:-3], max_gap=3, min_frames=3).keypoints) == 1  # 5 frames, then 2: dropped
    assert track_people([]).keypoints.shape[:2] == (0, 0)


def overlapping_take(seed: int = 0):
    """Two people standing 10 px apart (one in front of the other, as in the two-person clip's
    cam03): per frame the detector finds one of them at random, with 5 px jitter; their looks
    (one region, 4 bins): mostly red and mostly blue, with noise. Returns (frames, looks, who)."""
    rng = np.random.default_rng(seed)
    frames, looks, who = [], [], []
    for _ in range(40):
        person = int(rng.integers(2))
        xy = STANDING + (300 + 10 * person, 300) + rng.normal(0, 5, STANDING.shape)
        frames.append(np.concatenate([xy, np.ones((17, 1))], 1)[None])
        look = np.array([0.85, 0.05, 0.05, 0.05]) if person == 0 else np.array([0.05, 0.05, 0.85, 0.05])
        look = look + rng.uniform(0, 0.05, 4)
        looks.append((look / look.sum())[None, None])
        who.append(np.array([person]))
    return frames, looks, who


def test_looks_tell_apart_two_people_whose_2d_overlaps():
    """The 2D alone puts both people in one track (who the detector found swaps back and forth); with
    their looks each track holds one person, every frame of theirs."""
    frames, looks, who = overlapping_take()
    alone = track_people(frames)
    assert len(alone.keypoints) == 1 and len({int(w[0]) for w in who}) == 2
    tracks = track_people(frames, looks=looks)
    assert len(tracks.keypoints) == 2
    for p in range(2):
        held = [t for t in range(40) if tracks.detection[p, t] >= 0]
        (person,) = {int(who[t][0]) for t in held}
        assert held == [t for t in range(40) if who[t][0] == person]
    with pytest.raises(InputError, match="looks"):
        track_people(frames, looks=looks[:-1])


def test_look_distance_is_hellinger_over_shared_regions():
    """Hand-worked: equal looks 0, disjoint 1, (1, 0) vs (1/2, 1/2) sqrt(1 - 1/sqrt(2)); a region only
    one look has does not count, and no shared region (or no look) says nothing: 0."""
    red, blue, half = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]])
    assert look_distance(red, red) == 0.0 and look_distance(red, blue) == pytest.approx(1.0)
    assert look_distance(red, half) == pytest.approx(np.sqrt(1 - np.sqrt(0.5)))
    unseen = np.full((1, 2), np.nan)
    assert look_distance(np.concatenate([red, red]), np.concatenate([red, unseen])) == 0.0
    assert look_distance(np.concatenate([red, blue]), np.concatenate([blue, unseen])) == pytest.approx(1.0)
    assert look_distance(red, unseen) == 0.0 and look_distance(None, red) == 0.0


@pytest.mark.parametrize("writer", ["coco", "openpose"])
def test_files_give_one_track_per_person_equal_to_that_person_alone(tmp_path, writer):
    frames, who = take()
    path = (write_coco(tmp_path / "results.json", frames) if writer == "coco"
            else write_openpose(tmp_path / "openpose", frames))
    people = load_people(path, image_size=SIZE)
    assert len(people) == 2 and all(p.keypoints.shape == (FRAMES, 17, 2) for p in people)
    assert all(p.joints == "detector" for p in people)
    for person in people:
        # who is it: the generating person whose detection it holds in a frame where it is found
        t = int(np.flatnonzero(~np.isnan(person.keypoints).all(axis=(1, 2)))[0])
        alone_rows = [[k for k in range(len(who[s])) if who[s][k] == who_of(person, frames, who, t)]
                      for s in range(FRAMES)]
        alone = np.full((FRAMES, 17, 3), np.nan)
        alone[..., 2] = 0
        for s, ks in enumerate(alone_rows):
            if ks:
                alone[s] = frames[s][ks[0]]
        # the same person read alone (one detection per frame, NaN where absent): identical keypoints,
        # so identical lifts
        single = write_coco(tmp_path / "alone.json", [a[None] for a in alone])
        reference = load_keypoints(single, image_size=SIZE)
        present = [s for s in range(FRAMES) if alone_rows[s]]
        np.testing.assert_array_equal(person.keypoints[present], reference.keypoints[present])
        np.testing.assert_array_equal(person.confidence[present], reference.confidence[present])
        absent = np.setdiff1d(np.arange(FRAMES), present)
        assert np.isnan(person.keypoints[absent]).all() and (person.confidence[absent] == 0).all()


def who_of(person, frames, who, t) -> int:
    """The generating identity of the detection ``person`` (H36M) holds in frame ``t``."""
    from gfpose.data.keypoints import coco_to_h36m

    for k, rows in enumerate(frames[t]):
        h36m, _ = coco_to_h36m(rows[None, :, :2], rows[None, :, 2])
        if np.allclose(h36m[0], person.keypoints[t], atol=1e-3, equal_nan=True):
            return int(who[t][k])
    raise AssertionError(f"frame {t}: the track's keypoints are no detection of that frame")


def test_one_person_reader_takes_the_most_present_and_warns(tmp_path):
    frames, who = take()
    path = write_coco(tmp_path / "results.json", frames)
    with pytest.warns(UserWarning, match=r"results.json: 2 people tracked .*load_people"):
        one = load_keypoints(path, image_size=SIZE)
    np.testing.assert_array_equal(one.keypoints, load_people(path, image_size=SIZE)[0].keypoints)


def test_one_detection_per_frame_is_one_person_however_far_it_moves(tmp_path):
    """COCO results of unrelated images (one person each, anywhere): one person, every image kept."""
    rng = np.random.default_rng(7)
    frames = [np.concatenate([STANDING + rng.uniform((100, 200), (700, 300)), np.ones((17, 1))], 1)[None]
              for _ in range(6)]
    (person,) = load_people(write_coco(tmp_path / "photos.json", frames), image_size=SIZE)
    assert not np.isnan(person.keypoints).any()


def test_gfpose_files_are_one_person(tmp_path):
    kp = np.random.default_rng(3).uniform(100, 400, (4, 17, 2))
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"keypoints": kp.tolist(), "image_size": [500, 500]}))
    (person,) = load_people(path)
    np.testing.assert_allclose(person.keypoints, kp, rtol=1e-6)


def bad_files(tmp_path):
    frames, _ = take()
    short = [{"image_id": 0, "keypoints": frames[0][0].ravel().tolist()},
             {"image_id": 1, "keypoints": [1.0] * 48}]
    infinite = [{"image_id": 0, "keypoints": [1e40] * 51}]
    nan_only = [{"image_id": t, "keypoints": [float("nan")] * 51} for t in range(3) for _ in range(2)]
    nan_one = [{"image_id": t, "keypoints": [float("nan")] * 51} for t in range(3)]
    openpose = tmp_path / "short_op"
    openpose.mkdir()
    (openpose / "a_keypoints.json").write_text(json.dumps({"people": [{"pose_keypoints_2d": [1.0] * 60}]}))
    empty = tmp_path / "empty_op"
    empty.mkdir()
    for t in range(3):
        (empty / f"f{t}_keypoints.json").write_text(json.dumps({"people": []}))
    return {
        "keypoint count": (short, r"short.json: entry 1 \(image_id 1\): keypoints have shape \(48,\); expected 51"),
        "infinite": (infinite, r"infinite.json: entry 0 \(image_id 0\): keypoints .*(infinite|not numbers)"),
        "only NaN": (nan_only, r"only NaN.json: no person with at least 3 keypoints found in any of its 3 frames"),
        "only NaN, one a frame": (nan_one, r"only NaN, one a frame.json: no frame has any keypoint"),
        "empty list": ([], r"empty list.json: no person results"),
        "openpose count": (openpose, r"short_op/a_keypoints.json: people\[0\].pose_keypoints_2d is not"),
        "openpose no people": (empty, r"empty_op: no people detected in any of its 3 frames"),
    }


@pytest.mark.parametrize("case", ["keypoint count", "infinite", "only NaN", "only NaN, one a frame", "empty list",
                                  "openpose count", "openpose no people"])
def test_bad_files_name_the_file_and_the_problem(tmp_path, case):
    content, message = bad_files(tmp_path)[case]
    if isinstance(content, list):
        path = tmp_path / {"keypoint count": "short.json"}.get(case, f"{case}.json")
        path.write_text(json.dumps(content))
    else:
        path = content
    for read in (load_people, load_keypoints):
        with pytest.raises(InputError, match=message):
            read(path, image_size=SIZE)


def test_detector_file_needs_the_image_size(tmp_path):
    frames, _ = take()
    with pytest.raises(InputError, match=r"results.json: detector keypoint files do not record the image size"):
        load_people(write_coco(tmp_path / "results.json", frames))
