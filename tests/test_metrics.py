import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gfpose.errors import InputError
from gfpose.metrics import (
    auc,
    auc_best,
    best_hypothesis,
    format_table,
    joint_errors,
    mean_mpjpe,
    min_mpjpe,
    mpjpe,
    p_mpjpe,
    pck,
    pck_best,
    per_action_table,
)


def random_poses(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return 300.0 * torch.randn(n, 17, 3, generator=g, dtype=torch.float64)


def offset_joints(gt, errors):
    """gt with joint j moved by errors[j] mm along x (root error must be 0 for hand-worked numbers)."""
    out = gt.clone()
    out[..., 0] += torch.as_tensor(errors, dtype=gt.dtype)
    return out


def test_mpjpe_hand_worked():
    # Root at (10, 0, 0); joint 1 at (13, 4, 12): after root-centring it is off by |(3, 4, 12)| = 13.
    pred = torch.tensor([[10.0, 0, 0], [13, 4, 12]])
    gt = torch.zeros(2, 3)
    assert mpjpe(pred, gt).item() == pytest.approx(13 / 2)
    # Three joints: errors 0 (root), 5 = |(3, 4, 0)| and 2 = |(0, 0, 2)| -> mean 7 / 3.
    pred = torch.tensor([[0.0, 0, 0], [3, 4, 0], [1, 1, 3]])
    gt = torch.tensor([[0.0, 0, 0], [0, 0, 0], [1, 1, 1]])
    assert mpjpe(pred, gt).item() == pytest.approx(7 / 3)


def test_mpjpe_is_translation_invariant_per_pose():
    gt = random_poses(4, seed=1)
    pred = gt + 20 * torch.randn(4, 17, 3, dtype=torch.float64)
    shift = 1000 * torch.randn(4, 1, 3, dtype=torch.float64)
    torch.testing.assert_close(mpjpe(pred + shift, gt), mpjpe(pred, gt))
    torch.testing.assert_close(mpjpe(pred, gt - shift), mpjpe(pred, gt))


def test_p_mpjpe_zero_for_similarity_transform_and_mpjpe_not():
    gt = random_poses(2, seed=2)
    rot = torch.tensor([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]], dtype=torch.float64)  # 90 deg about z
    pred = 1.7 * gt @ rot.T + torch.tensor([50.0, -20, 3000], dtype=torch.float64)
    assert p_mpjpe(pred, gt).abs().max() < 1e-8
    assert (mpjpe(pred, gt) > 100).all()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), noise=st.floats(1.0, 500.0))
def test_procrustes_rms_error_never_exceeds_root_aligned(seed, noise):
    # Root-centring is one of the similarity transforms Procrustes searches, and Procrustes
    # minimises the squared error, so its RMS joint error cannot be larger.
    gt = random_poses(3, seed)
    pred = gt + noise * torch.randn(3, 17, 3, generator=torch.Generator().manual_seed(seed + 1), dtype=gt.dtype)
    rms = [joint_errors(pred, gt, p).pow(2).mean(-1).sqrt() for p in (1, 2)]
    assert (rms[1] <= rms[0] + 1e-9).all()


def test_p_mpjpe_below_mpjpe_for_noisy_estimates():
    # Mean joint error (unlike RMS) is not a theorem, but holds for ordinary per-joint noise.
    gt = random_poses(200, seed=3)
    pred = gt + 40 * torch.randn(200, 17, 3, generator=torch.Generator().manual_seed(4), dtype=gt.dtype)
    assert (p_mpjpe(pred, gt) <= mpjpe(pred, gt)).all()


def test_min_and_mean_over_hypotheses_hand_worked():
    gt = random_poses(2, seed=5)
    # Moving all 16 non-root joints by d gives MPJPE 16 d / 17.
    d = torch.tensor([[30.0, 10.0, 20.0], [5.0, 40.0, 1.0]], dtype=torch.float64)
    errs = torch.cat([torch.zeros(2, 3, 1, dtype=gt.dtype), d[..., None].expand(2, 3, 16)], -1)
    hyps = gt[:, None].expand(2, 3, 17, 3).clone()
    hyps[..., 0] += errs
    torch.testing.assert_close(min_mpjpe(hyps, gt), torch.tensor([10.0, 1.0], dtype=gt.dtype) * 16 / 17)
    torch.testing.assert_close(mean_mpjpe(hyps, gt), torch.tensor([20.0, 46 / 3], dtype=gt.dtype) * 16 / 17)
    torch.testing.assert_close(best_hypothesis(hyps, gt), hyps[[0, 1], [1, 2]])
    assert (min_mpjpe(hyps, gt, protocol=2) <= min_mpjpe(hyps, gt) + 1e-9).all()


def test_hypotheses_shape_checked():
    with pytest.raises(InputError, match="hypotheses"):
        min_mpjpe(torch.zeros(2, 17, 3), torch.zeros(2, 17, 3))
    with pytest.raises(InputError, match="protocol"):
        min_mpjpe(torch.zeros(2, 4, 17, 3), torch.zeros(2, 17, 3), protocol=3)


