"""Clean a motion-capture take, BVH in and BVH out: the body's pose by denoise_sequence, the pelvis
trajectory by the same temporal prior (gfpose.sequences.smoothing) with the jitter as its data noise.

The model works on root-relative poses in a camera frame (x right, y down, z forward); a take's
world poses (+z up, gfpose.data.bvh) are viewed by a level camera looking along +y for it and
turned back afterwards. The output is gfpose's H36M-17 skeleton (gfpose.media.bvh_export), which
gfpose.data.rigs.GFPOSE_RIG reads back.
"""

from pathlib import Path

import bvhio
import numpy as np

from gfpose.data.bvh import load_bvh
from gfpose.data.rigs import find_rig
from gfpose.media.bvh_export import export_bvh
from gfpose.sequences.api import denoise_sequence, sequence_method
from gfpose.sequences.damage import DEFAULT_NOISE_MM

WORLD_TO_LEVEL_CAMERA = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # x, -z, y


def bvh_fps(path) -> float:
    """The frame rate of a BVH file (1 / its Frame Time)."""
    return 1.0 / bvhio.readAsBvh(str(path), loadKeyFrames=False).FrameTime


def denoise_bvh(prior, in_path, out_path, rig: str = "bandai", noise_mm: float = DEFAULT_NOISE_MM,
                method: str | None = None, seed: int = 0, **settings) -> np.ndarray:
    """Read a take with `rig` (a shipped rig's name or a rig file: gfpose.data.rigs.find_rig), clean it
    (jitter of std noise_mm per coordinate) and write it to out_path as BVH; returns the clean world
    poses (T, 17, 3) mm, +z up."""
    world = load_bvh(Path(in_path), find_rig(rig)).astype(np.float64)
    fps = bvh_fps(in_path)
    root = world[:, :1]
    body = denoise_sequence(prior, (world - root) @ WORLD_TO_LEVEL_CAMERA.T, noise_mm, fps, method, seed, **settings)
    trajectory = sequence_method("denoise", method, **settings).prior(fps).smooth_track(root, noise_mm)
    clean = body @ WORLD_TO_LEVEL_CAMERA + trajectory
    export_bvh(clean, out_path, fps, frame="world")
    return clean
