"""Hierarchical condition masks (Sec. 4.3): M = M_human * M_part * M_joint, and "HPJ-xyz" strategies.

"HPJ-xyz" gives the probabilities of masking the whole condition (x), each of the 5 body parts (y)
and each joint (z) in tenths, with "T" for 1.0 (Sec. 5.2): HPJ-010 masks parts with p = 0.1,
HPJ-T00 always masks the whole condition (an unconditional prior). The unified models of App. F
are "U2D" = HPJ-111 with 2D conditions only and "U3D" = HPJ-111 with a 3D condition drawn with
probability 0.1 instead of the 2D one.
"""

import re
from dataclasses import dataclass

import torch

from gfpose.skeleton import BODY_PARTS, NUM_JOINTS

_ALIASES = {"U2D": ("HPJ-111", 0.0), "U3D": ("HPJ-111", 0.1)}


@dataclass(frozen=True)
class MaskStrategy:
    p_human: float
    p_part: float
    p_joint: float
    p_3d: float = 0.0  # probability that a training sample is conditioned on 3D instead of 2D

    @classmethod
    def parse(cls, spec: str) -> "MaskStrategy":
        """Parse "HPJ-xyz" (digits are tenths, "T" is 1.0) or the aliases "U2D" / "U3D"."""
        spec = spec.strip()
        name, p_3d = _ALIASES.get(spec.upper(), (spec, 0.0))
        match = re.fullmatch(r"HPJ-([0-9T])([0-9T])([0-9T])", name, flags=re.IGNORECASE)
        if not match:
            raise ValueError(f"mask strategy {spec!r}: expected 'HPJ-xyz' with x, y, z in 0-9 or T, or U2D/U3D")
        p_h, p_p, p_j = (1.0 if c.upper() == "T" else int(c) / 10 for c in match.groups())
        return cls(p_h, p_p, p_j, p_3d)


_PART_OF_JOINT = torch.empty(NUM_JOINTS, dtype=torch.long)
for _part, (_name, _joints) in enumerate(BODY_PARTS.items()):
    _PART_OF_JOINT[list(_joints)] = _part


def sample_keep_mask(batch: int, strategy: MaskStrategy, generator=None, device=None) -> torch.Tensor:
    """(B, J) bool, True where the condition joint is kept: the product of the three levels."""
    def bernoulli_keep(shape, p_mask):
        return torch.rand(shape, generator=generator, device=device) >= p_mask

    keep_human = bernoulli_keep((batch, 1), strategy.p_human)
    keep_part = bernoulli_keep((batch, len(BODY_PARTS)), strategy.p_part)
    keep_joint = bernoulli_keep((batch, NUM_JOINTS), strategy.p_joint)
    return keep_human & keep_part[:, _PART_OF_JOINT.to(keep_part.device)] & keep_joint


def sample_condition_is_3d(batch: int, strategy: MaskStrategy, generator=None, device=None) -> torch.Tensor:
    """(B,) bool, True where the sample is conditioned on its 3D pose (the U3D model, App. F)."""
    return torch.rand(batch, generator=generator, device=device) < strategy.p_3d


def part_mask(*parts: str) -> torch.Tensor:
    """(J,) bool, True on the joints of the named body parts (for completion tasks)."""
    mask = torch.zeros(NUM_JOINTS, dtype=torch.bool)
    for part in parts:
        if part not in BODY_PARTS:
            raise ValueError(f"unknown body part {part!r}; expected one of {', '.join(BODY_PARTS)}")
        mask[list(BODY_PARTS[part])] = True
    return mask


def gaps_are_whole_parts(keep: torch.Tensor) -> torch.Tensor:
    """(B, J) keep -> (B,) bool: True where some joint is kept and every body part is kept or hidden
    whole (the only gaps HPJ-010 trains on), False where a part is cut or nothing is kept."""
    part_of_joint = _PART_OF_JOINT.to(keep.device)
    kept = torch.zeros(keep.shape[0], len(BODY_PARTS), device=keep.device).index_add_(1, part_of_joint, keep.float())
    sizes = torch.bincount(part_of_joint, minlength=len(BODY_PARTS)).to(kept)
    return ((kept == 0) | (kept == sizes)).all(dim=1) & keep.any(dim=1)
