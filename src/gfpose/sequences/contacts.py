"""Feet that stay put: foot contact on a placed track, foot skate, and contact-aware placement.

A root-relative track (T, 17, 3) mm walks in place; contact and slide need the global path, the
track placed in the camera (or world) frame: points = track + root (T, 1, 3). H36M-17 has no toe,
so a foot is its ankle (r_ankle, l_ankle), FEET in the order (right, left).

    detect_contacts   a foot is in contact in a frame where its ankle is both low (within height_mm
                      of the take's floor: the 5th percentile over frames of the lower ankle's height
                      along `up`) and slow (3D speed below speed_mm_s, central differences, or,
                      given the 2D, the ankle's speed in the image, ankle_image_speed, below
                      image_speed_mm_s: a foot still in the image while the lifted 3D jitters).
    foot_skate        mm of horizontal slide per contact frame: the mean over feet and frame pairs
                      (t, t + 1) with the foot in contact at both of || (p[t+1] - p[t]) projected on
                      the floor plane ||.
    estimate_up       the up direction of a track in its own frame (camera frame: unknown pitch):
                      the mean direction from the ankles' midpoint to the thorax.
    contact_roots     the root path (T, 3) of a root-relative track by linear least squares over all
                      frames at once: each frame's 2D (the equations of
                      gfpose.sequences.paths.root_translation, scaled to mm at the person), a
                      Gaussian prior on the root's acceleration, and zero velocity of every foot in
                      contact at t and t + 1. Without contacts it is a smooth placement by the 2D.
    observed_roots    the same least squares for a track whose root was observed with jitter (a
                      motion-capture take being cleaned): the observed root as data instead of the 2D.
    pin_feet          moves each contacting ankle to its contact segment's mean placed position
                      (the knee carried by `knee_share` of the move): what the root could not absorb.
    hold_feet         the contact-aware placement: a smooth root path, contacts detected on it, the
                      root solved again with them held, the ankles pinned (place_with_contacts from
                      the 2D of a lifted track, clean_with_contacts from a cleaned take's noisy root).
"""

from dataclasses import dataclass

import numpy as np

from gfpose.errors import InputError

RIGHT_ANKLE, LEFT_ANKLE, RIGHT_KNEE, LEFT_KNEE, THORAX = 3, 6, 2, 5, 8
FEET = (RIGHT_ANKLE, LEFT_ANKLE)  # the columns of a contacts array: (right, left)
KNEES = (RIGHT_KNEE, LEFT_KNEE)
FOOT_NAMES = ("right", "left")
WORLD_UP = (0.0, 0.0, 1.0)


@dataclass(frozen=True)
class ContactSettings:
    """Thresholds of the contact detector and weights of the contact-aware placement."""

    # A predicted track jitters: its detector is looser than the one the metric uses on true
    # motion (TRUE_CONTACTS), and a foot still in the image counts as slow however the lifted 3D
    # moves; chosen on benchmarks/sequences/foot_skate.py (docs/results/foot_skate.json).
    height_mm: float = 200.0      # an ankle this close to the take's floor may be in contact
    speed_mm_s: float = 500.0     # ... and slower than this (mm/s)
    image_speed_mm_s: float = 250.0  # ... or its 2D slower than this (px/s as mm/s at the ankle's depth)
    floor_percentile: float = 5.0
    placement_mm: float = 10.0    # std of the 2D equations, mm at the person (2 px at ~5 m)
    root_step_mm: float = 3.0     # std of the root's acceleration per coordinate, mm/frame^2 at 30 fps
    contact_mm: float = 1.0       # std of a contacting ankle's frame-to-frame displacement, mm
    knee_share: float = 0.5       # pin_feet: share of the ankle's correction given to its knee


# Contact of true (mocap) motion, what foot skate is measured on: low and nearly still.
TRUE_CONTACTS = ContactSettings(height_mm=50.0, speed_mm_s=250.0)
# Cleaning a jittery take (clean_with_contacts): its observed root is better data than a lifted
# track's 2D, so the root may accelerate more and a held foot may move more (held at 1 mm, the
# root follows the cleaned ankles' errors and drifts), and a cleaned take is accurate enough for
# the true contacts' height; chosen on benchmarks/sequences/clean_skate.py (docs/results/clean_skate.json).
CLEANING_CONTACTS = ContactSettings(height_mm=50.0, root_step_mm=10.0, contact_mm=10.0)


def _track(points, name: str = "points") -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[1] <= LEFT_ANKLE or points.shape[2] != 3:
        raise InputError(f"{name} must be a track (T, 17, 3) mm, got shape {points.shape}")
    if not np.isfinite(points[:, FEET]).all():
        raise InputError(f"{name}: the ankles must be finite in every frame")
    return points


