"""Property tests (hypothesis) of the API and the file loaders: a valid input with any pattern of
missing joints gives finite poses of the right shape; a broken one (shape, dtype, inf, units, a
pose with nothing observed) raises InputError naming the argument or file; anything at all does
one of the two, never a raw error and never NaN."""

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays
from test_robustness import CHAIN_BVH, CHAIN_RIG, FAST, KEYPOINTS, STANDING, save_tiny_model

from gfpose.data.bvh import load_bvh
from gfpose.data.keypoints import load_keypoints
from gfpose.data.posefile import load_pose_npz
from gfpose.errors import InputError
from gfpose.prior import PosePrior

SETTINGS = settings(max_examples=50, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """One folder for every example's files (examples run one after another)."""
    return tmp_path_factory.mktemp("properties")


@pytest.fixture(scope="module")
def prior(files):
    return PosePrior.load(save_tiny_model(files / "model.safetensors"), device="cpu", **FAST)


# --- strategies ---------------------------------------------------------------------------------

@st.composite
def persons(draw, template, n=None):
    """(n, 17, d) float64: the template scaled, moved and jittered, one person per row.

    Jitter stays small enough that no bone drops under 40 mm and no two keypoints meet within 4 px.
    """
    n = n or draw(st.integers(1, 3))
    spread, jitter = (3000, 10) if template.shape[1] == 3 else (100, 3)
    scale = draw(arrays(np.float64, (n, 1, 1), elements=st.floats(0.8, 1.2)))
    offset = draw(arrays(np.float64, (n, 1, template.shape[1]), elements=st.floats(-spread, spread)))
    noise = draw(arrays(np.float64, (n, *template.shape), elements=st.floats(-jitter, jitter)))
    return template * scale + offset + noise


@st.composite
def missing_masks(draw, n, keep_root=False):
    """(n, 17) bool, True = missing, never every joint of a pose (nor the pelvis with keep_root)."""
    mask = draw(arrays(np.bool_, (n, 17)))
    mask[np.arange(n), draw(arrays(np.int64, n, elements=st.integers(0, 16)))] = False
    if keep_root:
        mask[:, 0] = False
    return mask


def with_missing(poses, mask):
    out = poses.copy()
    out[np.broadcast_to(mask, poses.shape[:2])] = np.nan
    return out


BREAKS = {
    "drop joint": lambda a: a[:, 1:],
    "extra coordinate": lambda a: np.concatenate([a, a[..., :1]], axis=-1),
    "drop coordinate": lambda a: a[..., :1],
    "extra axis": lambda a: a[None, None],
    "empty": lambda a: a[:0],
    "flat": lambda a: a.reshape(len(a), -1),
    "ragged": lambda a: a.tolist() + [[1.0, 2.0]],
    "bool": lambda a: a > 0,
    "complex": lambda a: a.astype(np.complex64),
    "text": lambda a: a.astype(str),
    "objects": lambda a: np.full(a.shape, None),
    "inf": lambda a: np.where(a == np.nanmax(a), np.inf, a),
    "pose all missing": lambda a: np.concatenate([a, np.full_like(a[:1], np.nan)]),
    "float32 overflow": lambda a: a * 1e39,
    "huge": lambda a: a * 1e7,
}
BREAKS_2D = {**BREAKS, "normalised": lambda a: a / 1000, "outside image": lambda a: a * 100}
BREAKS_3D = {**BREAKS, "metres": lambda a: a / 1000, "centimetres": lambda a: a / 10, "too large": lambda a: a * 100}


def anything(dims):
    """Arrays of any float values (NaN, inf, extremes) in shapes near (n, 17, dims)."""
    near = st.tuples(st.integers(0, 3), st.sampled_from([16, 17, 18]), st.sampled_from([dims - 1, dims, dims + 1]))
    return arrays(np.float64, st.one_of(near, array_shapes(min_dims=0, max_dims=4, max_side=4)),
                  elements=st.floats(width=64) | st.floats(-1500, 1500))


def finite_or_input_error(call, shape, name):
    """Run call(): a finite array of `shape` comes back, or an InputError whose message starts with name."""
    try:
        out = call()
    except InputError as err:
        assert str(err).startswith(name), err
        return
    assert out.shape == shape and np.isfinite(out).all()


# --- the API -------------------------------------------------------------------------------------

@SETTINGS
@given(data=st.data())
def test_estimate_valid_keypoints_with_missing_joints(prior, data):
    keypoints = data.draw(persons(KEYPOINTS))
    mask = data.draw(missing_masks(len(keypoints)))
    count = data.draw(st.integers(1, 3))
    by_confidence = data.draw(st.booleans())
    confidence = np.where(mask, data.draw(st.sampled_from([0.0, -1.0, np.nan])), 0.9) if by_confidence else None
    kp = keypoints if by_confidence else with_missing(keypoints, mask)
    dtype = data.draw(st.sampled_from([np.float32, np.float64] + [np.int32] * by_confidence))  # int: no NaN
    out = prior.estimate(kp.astype(dtype), num_hypotheses=count, confidence=confidence,
                         seed=data.draw(st.integers(0, 99)))
    assert out.shape == (len(keypoints), count, 17, 3) and np.isfinite(out).all()
    assert (out[:, :, 0] == 0).all()


@SETTINGS
@given(data=st.data(), brk=st.sampled_from(sorted(BREAKS_2D)))
def test_estimate_broken_keypoints_raise(prior, data, brk):
    keypoints = data.draw(persons(KEYPOINTS))
    keypoints = with_missing(keypoints, data.draw(missing_masks(len(keypoints))))
    with pytest.raises(InputError, match="^keypoints_2d: "):
        prior.estimate(BREAKS_2D[brk](keypoints))


@SETTINGS
@given(keypoints=anything(2), confidence=st.none() | arrays(np.float64, (3, 17)) | arrays(np.float64, 17),
       image_size=st.sampled_from([(1000, 1000), (0, 5), (np.nan, 100), (640, 480, 3)]))
def test_estimate_anything_is_finite_or_input_error(prior, keypoints, confidence, image_size):
    n = len(keypoints) if keypoints.ndim == 3 else 1
    finite_or_input_error(lambda: prior.estimate(keypoints, image_size, confidence=confidence), (n, 1, 17, 3),
                          ("keypoints_2d", "confidence", "image_size"))


@SETTINGS
@given(data=st.data(), mode=st.sampled_from(["conditional", "imputation", "both"]))
def test_complete_valid_partial_poses(prior, data, mode):
    poses = data.draw(persons(STANDING))
    partial = with_missing(poses, data.draw(missing_masks(len(poses), keep_root=True)))
    count = data.draw(st.integers(1, 2))
    out = prior.complete(partial, num_hypotheses=count, mode=mode, seed=data.draw(st.integers(0, 99)))
    assert out.shape == (len(poses), count, 17, 3) and np.isfinite(out).all()
    if mode != "conditional":  # imputation keeps the observed joints (root-relative)
        rooted = partial - partial[:, :1]
        observed = np.broadcast_to(~np.isnan(rooted)[:, None], out.shape)
        np.testing.assert_allclose(out[observed], np.broadcast_to(rooted[:, None], out.shape)[observed], atol=0.05)


@SETTINGS
@given(data=st.data(), brk=st.sampled_from(sorted(BREAKS_3D)))
def test_complete_broken_poses_raise(prior, data, brk):
    poses = data.draw(persons(STANDING))  # whole poses: a few thigh bones alone in cm pass for mm
    with pytest.raises(InputError, match="^pose: "):
        prior.complete(BREAKS_3D[brk](poses))


@SETTINGS
@given(poses=anything(3), mode=st.sampled_from(["both", "imputation", "any"]))
def test_complete_anything_is_finite_or_input_error(prior, poses, mode):
    n = len(poses) if poses.ndim == 3 else 1
    finite_or_input_error(lambda: prior.complete(poses, mode=mode), (n, 1, 17, 3), ("pose", "keypoints_2d", "mode"))


@SETTINGS
@given(data=st.data(), t0=st.floats(0.0011, 1.0))
def test_denoise_valid_poses(prior, data, t0):
    poses = data.draw(persons(STANDING))
    out = prior.denoise(poses.astype(np.float32), t0=t0, seed=data.draw(st.integers(0, 99)))
    assert out.shape == poses.shape and np.isfinite(out).all() and (out[:, 0] == 0).all()


@SETTINGS
@given(data=st.data(), brk=st.sampled_from(sorted(BREAKS_3D) + ["one missing"]))
def test_denoise_broken_poses_raise(prior, data, brk):
    poses = data.draw(persons(STANDING))
    broken = with_missing(poses, np.arange(17) == 3) if brk == "one missing" else BREAKS_3D[brk](poses)
    with pytest.raises(InputError, match="^poses: "):
        prior.denoise(broken)


@SETTINGS
@given(poses=anything(3), t0=st.floats(allow_nan=True) | st.sampled_from([0.05, True, "0.1", None]))
def test_denoise_anything_is_finite_or_input_error(prior, poses, t0):
    n = len(poses) if poses.ndim == 3 else 1
    finite_or_input_error(lambda: prior.denoise(poses, t0=t0), (n, 17, 3), ("poses", "t0"))


ODD_NUMBERS = st.integers(-3, 4) | st.integers() | st.floats() | st.booleans() | st.none() | st.text(max_size=2)


def int_in(value, low, high) -> bool:
    return type(value) is int and low <= value <= high


@SETTINGS
@given(count=ODD_NUMBERS, seed=ODD_NUMBERS)
def test_generate_any_count_and_seed(prior, count, seed):
    if int_in(count, 1, 4) and int_in(seed, 0, 2**32 - 1):
        out = prior.generate(count, seed=seed)
        assert out.shape == (count, 17, 3) and np.isfinite(out).all()
    elif not int_in(count, 1, 10**6) or not int_in(seed, 0, 2**32 - 1):
        with pytest.raises(InputError, match="^(count|seed): "):
            prior.generate(count, seed=seed)


# --- the loaders ---------------------------------------------------------------------------------

def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


@SETTINGS
@given(data=st.data())
def test_pose_file_round_trips_missing_joints(files, data):
    poses = data.draw(persons(STANDING)).astype(np.float32)
    poses = with_missing(poses, data.draw(missing_masks(len(poses))))
    keypoints = with_missing(data.draw(persons(KEYPOINTS, len(poses))), data.draw(missing_masks(len(poses))))
    extra = dict(keypoints_2d=keypoints, image_size=np.array([1000, 1000])) if data.draw(st.booleans()) else {}
    path = write_npz(files / "poses.npz", poses_3d=poses, split=np.full(len(poses), "train"), **extra)
    loaded = load_pose_npz(path)
    np.testing.assert_array_equal(loaded.poses_3d, poses)
    assert loaded.frame_kind == ("camera" if extra else "world") and list(loaded.split) == ["train"] * len(poses)


@SETTINGS
@given(data=st.data(), brk=st.sampled_from(sorted(set(BREAKS) - {"ragged", "objects"})))  # npz cannot hold them
def test_broken_pose_file_raises_naming_file(files, data, brk):
    poses = data.draw(persons(STANDING))
    with pytest.raises(InputError, match=r"poses.npz: poses_3d"):
        load_pose_npz(write_npz(files / "poses.npz", poses_3d=BREAKS[brk](poses)))


@SETTINGS
@given(poses=anything(3), labels=st.fixed_dictionaries({}, optional={
    "split": st.sampled_from([np.array(["train"]), np.array(["valid"]), np.arange(3)]),
    "frame": st.sampled_from([np.array([1]), np.array(["x"]), np.array([1.5])]),
    "poses_3d_scale_mm": st.sampled_from([np.float64(0.1), np.float64(-1), np.array("mm"), np.ones(2)]),
    "keypoints_2d": anything(2), "image_size": st.sampled_from([np.array([640, 480]), np.array([0, 0])]),
    "up_axis": st.sampled_from([np.array("y"), np.array("x"), np.array(3)])}))
def test_pose_file_with_anything_loads_or_raises(files, poses, labels):
    path = write_npz(files / "any.npz", poses_3d=poses, **labels)
    try:
        loaded = load_pose_npz(path)
    except InputError as err:
        assert str(err).startswith(str(path)), err
        return
    assert loaded.poses_3d.shape[1:] == (17, 3) and not np.isinf(loaded.poses_3d).any()
    assert (~np.isnan(loaded.poses_3d)).any(axis=(1, 2)).all()
    if loaded.keypoints_2d is not None:
        assert np.isfinite(loaded.image_size).all() and not np.isinf(loaded.keypoints_2d).any()


@SETTINGS
@given(data=st.data(), suffix=st.sampled_from([".npz", ".json"]))
def test_damaged_files_raise_naming_them(files, data, suffix):
    good = write_npz(files / "good.npz", poses_3d=STANDING[None], keypoints_2d=KEYPOINTS[None],
                     image_size=[1000, 1000])
    content = good.read_bytes()
    cut = data.draw(st.integers(0, len(content) - 1))
    damaged = data.draw(st.sampled_from([content[:cut], content[:cut] + b"\x00" + content[cut + 1:],
                                         data.draw(st.binary(max_size=64))]))
    path = files / f"damaged{suffix}"
    path.write_bytes(damaged)
    for load in (load_pose_npz, load_keypoints):
        try:
            load(path)
        except InputError as err:
            assert str(err).startswith(str(path)), err
        else:  # a zeroed byte outside the data (a zip timestamp, say) may do no harm; a cut always does
            assert damaged != content[:cut]


@SETTINGS
@given(data=st.data(), as_json=st.booleans(), layout=st.sampled_from(["h36m", "coco"]))
def test_keypoint_file_round_trips_missing_joints(files, data, as_json, layout):
    keypoints = data.draw(persons(KEYPOINTS))
    mask = data.draw(missing_masks(len(keypoints)))
    conf = np.where(mask, 0.0, data.draw(st.floats(0.05, 1.0)))
    if as_json:
        path = files / "kp.json"
        path.write_text(json.dumps(dict(keypoints=keypoints.tolist(), confidence=conf.tolist(),
                                        image_size=[1000, 1000], layout=layout)))
    else:
        path = write_npz(files / "kp.npz", keypoints_2d=keypoints, confidence=conf, image_size=[1000, 1000],
                         layout=layout)
    try:
        loaded = load_keypoints(path)
    except InputError as err:  # COCO can lose every source joint of a pose
        assert layout == "coco" and "every joint is missing" in str(err)
        return
    assert loaded.keypoints.shape == keypoints.shape and loaded.image_size.shape == (len(keypoints), 2)
    if layout == "h36m":
        np.testing.assert_allclose(loaded.keypoints, with_missing(keypoints, mask), rtol=1e-6)


ODD_JSON = st.sampled_from([None, True, "7", [], [1.0], {}, float("nan"), float("inf"), 10**400, -(10**309)])
JSON_VALUES = st.recursive(ODD_JSON | st.floats() | st.integers() | st.text(max_size=3),
                           lambda inner: st.lists(inner, max_size=18) | st.dictionaries(st.text(max_size=3), inner),
                           max_leaves=60)


@st.composite
def keypoint_lists(draw):
    """Documented [[x, y] x 17] frames with one joint or coordinate replaced by any JSON value."""
    frames = draw(persons(KEYPOINTS)).tolist()
    frame, joint = frames[draw(st.integers(0, len(frames) - 1))], draw(st.integers(0, 16))
    value = draw(ODD_JSON | JSON_VALUES)
    if draw(st.booleans()):
        frame[joint] = value
    else:
        frame[joint][draw(st.integers(0, 1))] = value
    return frames


@settings(SETTINGS, max_examples=60)
@given(doc=st.fixed_dictionaries({"keypoints": keypoint_lists(), "image_size": st.just([1000, 1000]) | JSON_VALUES},
                                 optional={"confidence": JSON_VALUES, "layout": st.just("coco") | JSON_VALUES})
       | JSON_VALUES)
def test_keypoint_json_with_anything_loads_or_raises(files, doc):
    path = files / "any.json"
    path.write_text(json.dumps(doc))
    try:
        loaded = load_keypoints(path)
    except InputError as err:
        assert str(err).startswith(str(path)), err
        return
    kp = loaded.keypoints
    assert kp.shape[1:] == (17, 2) and not np.isinf(kp).any() and (~np.isnan(kp)).any(axis=(1, 2)).all()
    assert np.isfinite(loaded.image_size).all() and (loaded.image_size > 0).all()


BVH_TOKENS = ["nan", "inf", "-1e400", "1e30", "abc", "", "{", "}", "0", "7", "Frames:", "JOINT", "End", "\x00"]


@SETTINGS
@given(data=st.data())
def test_bvh_valid_motion_or_any_edit_is_finite_or_input_error(files, data):
    parts = (CHAIN_BVH % data.draw(st.floats(-500, 500))).split(" ")
    for _ in range(data.draw(st.integers(0, 3))):
        parts[data.draw(st.integers(0, len(parts) - 1))] = data.draw(st.sampled_from(BVH_TOKENS))
    text = " ".join(parts)
    text = text[: data.draw(st.integers(len(text) // 2, len(text)))] if data.draw(st.booleans()) else text
    path = files / "take.bvh"
    path.write_text(text)
    try:
        poses = load_bvh(path, CHAIN_RIG)
    except InputError as err:
        assert str(err).startswith(str(path)), err
        return
    assert poses.shape[1:] == (17, 3) and np.isfinite(poses).all()
