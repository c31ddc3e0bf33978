"""Skeleton augmentation of world poses for training: new body proportions and mirror images.

A motion-capture set is usually retargeted to one skeleton, so a prior trained on it learns that
skeleton's proportions along with the poses, and on other people (or on datasets that place hip,
shoulder and neck joints elsewhere) it keeps the training proportions instead of following the 2D
evidence. Each augmented pose keeps its bone directions and gets new bone lengths: one log-uniform
factor per symmetric bone group (both sides alike) times one overall height factor, rebuilt from
the pelvis outwards. The ranges cover the bundled (Bandai Namco), CMU and Human3.6M skeletons,
whose hip widths differ by 2x and shoulder widths by 1.9x (docs/RESULTS.md, "Generalisation").
"""

import torch

from gfpose.geometry import bone_vectors
from gfpose.skeleton import LEFT_JOINTS, PARENTS, RIGHT_JOINTS

# (child joints whose bone to their parent shares one factor, (lowest, highest) factor)
BONE_GROUPS = {
    "hip width": ((1, 4), (0.9, 2.2)),
    "thigh": ((2, 5), (0.85, 1.2)),
    "shank": ((3, 6), (0.85, 1.2)),
    "lower spine": ((7,), (0.8, 1.25)),
    "upper spine": ((8,), (0.5, 1.3)),
    "neck": ((9,), (0.7, 1.5)),
    "head": ((10,), (0.7, 1.3)),
    "shoulder width": ((11, 14), (0.9, 2.0)),
    "upper arm": ((12, 15), (0.85, 1.25)),
    "forearm": ((13, 16), (0.8, 1.2)),
}
HEIGHT_RANGE = (0.85, 1.15)
# Joint j of a mirrored pose is joint MIRROR_ORDER[j] of the original: left and right swapped.
MIRROR_ORDER = tuple(dict(zip(LEFT_JOINTS + RIGHT_JOINTS, RIGHT_JOINTS + LEFT_JOINTS)).get(j, j)
                     for j in range(len(PARENTS)))


def _log_uniform(shape, lo_hi, generator, device) -> torch.Tensor:
    lo, hi = (torch.tensor(v, device=device).log() for v in lo_hi)
    return (lo + (hi - lo) * torch.rand(shape, generator=generator, device=device)).exp()


def bone_factors(count: int, generator: torch.Generator, device=None) -> torch.Tensor:
    """(count, 17) length factors, column j for the bone (PARENTS[j], j); column 0 (the root has no
    bone) is unused."""
    factors = torch.ones(count, len(PARENTS), device=device)
    for joints, lo_hi in BONE_GROUPS.values():
        factors[:, list(joints)] = _log_uniform((count, 1), lo_hi, generator, device)
    return factors * _log_uniform((count, 1), HEIGHT_RANGE, generator, device)


def rescale_bones(poses: torch.Tensor, factors: torch.Tensor) -> torch.Tensor:
    """Poses (B, 17, 3) with every bone (PARENTS[j], j) scaled by factors[:, j], directions kept;
    the pelvis stays where it is."""
    bones = bone_vectors(poses)
    joints = [poses[:, 0]]
    for j in range(1, len(PARENTS)):  # PARENTS lists every parent before its children
        joints.append(joints[PARENTS[j]] + factors[:, j, None] * bones[:, j])
    return torch.stack(joints, dim=1)


def set_bone_lengths(poses: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Poses (B, 17, 3) retargeted to one skeleton: every bone (PARENTS[j], j) set to lengths[j]
    (17,) mm (lengths[0] unused), directions kept."""
    current = torch.linalg.vector_norm(bone_vectors(poses), dim=-1).clamp_min(1e-6)
    return rescale_bones(poses, lengths.to(poses.dtype) / current)


def mirror(poses: torch.Tensor) -> torch.Tensor:
    """The mirror image of world poses (B, 17, 3) in the plane x = 0, left and right joints swapped."""
    flipped = poses * torch.tensor([-1.0, 1.0, 1.0], device=poses.device)
    return flipped[:, list(MIRROR_ORDER)]


def augment_skeletons(poses: torch.Tensor, share: float, mirror_share: float,
                      generator: torch.Generator) -> torch.Tensor:
    """A `share` of the poses (B, 17, 3) with new proportions (bone_factors), then a `mirror_share`
    of all mirrored; the rest unchanged. Draws on the poses' device with `generator`."""
    count, device = len(poses), poses.device
    if share > 0:
        factors = bone_factors(count, generator, device)
        chosen = torch.rand(count, generator=generator, device=device) < share
        poses = rescale_bones(poses, torch.where(chosen[:, None], factors, torch.ones_like(factors)))
    if mirror_share > 0:
        chosen = torch.rand(count, generator=generator, device=device) < mirror_share
        poses = torch.where(chosen[:, None, None], mirror(poses), poses)
    return poses
