import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from gfpose.errors import InputError
from gfpose.geometry import procrustes_align, root_center


def random_poses(n, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return 300.0 * torch.randn(n, 17, 3, generator=g, dtype=dtype)


def quaternion_rotation(w, x, y, z):
    """Rotation matrix of a (not necessarily unit) quaternion: a closed form independent of SVD."""
    n = math.sqrt(w * w + x * x + y * y + z * z)
    w, x, y, z = w / n, x / n, y / n, z / n
    return torch.tensor([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ], dtype=torch.float64)


quaternions = st.tuples(*[st.floats(-1, 1) for _ in range(4)]).filter(lambda q: sum(c * c for c in q) > 0.01)


def test_root_center_moves_root_to_origin_and_keeps_offsets():
    poses = random_poses(4)
    out = root_center(poses)
    assert torch.equal(out[:, 0], torch.zeros(4, 3, dtype=poses.dtype))
    torch.testing.assert_close(out[:, 5] - out[:, 3], poses[:, 5] - poses[:, 3])


def test_root_center_takes_numpy_and_returns_numpy():
    poses = random_poses(4).numpy()
    out = root_center(poses)
    assert isinstance(out, np.ndarray) and out.shape == poses.shape
    np.testing.assert_array_equal(out[:, 0], np.zeros((4, 3)))
    np.testing.assert_allclose(out[:, 5] - out[:, 3], poses[:, 5] - poses[:, 3])


@settings(max_examples=60, deadline=None)
@given(q=quaternions, scale=st.floats(0.05, 20.0), shift=st.tuples(*[st.floats(-5e3, 5e3)] * 3),
       seed=st.integers(0, 10_000))
def test_procrustes_undoes_a_similarity_transform(q, scale, shift, seed):
    target = random_poses(1, seed)[0]
    moved = scale * target @ quaternion_rotation(*q).T + torch.tensor(shift, dtype=torch.float64)
    torch.testing.assert_close(procrustes_align(moved, target), target, atol=1e-6, rtol=0)


def test_procrustes_never_reflects():
    target = random_poses(8, seed=1)
    mirrored = target * torch.tensor([-1.0, 1.0, 1.0], dtype=torch.float64)
    aligned = procrustes_align(mirrored, target)
    err = torch.linalg.vector_norm(aligned - target, dim=-1).mean(-1)
    assert (err > 10.0).all()  # a reflection would give exactly 0
    # The fitted map is a proper similarity: distances scale uniformly and orientation is kept.
    a, m = aligned - aligned.mean(1, keepdim=True), mirrored - mirrored.mean(1, keepdim=True)
    fit = torch.linalg.lstsq(m, a).solution
    assert (torch.linalg.det(fit) > 0).all()


def test_procrustes_batches_broadcast_and_keep_dtype():
    target = random_poses(3, seed=2, dtype=torch.float32)
    hyps = target[:, None] + torch.randn(3, 5, 17, 3)
    out = procrustes_align(hyps, target[:, None])
    assert out.shape == (3, 5, 17, 3) and out.dtype == torch.float32
    single = procrustes_align(hyps[1, 4], target[1])
    torch.testing.assert_close(out[1, 4], single)


def test_procrustes_nan_pose_gives_nan_without_failing_the_batch():
    target = random_poses(3, seed=3)
    pred = target.clone()
    pred[1, 4, 0] = float("nan")
    out = procrustes_align(pred, target)
    assert torch.isnan(out[1]).all()
    torch.testing.assert_close(out[[0, 2]], target[[0, 2]])


@pytest.mark.parametrize("bad", [torch.zeros(17, 2), torch.zeros(3), [[0.0, 0.0, 0.0]]])
def test_bad_input_raises_input_error_naming_argument(bad):
    with pytest.raises(InputError, match="poses"):
        root_center(bad)


def test_mismatched_joint_counts_raise():
    with pytest.raises(InputError, match=r"\(17, 3\).*\(16, 3\)"):
        procrustes_align(torch.zeros(17, 3), torch.zeros(16, 3))
