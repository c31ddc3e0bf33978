"""Clean a motion-capture take, BVH in and BVH out: the body's pose by denoise_sequence; the pelvis
trajectory by least squares with the jitter as its data noise and a prior on its acceleration, the
feet held still while in contact (the method's `contacts`, the default:
gfpose.sequences.contacts.clean_with_contacts, unpinned; without, the temporal prior's smoother,
gfpose.sequences.smoothing); then, with the guided method, the body cleaned again with those
contacting ankles held at rest in the world by the sampler itself (gfpose.sequences.guidance.FeetAtRest);
other methods get the ankles pinned instead. The contacts go beside the BVH (``<name>_contacts.csv``,
gfpose.media.bvh_export.write_contacts_csv).

The model works on root-relative poses in a camera frame (x right, y down, z forward); a take's
world poses (+z up, gfpose.data.bvh) are viewed by a level camera looking along +y for it and
turned back afterwards. The output is gfpose's H36M-17 skeleton (gfpose.media.bvh_export), which
gfpose.data.rigs.GFPOSE_RIG reads back.
"""

from pathlib import Path

import numpy as np

from gfpose.data.bvh import bvh_fps, load_bvh
from gfpose.data.rigs import find_rig
from gfpose.media.bvh_export import contacts_path, export_bvh, write_contacts_csv
from gfpose.sequences.api import denoise_sequence, sequence_method
from gfpose.sequences.contacts import WORLD_UP, PlacedTrack, clean_with_contacts
from gfpose.sequences.damage import DEFAULT_NOISE_MM
from gfpose.sequences.guidance import FeetAtRest

WORLD_TO_LEVEL_CAMERA = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # x, -z, y
# std (mm per coordinate) of a contacting ankle's world step in the second, feet-at-rest pass; chosen
# among 0.1-10 mm on benchmarks/sequences/clean_skate.py (docs/results/clean_skate.json)
FEET_AT_REST_MM = 0.3


def clean_world_take(prior, world_mm, fps: float, noise_mm: float = DEFAULT_NOISE_MM, method: str | None = None,
                     seed: int = 0, **settings) -> PlacedTrack:
    """World poses (T, 17, 3) mm (+z up) with jitter of std noise_mm -> the cleaned take: its
    root-relative body, its world root path and its foot contacts (all False without the method's
    `contacts`; module docstring)."""
    world = np.asarray(world_mm, dtype=np.float64)
    root = world[:, 0]
    method = sequence_method("denoise", method, **settings)
    seen = (world - root[:, None]) @ WORLD_TO_LEVEL_CAMERA.T

    def clean(feet=None) -> np.ndarray:
        return denoise_sequence(prior, seen, noise_mm, fps, method.name, seed, feet, **settings) @ WORLD_TO_LEVEL_CAMERA

    body = clean()
    if not method.contacts:
        return PlacedTrack(body, method.prior(fps).smooth_track(root, noise_mm), np.zeros((len(body), 2), dtype=bool))
    if method.name != "guided":
        return clean_with_contacts(body, root, noise_mm, fps, WORLD_UP)
    held = clean_with_contacts(body, root, noise_mm, fps, WORLD_UP, pin=False)
    return PlacedTrack(clean(FeetAtRest(held.contacts, held.root @ WORLD_TO_LEVEL_CAMERA.T, FEET_AT_REST_MM)),
                       held.root, held.contacts)


def denoise_bvh(prior, in_path, out_path, rig: str = "bandai", noise_mm: float = DEFAULT_NOISE_MM,
                method: str | None = None, seed: int = 0, **settings) -> np.ndarray:
    """Read a take with `rig` (a shipped rig's name or a rig file: gfpose.data.rigs.find_rig), clean it
    (clean_world_take) and write it to out_path as BVH, its foot contacts beside it; returns the
    clean world poses (T, 17, 3) mm, +z up."""
    world = load_bvh(Path(in_path), find_rig(rig))
    fps = bvh_fps(in_path)
    placed = clean_world_take(prior, world, fps, noise_mm, method, seed, **settings)
    write_contacts_csv(contacts_path(out_path), placed.contacts, fps)
    export_bvh(placed.points, out_path, fps, frame="world")
    return placed.points
