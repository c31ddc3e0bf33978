"""Who is who from frame to frame: detections of several people per frame -> one track per person.

Input: per frame an array (K_t, J, 3) of the K_t people a detector found, [x, y, confidence] px in
any layout (a joint with a NaN coordinate or confidence <= 0 is missing; K_t may be 0). Output
(:func:`track_people`): per person an array (T, J, 3) over every frame, NaN and confidence 0 where
that person was not found.

Frame by frame, every live identity predicts where it is (its last keypoints moved by its recent
velocity, constant-velocity extrapolation, which carries two people through crossing paths), and
the detections are assigned to identities by the Hungarian method
(``scipy.optimize.linear_sum_assignment``) on a cost: the mean distance of the joints both have,
divided by the smaller person's size (the diagonal of its keypoints' bounding box), the smaller of the
distances to the prediction and to the last position seen. A pair costing more than ``max_cost``
(about one body size) is never made: such a detection starts a new identity. An identity not
found keeps its place for ``max_gap`` frames (a person hidden or out of the frame comes back
under the same identity), then ends. Identities found in fewer than ``min_frames`` frames are
dropped (spurious detections), unless that would drop every one.

With ``looks`` (what each detection looks like: per region a colour histogram, as
gfpose.media.appearance.person_look makes them from a video's frames), an identity also keeps its
look (a running mean of its detections' looks), the Hellinger distance between the two,
sqrt(1 - sum sqrt(p q)) averaged over the regions both have (:func:`look_distance`), is added to a
pair's cost, and a pair further apart than ``max_look`` is never made: where two people overlap
and the detector finds only one of them, the 2D alone cannot say who it is, their clothes can.

People are ordered by the number of frames they were found in (most first), then by the sum of
their keypoints' confidences, then by the frame they first appeared in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from gfpose.errors import InputError

# Gate: the mean joint distance / person size above which no assignment is made (at 1.0 a track jumped to
# the other person in the two-person clip; docs/results/people_footage.json).
MAX_COST = 0.5
MAX_GAP = 30          # frames an identity not found keeps its place (1 s at 30 fps)
MIN_FRAMES = 3        # identities found in fewer frames are dropped
MIN_JOINTS = 3        # a detection with fewer found joints is ignored; a pair must share this many
VELOCITY_MEMORY = 0.5  # share of the previous velocity kept when a new one is measured
# Gate on the look distance: in the two-person clip a person's looks in consecutive frames are at
# most 0.24 apart (0.46 where the two overlap), the two people's at least 0.70 (benchmarks/footage/
# people_vs_reference.py's cameras where both are found).
MAX_LOOK = 0.6
LOOK_MEMORY = 0.8     # share of an identity's look kept when a new one is seen
_NO = 1e6             # cost of a forbidden pair


@dataclass
class Tracks:
    """``keypoints`` (P, T, J, 3) [x, y, confidence] px per person and frame (NaN, 0 where absent) and
    ``detection`` (P, T) int: which of frame t's detections is person p (-1: none)."""

    keypoints: np.ndarray
    detection: np.ndarray

    @property
    def frames_present(self) -> np.ndarray:
        """(P,) number of frames each person was found in."""
        return (self.detection >= 0).sum(axis=1)


@dataclass
class _Identity:
    first: int
    last_seen: int
    keypoints: np.ndarray                       # (J, 2) at last_seen, NaN = missing
    look: np.ndarray | None = None              # (R, B) running mean of its looks, NaN rows = region unseen
    velocity: np.ndarray = field(default_factory=lambda: np.zeros(2))  # px per frame, whole body
    frames: dict = field(default_factory=dict)  # frame -> detection index

    def predicted(self, frame: int) -> np.ndarray:
        return self.keypoints + self.velocity * (frame - self.last_seen)

    def update(self, frame: int, keypoints: np.ndarray, index: int, look: np.ndarray | None = None) -> None:
        if look is not None:
            self.look = look if self.look is None else np.where(
                np.isnan(self.look), look, np.where(np.isnan(look), self.look,
                                                    LOOK_MEMORY * self.look + (1 - LOOK_MEMORY) * look))
        common = ~np.isnan(keypoints).any(1) & ~np.isnan(self.keypoints).any(1)
        if common.any():
            step = (keypoints[common] - self.keypoints[common]).mean(0) / (frame - self.last_seen)
            self.velocity = (VELOCITY_MEMORY * self.velocity + (1 - VELOCITY_MEMORY) * step
                             if len(self.frames) > 1 else step)
        # joints not found now keep their last position (moved on), so the next frame can compare them
        self.keypoints = np.where(np.isnan(keypoints), self.predicted(frame), keypoints)
        self.last_seen = frame
        self.frames[frame] = index


def found_joints(rows: np.ndarray) -> np.ndarray:
    """(..., J) bool: joints with finite coordinates and confidence > 0 (NaN confidence: missing)."""
    return np.isfinite(rows[..., :2]).all(-1) & (rows[..., 2] > 0)


