"""Augmentation of world poses for training: new body proportions, mirror images, recombined limbs.

A motion-capture set is usually retargeted to one skeleton, so a prior trained on it learns that
skeleton's proportions along with the poses, and on other people (or on datasets that place hip,
shoulder and neck joints elsewhere) it keeps the training proportions instead of following the 2D
evidence. Each augmented pose keeps its bone directions and gets new bone lengths: one log-uniform
factor per symmetric bone group (both sides alike) times one overall height factor, rebuilt from
the pelvis outwards. The ranges cover the bundled (Bandai Namco), CMU and Human3.6M skeletons,
whose hip widths differ by 2x and shoulder widths by 1.9x (docs/RESULTS.md, "Generalisation").

Limb recombination makes new poses from real ones: an arm or a leg is taken from another pose of
the batch, its bone directions carried from the donor's torso frame into the recipient's (so each
limb keeps its pose relative to the body it hangs from, and the recipient keeps its root
orientation and trunk), with the recipient's bone lengths.
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
# limb: (its joints below the hip or shoulder, outwards; the torso frame it moves with)
LIMBS = {"r_leg": ((2, 3), "hips"), "l_leg": ((5, 6), "hips"),
         "r_arm": ((15, 16), "shoulders"), "l_arm": ((12, 13), "shoulders")}
# frame: (right joint, left joint, lower and upper joint of its "up" axis)
TORSO_FRAMES = {"hips": (1, 4, 0, 7), "shoulders": (14, 11, 8, 9)}
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


def torso_frames(poses: torch.Tensor, frame: str) -> torch.Tensor:
    """(B, 3, 3) rotations whose columns are a torso's right-to-left axis, its forward axis and its
    up axis (orthonormalised, Gram-Schmidt) for poses (B, 17, 3); `frame` names TORSO_FRAMES."""
    right, left, low, high = TORSO_FRAMES[frame]
    across = torch.nn.functional.normalize(poses[:, left] - poses[:, right], dim=-1)
    up = poses[:, high] - poses[:, low]
    up = torch.nn.functional.normalize(up - (up * across).sum(-1, keepdim=True) * across, dim=-1)
    return torch.stack([across, torch.linalg.cross(up, across), up], dim=-1)


def recombine_limbs(poses: torch.Tensor, share: float, generator: torch.Generator) -> torch.Tensor:
    """A `share` of the poses (B, 17, 3) get each of their four limbs, with probability 1/2, from
    another pose of the batch (a random donor per limb): the donor's bone directions in its torso
    frame, put in the recipient's frame, with the recipient's bone lengths; the rest unchanged."""
    count, device = len(poses), poses.device
    chosen = torch.rand(count, generator=generator, device=device) < share
    bones = bone_vectors(poses)
    lengths = torch.linalg.vector_norm(bones, dim=-1, keepdim=True)
    frames = {name: torso_frames(poses, name) for name in TORSO_FRAMES}
    out = poses.clone()
    for chain, frame in LIMBS.values():
        swap = chosen & (torch.rand(count, generator=generator, device=device) < 0.5)
        donor = torch.randint(count, (count,), generator=generator, device=device)
        # world direction of the donor's bone, expressed in the recipient's frame: R_i R_k^T d_k
        local = torch.einsum("bji,bnj->bni", frames[frame][donor], bones[donor][:, list(chain)])
        moved = torch.einsum("bij,bnj->bni", frames[frame], local)
        moved = torch.nn.functional.normalize(moved, dim=-1) * lengths[:, list(chain)]
        joint = poses[:, PARENTS[chain[0]]]
        for k, j in enumerate(chain):
            joint = joint + moved[:, k]
            out[:, j] = torch.where(swap[:, None], joint, poses[:, j])
    return out


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