def _unit(up) -> np.ndarray:
    up = np.asarray(up, dtype=np.float64)
    norm = np.linalg.norm(up)
    if up.shape != (3,) or not norm > 0:
        raise InputError(f"up must be a non-zero 3-vector, got {up}")
    return up / norm


def has_body(track) -> bool:
    """Whether some frame of a track (T, 17, 3) has its thorax away from its ankles (estimate_up works)."""
    track = np.asarray(track, dtype=np.float64)
    body = np.linalg.norm(track[:, THORAX] - track[:, FEET].mean(axis=1), axis=-1)
    return bool((np.isfinite(body) & (body > 1.0)).any())


def estimate_up(track) -> np.ndarray:
    """(3,) unit up direction of a (root-relative or placed) track (T, 17, 3): the mean direction
    from the midpoint of the ankles to the thorax (an upright body on average)."""
    track = _track(track, "track")
    body = track[:, THORAX] - track[:, FEET].mean(axis=1)
    body = body[np.isfinite(body).all(axis=1) & (np.linalg.norm(body, axis=1) > 1.0)]
    if not len(body):
        raise InputError("track: no frame with the thorax above the ankles")
    return _unit((body / np.linalg.norm(body, axis=1, keepdims=True)).mean(axis=0))


def detect_contacts(points, fps: float, up=WORLD_UP, settings: ContactSettings = ContactSettings(),
                    image_speed=None) -> np.ndarray:
    """(T, 2) bool: foot (right, left) in contact per frame of a placed track (T, 17, 3) mm at `fps`
    (module docstring). `up`: the floor normal in the track's frame (z for the data sets' world
    frame; estimate_up for a camera-frame track). `image_speed`: None, or the ankles' 2D speed (T, 2)
    in mm/s at their depth (ankle_image_speed; NaN where unseen): a low foot slower than
    settings.image_speed_mm_s in the image is in contact too."""
    points = _track(points)
    if len(points) < 2:
        return np.zeros((len(points), 2), dtype=bool)
    feet = points[:, FEET]
    heights = feet @ _unit(up)
    floor = np.percentile(heights.min(axis=1), settings.floor_percentile)
    slow = np.linalg.norm(np.gradient(feet, axis=0), axis=-1) * fps < settings.speed_mm_s
    if image_speed is not None:
        slow |= np.nan_to_num(np.asarray(image_speed, dtype=np.float64), nan=np.inf) < settings.image_speed_mm_s
    return (heights - floor < settings.height_mm) & slow


def ankle_image_speed(keypoints_px, focal_px, depth_mm, fps: float) -> np.ndarray:
    """(T, 2) speed of the ankles (right, left) in the image, mm/s at their depth: the 2D (T, J, 2) px
    (NaN = missing) differentiated over time (central differences) times depth (T, 2) mm / focal
    length (T,) px; NaN where the 2D is missing."""
    ankles = np.asarray(keypoints_px, dtype=np.float64)[:, list(FEET)]
    focal = np.broadcast_to(np.asarray(focal_px, dtype=np.float64), (len(ankles),))
    if len(ankles) < 2:
        return np.full((len(ankles), 2), np.nan)
    speed = np.linalg.norm(np.gradient(ankles, axis=0), axis=-1) * fps * np.asarray(depth_mm) / focal[:, None]
    return np.where(np.isfinite(ankles).all(axis=-1), speed, np.nan)


def foot_skate(points, contacts, up=WORLD_UP) -> float:
    """Mean horizontal slide (mm per contact frame) of the ankles of a placed track (T, 17, 3) mm
    over the frame pairs where `contacts` (T, 2) marks the foot at both frames; the slide is the
    ankle's displacement projected on the plane normal to `up`. NaN when no foot is in contact twice
    in a row."""
    points = _track(points)
    contacts = np.asarray(contacts, dtype=bool)
    if contacts.shape != (len(points), 2):
        raise InputError(f"contacts must be ({len(points)}, 2), got {contacts.shape}")
    up = _unit(up)
    step = np.diff(points[:, FEET], axis=0)  # (T - 1, 2, 3)
    slide = np.linalg.norm(step - (step @ up)[..., None] * up, axis=-1)
    held = contacts[1:] & contacts[:-1]
    return float(slide[held].mean()) if held.any() else float("nan")


def contact_segments(contacts: np.ndarray) -> list[tuple[int, int, int]]:
    """(foot, first, end) of each run of consecutive contact frames of each foot (end exclusive)."""
    segments = []
    for foot in range(contacts.shape[1]):
        flags = np.concatenate([[False], contacts[:, foot], [False]]).astype(np.int8)
        starts, ends = np.flatnonzero(np.diff(flags) == 1), np.flatnonzero(np.diff(flags) == -1)
        segments += [(foot, int(s), int(e)) for s, e in zip(starts, ends)]
    return segments