def person_size(xy: np.ndarray) -> float:
    """Diagonal px of the bounding box of the found joints of (J, 2) keypoints (NaN = missing)."""
    found = xy[~np.isnan(xy).any(1)]
    return float(np.hypot(*(found.max(0) - found.min(0)))) if len(found) else np.nan


def pair_cost(a: np.ndarray, b: np.ndarray) -> float:
    """Mean distance of the joints two (J, 2) keypoint sets both have, over the smaller person size (so
    a detection scattered over the image is no near match); inf when they share fewer than MIN_JOINTS
    joints."""
    both = ~np.isnan(a).any(1) & ~np.isnan(b).any(1)
    if both.sum() < MIN_JOINTS:
        return np.inf
    size = max(min(person_size(a[both]), person_size(b[both])), 1.0)
    return float(np.linalg.norm(a[both] - b[both], axis=1).mean() / size)


def look_distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    """Mean Hellinger distance over the regions two looks (R, B) (histograms summing to 1, NaN rows
    for regions not seen) both have: 0 for equal looks, 1 for disjoint ones; 0 when either is None or
    they share no region (nothing to tell them apart)."""
    if a is None or b is None:
        return 0.0
    both = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    if not both.any():
        return 0.0
    overlap = np.sqrt(a[both] * b[both]).sum(axis=1)
    return float(np.sqrt(np.clip(1.0 - overlap, 0.0, 1.0)).mean())


def track_people(frames: Sequence[np.ndarray], *, looks: Sequence[np.ndarray] | None = None,
                 max_cost: float = MAX_COST, max_gap: int = MAX_GAP, min_frames: int = MIN_FRAMES,
                 max_look: float = MAX_LOOK) -> Tracks:
    """Identities across frames of ``frames`` (T arrays (K_t, J, 3) [x, y, confidence]); see the module
    docstring. ``looks``: None, or per frame an array (K_t, R, B) of its detections' looks. The arrays
    are taken as checked (finite or NaN numbers, one J throughout)."""
    from scipy.optimize import linear_sum_assignment  # here: training and the CLI's start need no scipy

    if looks is not None and len(looks) != len(frames):
        raise InputError(f"looks: {len(looks)} frames of looks for {len(frames)} frames of detections")
    done: list[_Identity] = []
    live: list[_Identity] = []
    joints = next((np.shape(f)[1] for f in frames if np.ndim(f) == 3), 0)
    if not joints:
        return Tracks(np.zeros((0, len(frames), 0, 3), np.float32), np.zeros((0, len(frames)), np.int64))
    for t, rows in enumerate(frames):
        rows = np.asarray(rows, dtype=np.float64).reshape(-1, joints, 3)
        found = found_joints(rows)
        xy = np.where(found[..., None], rows[..., :2], np.nan)
        usable = [k for k in range(len(rows)) if found[k].sum() >= MIN_JOINTS]
        for identity in [i for i in live if t - i.last_seen > max_gap]:
            live.remove(identity)
            done.append(identity)
        look = [None] * len(rows) if looks is None else list(np.asarray(looks[t], dtype=np.float64))
        cost = np.full((len(live), len(usable)), _NO)
        for a, identity in enumerate(live):
            predicted, gap = identity.predicted(t), t - identity.last_seen
            for b, k in enumerate(usable):
                c = min(pair_cost(predicted, xy[k]), pair_cost(identity.keypoints, xy[k]))
                apart = look_distance(identity.look, look[k])
                if c <= max_cost and apart <= max_look:
                    cost[a, b] = c + apart + 1e-3 * gap  # of two equal fits, the identity seen more recently
        taken = set()
        for a, b in zip(*linear_sum_assignment(cost)):
            if cost[a, b] < _NO:
                live[a].update(t, xy[usable[b]], usable[b], look[usable[b]])
                taken.add(b)
        for b, k in enumerate(usable):
            if b not in taken:
                identity = _Identity(first=t, last_seen=t, keypoints=xy[k], look=look[k])
                identity.frames[t] = k
                live.append(identity)
    people = done + live
    if people:
        keep = min(min_frames, max(len(i.frames) for i in people))
        people = [i for i in people if len(i.frames) >= keep]

    def confidence(identity: _Identity) -> float:
        rows = [frames[t][k] for t, k in identity.frames.items()]
        return float(sum(r[found_joints(r), 2].sum() for r in rows))

    people.sort(key=lambda i: (-len(i.frames), -confidence(i), i.first))
    out = np.full((len(people), len(frames), joints, 3), np.nan, dtype=np.float32)
    out[..., 2] = 0.0
    detection = np.full((len(people), len(frames)), -1, dtype=np.int64)
    for p, identity in enumerate(people):
        for t, k in identity.frames.items():
            out[p, t] = frames[t][k]
            detection[p, t] = k
    return Tracks(out, detection)
