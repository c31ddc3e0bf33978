"""Hierarchical masking: strategy strings and the frequencies of each level (Sec. 4.3)."""

import math

import pytest
import torch

from gfpose.masking import MaskStrategy, gaps_are_whole_parts, part_mask, sample_condition_is_3d, sample_keep_mask
from gfpose.skeleton import BODY_PARTS


@pytest.mark.parametrize("spec, expected", [
    ("HPJ-010", (0.0, 0.1, 0.0, 0.0)), ("HPJ-001", (0.0, 0.0, 0.1, 0.0)),
    ("HPJ-020", (0.0, 0.2, 0.0, 0.0)), ("HPJ-T00", (1.0, 0.0, 0.0, 0.0)),
    ("hpj-121", (0.1, 0.2, 0.1, 0.0)), ("U2D", (0.1, 0.1, 0.1, 0.0)), ("U3D", (0.1, 0.1, 0.1, 0.1)),
])
def test_parse(spec, expected):
    s = MaskStrategy.parse(spec)
    assert (s.p_human, s.p_part, s.p_joint, s.p_3d) == pytest.approx(expected)


@pytest.mark.parametrize("bad", ["HPJ-01", "HPJ-0100", "PJ-010", "HPJ-0x0", ""])
def test_parse_rejects(bad):
    with pytest.raises(ValueError, match="HPJ"):
        MaskStrategy.parse(bad)


def _within_binomial(count, n, p, sigmas=5.0):
    return abs(count - n * p) <= sigmas * math.sqrt(n * p * (1 - p)) + 1


def test_each_level_masks_at_its_rate():
    n = 40000
    gen = torch.Generator().manual_seed(0)
    human = sample_keep_mask(n, MaskStrategy(0.3, 0.0, 0.0), gen)
    assert (human.all(1) | ~human.any(1)).all()  # the human level masks all joints together
    assert _within_binomial(int((~human.any(1)).sum()), n, 0.3)

    parts = sample_keep_mask(n, MaskStrategy(0.0, 0.2, 0.0), gen)
    for joints in BODY_PARTS.values():
        block = parts[:, list(joints)]
        assert (block.all(1) | ~block.any(1)).all()  # a part is kept or masked as a whole
        assert _within_binomial(int((~block.any(1)).sum()), n, 0.2)

    joints = sample_keep_mask(n, MaskStrategy(0.0, 0.0, 0.1), gen)
    assert _within_binomial(int((~joints).sum()), n * 17, 0.1)


def test_levels_combine_as_a_product():
    n = 40000
    keep = sample_keep_mask(n, MaskStrategy(0.1, 0.2, 0.1), torch.Generator().manual_seed(1))
    # P(joint kept) = (1 - p_h)(1 - p_p)(1 - p_j)
    assert _within_binomial(int(keep[:, 3].sum()), n, 0.9 * 0.8 * 0.9)


def test_3d_condition_rate():
    n = 40000
    is_3d = sample_condition_is_3d(n, MaskStrategy.parse("U3D"), torch.Generator().manual_seed(2))
    assert _within_binomial(int(is_3d.sum()), n, 0.1)


def test_part_mask():
    assert part_mask("r_leg", "l_arm").nonzero().flatten().tolist() == [1, 2, 3, 11, 12, 13]
    with pytest.raises(ValueError, match="body part"):
        part_mask("tail")


@pytest.mark.parametrize("hidden, whole", [
    ((), True), ((1, 2, 3), True), ((1, 2, 3, 11, 12, 13), True), ((0, 7, 8, 9, 10), True),
    ((16,), False), ((0,), False), ((1, 2, 3, 16), False), (tuple(range(17)), False),
])
def test_gaps_are_whole_parts(hidden, whole):
    """Whole parts (right leg, right leg + left arm, the torso) or nothing hidden: True; a single
    joint, a cut part or everything hidden: False."""
    keep = torch.ones(2, 17, dtype=torch.bool)
    keep[1, list(hidden)] = False
    assert gaps_are_whole_parts(keep).tolist() == [True, whole]