def _second_difference(frames: int):
    from scipy.sparse import diags  # imported here: training needs no scipy (see gfpose.train)

    return diags([1.0, -2.0, 1.0], [0, 1, 2], shape=(frames - 2, frames))


def contact_roots(track, keypoints_px, focal_px, center_px, fps: float, contacts=None,
                  settings: ContactSettings = ContactSettings()) -> np.ndarray:
    """(T, 3) mm camera-frame root positions placing a root-relative track (T, J, 3) mm on its 2D
    (T, J, 2) px (NaN = missing) seen with focal lengths (T,) and principal points (T, 2) px, solved
    for all frames together (module docstring); `contacts` (T, 2) bool or None."""
    from scipy.sparse import block_diag

    track = _track(track, "track")
    frames, joints = track.shape[:2]
    keypoints = np.asarray(keypoints_px, dtype=np.float64)
    focal = np.broadcast_to(np.asarray(focal_px, dtype=np.float64), (frames,))
    center = np.broadcast_to(np.asarray(center_px, dtype=np.float64), (frames, 2))
    rays = keypoints - center[:, None]
    seen = np.isfinite(rays).all(axis=-1) & np.isfinite(track).all(axis=-1)
    if not seen.any(axis=1).all():
        raise InputError("contact_roots: every frame needs one joint seen in 2D")
    rays, points = np.nan_to_num(rays), np.nan_to_num(track)
    # f (X + Tx) - u' (Z + Tz) = 0 and f (Y + Ty) - v' (Z + Tz) = 0, divided by f: mm at the person's depth.
    blocks, targets = [], []
    for t in range(frames):
        f, w = focal[t], seen[t].astype(np.float64) / settings.placement_mm
        rows = np.concatenate([np.stack([np.full(joints, f), np.zeros(joints), -rays[t, :, 0]], axis=1),
                               np.stack([np.zeros(joints), np.full(joints, f), -rays[t, :, 1]], axis=1)]) / f
        rhs = np.concatenate([rays[t, :, 0] * points[t, :, 2] - f * points[t, :, 0],
                              rays[t, :, 1] * points[t, :, 2] - f * points[t, :, 1]]) / f
        weight = np.concatenate([w, w])
        blocks.append(rows * weight[:, None])
        targets.append(rhs * weight)
    return _solve_roots(block_diag(blocks, format="csr"), np.concatenate(targets), points, fps, contacts, settings)


def observed_roots(track, root_mm, noise_mm: float, fps: float, contacts=None,
                   settings: ContactSettings = ContactSettings()) -> np.ndarray:
    """(T, 3) mm root path of a root-relative track (T, J, 3) mm whose root was observed, root_mm
    (T, 3) with jitter of std noise_mm per coordinate (a motion-capture take's pelvis): the same
    least squares as contact_roots with the observed root as its data instead of the 2D."""
    from scipy.sparse import identity

    track = _track(track, "track")
    root = np.asarray(root_mm, dtype=np.float64)
    if root.shape != (len(track), 3) or not np.isfinite(root).all():
        raise InputError(f"root_mm must be finite, ({len(track)}, 3), got shape {root.shape}")
    if not noise_mm > 0:
        raise InputError(f"noise_mm must be > 0, got {noise_mm}")
    return _solve_roots(identity(3 * len(track), format="csr") / noise_mm, root.reshape(-1) / noise_mm, track, fps,
                        contacts, settings)


def _solve_roots(data, data_rhs, points, fps: float, contacts, settings: ContactSettings) -> np.ndarray:
    """(T, 3) roots: least squares of the weighted data rows (data @ roots = data_rhs), a Gaussian
    prior on the root's acceleration and, for each foot in contact at t and t + 1, zero velocity
    of the placed ankle (points: the root-relative track (T, J, 3) mm, finite)."""
    from scipy.sparse import csr_matrix, identity, kron, vstack
    from scipy.sparse.linalg import spsolve

    frames = len(points)
    system, rhs = [data], [data_rhs]
    if frames > 2:
        step = settings.root_step_mm * (30.0 / fps) ** 2
        system.append(kron(_second_difference(frames), identity(3)) / step)
        rhs.append(np.zeros(3 * (frames - 2)))
    if contacts is not None:
        contacts = np.asarray(contacts, dtype=bool)
        if contacts.shape != (frames, 2):
            raise InputError(f"contacts must be ({frames}, 2), got {contacts.shape}")
        pairs = [(t, foot) for foot in range(2) for t in np.flatnonzero(contacts[1:, foot] & contacts[:-1, foot])]
        if pairs:
            rows, cols, values, goal = [], [], [], []
            for index, (t, foot) in enumerate(pairs):
                for axis in range(3):
                    row = 3 * index + axis
                    rows += [row, row]
                    cols += [3 * (t + 1) + axis, 3 * t + axis]
                    values += [1.0, -1.0]
                    goal.append(points[t, FEET[foot], axis] - points[t + 1, FEET[foot], axis])
            system.append(csr_matrix((np.array(values) / settings.contact_mm, (rows, cols)),
                                     shape=(3 * len(pairs), 3 * frames)))
            rhs.append(np.array(goal) / settings.contact_mm)
    a, b = vstack(system, format="csr"), np.concatenate(rhs)
    return np.asarray(spsolve((a.T @ a).tocsc(), a.T @ b)).reshape(frames, 3)


