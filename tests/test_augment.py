"""Skeleton augmentation (gfpose.augment), joined data sets and the bone-length metric."""

import numpy as np
import pytest
import torch

from gfpose.augment import (
    BONE_GROUPS,
    HEIGHT_RANGE,
    LIMBS,
    augment_skeletons,
    bone_factors,
    mirror,
    recombine_limbs,
    rescale_bones,
    set_bone_lengths,
    torso_frames,
)
from gfpose.batches import PoseBatches
from gfpose.config import Config
from gfpose.data.poseset import PoseSet, concat
from gfpose.data.specs import open_dataset
from gfpose.errors import InputError
from gfpose.metrics import bone_length_error
from gfpose.skeleton import BONES, H36M_JOINTS


def lengths(poses):
    return torch.stack([(poses[..., j, :] - poses[..., i, :]).norm(dim=-1) for i, j in BONES], -1)


def directions(poses):
    return torch.stack([torch.nn.functional.normalize(poses[..., j, :] - poses[..., i, :], dim=-1)
                        for i, j in BONES], -2)


@pytest.fixture
def poses():
    return torch.as_tensor(open_dataset("bundled", "test", 2000).poses_3d[:64])


def test_rescaled_bones_keep_directions_and_scale_lengths_exactly(poses):
    factors = bone_factors(len(poses), torch.Generator().manual_seed(0))
    out = rescale_bones(poses, factors)
    torch.testing.assert_close(lengths(out), lengths(poses) * factors[:, 1:], rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(directions(out), directions(poses), rtol=0, atol=1e-4)
    torch.testing.assert_close(out[:, 0], poses[:, 0])


def test_retargeted_poses_have_the_given_bone_lengths(poses):
    target = torch.arange(17, dtype=torch.float32) * 10 + 50
    out = set_bone_lengths(poses, target)
    torch.testing.assert_close(lengths(out), target[1:].expand(len(poses), 16), rtol=1e-4, atol=1e-3)
    torch.testing.assert_close(directions(out), directions(poses), rtol=0, atol=1e-4)


def test_factors_are_symmetric_and_within_their_ranges():
    factors = bone_factors(4000, torch.Generator().manual_seed(1))
    low, high = HEIGHT_RANGE
    for joints, (lo, hi) in BONE_GROUPS.values():
        group = factors[:, list(joints)]
        assert (group == group[:, :1]).all()  # left and right alike
        assert group.min() >= lo * low - 1e-6 and group.max() <= hi * high + 1e-6
        # log-uniform group factor times log-uniform height: the log's mean is the sum of the midpoints
        expected = (np.log(lo) + np.log(hi) + np.log(low) + np.log(high)) / 2
        assert abs(group[:, 0].log().mean().item() - expected) < 0.01


def test_mirror_swaps_sides_reflects_x_and_is_an_involution(poses):
    flipped = mirror(poses)
    left, right = H36M_JOINTS.index("l_wrist"), H36M_JOINTS.index("r_wrist")
    torch.testing.assert_close(flipped[:, left], poses[:, right] * torch.tensor([-1.0, 1.0, 1.0]))
    torch.testing.assert_close(mirror(flipped), poses)
    torch.testing.assert_close(lengths(flipped).sort(-1).values, lengths(poses).sort(-1).values)


def test_shares_zero_change_nothing_and_shares_one_change_everything(poses):
    generator = torch.Generator().manual_seed(2)
    torch.testing.assert_close(augment_skeletons(poses, 0.0, 0.0, generator), poses)
    changed = augment_skeletons(poses, 1.0, 0.0, generator)
    assert ((lengths(changed) - lengths(poses)).abs().amax(-1) > 1.0).all()
    half = augment_skeletons(poses.repeat(20, 1, 1), 0.5, 0.0, generator)
    share = ((lengths(half) - lengths(poses.repeat(20, 1, 1))).abs().amax(-1) > 1e-3).float().mean()
    assert 0.4 < share < 0.6


def rotations_about_z(angles):
    c, s = np.cos(angles), np.sin(angles)
    return torch.as_tensor(np.stack([np.stack([c, -s, 0 * c], -1), np.stack([s, c, 0 * c], -1),
                                     np.stack([0 * c, 0 * c, 1 + 0 * c], -1)], -2), dtype=torch.float32)


def test_recombined_poses_keep_torso_and_bone_lengths(poses):
    out = recombine_limbs(poses, 1.0, torch.Generator().manual_seed(0))
    torso = [j for j in range(17) if all(j not in chain for chain, _ in LIMBS.values())]
    torch.testing.assert_close(out[:, torso], poses[:, torso])
    torch.testing.assert_close(lengths(out), lengths(poses), atol=1e-3, rtol=1e-4)
    assert (out - poses).abs().amax(dim=(1, 2)).gt(1.0).float().mean() > 0.8  # 1 - 1/16 swap something
    torch.testing.assert_close(recombine_limbs(poses, 0.0, torch.Generator().manual_seed(0)), poses)


def test_limbs_move_with_their_torso_frame(poses):
    """Copies of one pose turned about the vertical axis have the same limbs in their torso frames,
    so recombining them changes nothing; and every limb of a recombined pose of two poses is, in its
    torso frame, one of the two poses' limbs."""
    turned = torch.einsum("bij,nj->bni", rotations_about_z(np.linspace(0, 6, 12)), poses[5])
    torch.testing.assert_close(recombine_limbs(turned, 1.0, torch.Generator().manual_seed(1)), turned,
                               atol=1e-3, rtol=0)
    pair = poses[[3, 40]].repeat(8, 1, 1)
    out = recombine_limbs(pair, 1.0, torch.Generator().manual_seed(2))
    for chain, frame in LIMBS.values():
        def local(p, chain=chain, frame=frame):
            return torch.einsum("bji,bnj->bni", torso_frames(p, frame), directions(p)[:, [c - 1 for c in chain]])

        mixed, sources = local(out), local(pair[:2])
        distance = (mixed[:, None] - sources[None]).norm(dim=-1).amax(-1).amin(-1)
        assert distance.max() < 1e-4


def test_augmented_training_batches_are_reproducible_and_need_world_poses(poses):
    data = open_dataset("bundled", "test", 500)
    config = Config().with_overrides(["train.batch_size=16", "train.skeleton_augment=1.0", "train.mirror=0.5",
                                         "train.recombine_limbs=0.5"])
    first, again = PoseBatches(data, config).batch(3), PoseBatches(data, config).batch(3)
    torch.testing.assert_close(first.x0, again.x0)
    plain = PoseBatches(data, Config().with_overrides(["train.batch_size=16"])).batch(3)
    assert not torch.allclose(first.x0, plain.x0)
    n = len(poses)
    camera = PoseSet(poses.numpy() - poses[:, :1].numpy(), action=["a"] * n, subject=["s"] * n, take=["t"] * n,
                     frame=np.arange(n), split=["train"] * n, keypoints_2d=np.zeros((n, 17, 2)),
                     image_size=np.full((n, 2), 1000.0), frame_kind="camera")
    with pytest.raises(ValueError, match="camera-frame"):
        PoseBatches(camera, config)


def test_joined_data_sets_repeat_and_keep_labels():
    cmu = open_dataset("benchmarks/data/cmu17.npz", "train")
    bundled = open_dataset("bundled", "train", 1000)
    joined = open_dataset("bundled,benchmarks/data/cmu17.npz*3", "train", 1)
    assert len(joined) == len(open_dataset("bundled", "train")) + 3 * len(cmu)
    assert (joined.subject == "CMU").sum() == 3 * len(cmu)
    both = concat([bundled, cmu], [2, 1])
    np.testing.assert_array_equal(both.poses_3d[len(bundled):2 * len(bundled)], bundled.poses_3d)
    np.testing.assert_array_equal(both.take[-len(cmu):], cmu.take)
    for bad in ("bundled*x", "bundled*0"):
        with pytest.raises(InputError):
            open_dataset(bad)


def test_bone_length_error_by_hand():
    gt = torch.zeros(17, 3)
    gt[1:, 0] = torch.arange(1, 17, dtype=torch.float32) * 100  # joint j at 100 j mm along x
    pred = gt.clone()
    pred[3] += torch.tensor([0.0, 30.0, 0.0])  # knee-ankle bone gets longer, no other bone changes
    knee, ankle = gt[2], gt[3]
    expected = ((pred[3] - knee).norm() - (ankle - knee).norm()).abs() / 16
    torch.testing.assert_close(bone_length_error(pred, gt), expected)
    torch.testing.assert_close(bone_length_error(pred[None] + 5.0, gt[None]), expected[None])