def test_pck_hand_worked():
    gt = torch.zeros(1, 17, 3)
    # Root (always exact after root-centring) + joints 1-9 at 100 mm: 10 of 17 within 150 mm.
    pred = offset_joints(gt, [0] + [100] * 9 + [200] * 7)
    assert pck(pred, gt).item() == pytest.approx(10 / 17)
    # The 3DHP script counts error < threshold: exactly 150 mm is a miss.
    pred = offset_joints(gt, [0] + [150] * 16)
    assert pck(pred, gt).item() == pytest.approx(1 / 17)
    assert pck(pred, gt, joints=range(1, 17)).item() == 0.0


def test_auc_hand_worked():
    gt = random_poses(3, seed=6)
    # 31 thresholds 0, 5, ..., 150 mm; a perfect joint fails only the strict test at 0.
    assert torch.allclose(auc(gt, gt), torch.full((3,), 30 / 31, dtype=gt.dtype))
    far = offset_joints(gt, [0] + [151] * 16)
    assert (auc(far, gt, joints=range(1, 17)) == 0).all()
    assert torch.allclose(auc(far, gt), torch.full((3,), 30 / 31 / 17, dtype=gt.dtype))  # only the root
    # Errors of 12 mm pass thresholds 15..150: 28 of 31.
    mid = offset_joints(gt, [0] + [12] * 16)
    assert auc(mid, gt, joints=range(1, 17))[0].item() == pytest.approx(28 / 31)
    torch.testing.assert_close(auc(mid, gt, thresholds=[150.0]), pck(mid, gt))


def test_pck_and_auc_of_best_hypothesis():
    gt = random_poses(1, seed=7)
    good = offset_joints(gt, [0] + [100] * 16)
    bad = offset_joints(gt, [0] + [400] * 16)
    hyps = torch.stack([bad, good, bad], dim=1)
    assert pck_best(hyps, gt).item() == 1.0
    torch.testing.assert_close(auc_best(hyps, gt), auc(good, gt))


def test_metrics_are_per_sample_so_chunks_concatenate():
    gt = random_poses(6, seed=8)
    pred = gt + 30 * torch.randn(6, 17, 3, dtype=gt.dtype)
    for fn in (mpjpe, p_mpjpe, pck, auc):
        whole = fn(pred, gt)
        assert whole.shape == (6,)
        torch.testing.assert_close(torch.cat([fn(pred[:2], gt[:2]), fn(pred[2:], gt[2:])]), whole)


def test_nan_pose_gives_nan_metric_only_for_that_pose():
    gt = random_poses(3, seed=9)
    pred = gt.clone()
    pred[2, 3] = float("nan")
    for fn in (mpjpe, p_mpjpe):
        out = fn(pred, gt)
        assert torch.isnan(out[2]) and torch.allclose(out[:2], torch.zeros(2, dtype=gt.dtype), atol=1e-6)


def test_per_action_avg_is_mean_of_action_means():
    actions = np.array(["Walking", "Eating", "Walking", "Walking"])
    table = per_action_table({"P1": np.array([1.0, 10.0, 2.0, 3.0]), "P2": torch.tensor([0.0, 4.0, 0.0, 3.0])},
                             actions)
    assert table["P1"] == {"Eating": 10.0, "Walking": 2.0, "Avg": 6.0}  # the per-sample mean would be 4
    assert table["P2"] == {"Eating": 4.0, "Walking": 1.0, "Avg": 2.5}
    assert list(table["P1"]) == ["Eating", "Walking", "Avg"]
    with pytest.raises(InputError, match="P1"):
        per_action_table({"P1": np.zeros(3)}, actions)


def test_format_table_layout():
    rows = {"Ours (S=200)": {"Directions": 26.44, "Walking": 23.06, "Avg": 24.75},
            "Baseline": {"Directions": 40.0, "Avg": 40.0}}
    text = format_table(rows, title="Protocol #1", digits=1)
    title, header, first, second = text.splitlines()
    assert title == "Protocol #1"
    assert header.split() == ["Direct", "Walkin", "Avg"]
    assert first.split()[-3:] == ["26.4", "23.1", "24.8"] and first.startswith("Ours (S=200)")
    assert second.split()[-3:] == ["40.0", "-", "40.0"]
    assert len({len(header), len(first), len(second)}) == 1


def test_format_by_action_puts_actions_in_rows():
    from gfpose.metrics import format_by_action
    table = {"P1": {"walk-turn-left": 10.0, "walk-turn-right": 30.0, "Avg": 20.0},
             "P2": {"walk-turn-left": 5.0, "walk-turn-right": 7.0, "Avg": 6.0}}
    lines = format_by_action(table).splitlines()
    assert lines[0].split() == ["P1", "P2"]
    assert lines[1].split() == ["walk-turn-left", "10.0", "5.0"] and lines[3].split() == ["Avg", "20.0", "6.0"]