def pin_feet(track, root, contacts, settings: ContactSettings = ContactSettings()) -> np.ndarray:
    """The root-relative track (T, J, 3) mm with each contacting ankle moved to the mean placed
    position (track + root) of its contact segment, its knee carried by settings.knee_share of the
    move (an IK-free blend; bone lengths change by the move, a few mm)."""
    track = _track(track, "track").copy()
    placed = track[:, FEET] + np.asarray(root, dtype=np.float64)[:, None]
    for foot, first, end in contact_segments(np.asarray(contacts, dtype=bool)):
        move = placed[first:end, foot].mean(axis=0) - placed[first:end, foot]
        track[first:end, FEET[foot]] += move
        track[first:end, KNEES[foot]] += settings.knee_share * move
    return track


@dataclass(frozen=True)
class PlacedTrack:
    """A root-relative track (T, J, 3) mm, its camera-frame root path (T, 3) mm and its feet's
    contacts (T, 2) bool (right, left)."""

    track: np.ndarray
    root: np.ndarray
    contacts: np.ndarray

    @property
    def points(self) -> np.ndarray:
        """(T, J, 3) mm the placed track, camera frame."""
        return self.track + self.root[:, None]


def place_with_contacts(track, keypoints_px, focal_px, center_px, fps: float, pin: bool = True,
                        settings: ContactSettings = ContactSettings()) -> PlacedTrack:
    """A root-relative track and its 2D -> the track placed with its feet kept still in contact:
    a smooth placement by the 2D (contact_roots without contacts), contacts detected on it (the up
    direction estimated from the track), the root solved again with the contacts held, then the
    ankles pinned to what the root could not absorb (pin=True)."""
    track = _track(track, "track")
    up = estimate_up(track) if has_body(track) else None  # no body to stand on: e.g. a collapsed pose
    return hold_feet(track, lambda contacts: contact_roots(track, keypoints_px, focal_px, center_px, fps, contacts,
                                                           settings), fps, up, pin, settings,
                     lambda placed: ankle_image_speed(keypoints_px, focal_px, placed[:, FEET, 2], fps))


def clean_with_contacts(track, root_mm, noise_mm: float, fps: float, up=WORLD_UP, pin: bool = True,
                        settings: ContactSettings = CLEANING_CONTACTS) -> PlacedTrack:
    """A cleaned root-relative track and its noisy observed root path (T, 3) mm (a motion-capture
    take, jitter of std noise_mm) -> the track placed with its feet kept still in contact, as
    place_with_contacts with observed_roots in place of the 2D; `up`: the floor normal (+z for a
    BVH take's world frame)."""
    track = _track(track, "track")
    return hold_feet(track, lambda contacts: observed_roots(track, root_mm, noise_mm, fps, contacts, settings),
                     fps, up, pin, settings)


def hold_feet(track: np.ndarray, solve_roots, fps: float, up, pin: bool = True,
              settings: ContactSettings = ContactSettings(), image_speed=None) -> PlacedTrack:
    """The contact-aware placement of a root-relative track: roots = solve_roots(None), contacts
    detected on the track placed so (floor normal `up`; None: no contacts; image_speed: None or a
    function of the placed track giving detect_contacts' image_speed), roots = solve_roots(contacts),
    then (pin=True) the ankles pinned (pin_feet)."""
    smooth = solve_roots(None)
    if up is None:
        return PlacedTrack(track, smooth, np.zeros((len(track), 2), dtype=bool))
    placed = track + smooth[:, None]
    contacts = detect_contacts(placed, fps, up, settings, None if image_speed is None else image_speed(placed))
    root = solve_roots(contacts)
    if pin:
        track = pin_feet(track, root, contacts, settings)
    return PlacedTrack(track, root, contacts)
