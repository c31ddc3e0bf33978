"""A folder of BVH takes -> a training pose npz (world frame, root-relative, split by whole takes).

Build rule (shared by the bundled Bandai set and ``gfpose data build-bvh``):

* Every take through a :class:`gfpose.data.rigs.Rig`, root-relative (pelvis subtracted, no global
  trajectory), world axes (+z up, heading as captured), mm.
* Near-duplicate frames dropped: a frame is kept only if some joint moved at least
  ``min_motion_mm`` from the last kept frame of its take (the first frame always): held poses and
  slow drifts add nothing to a pose prior.
* Split by whole takes: within each group of n takes (e.g. an action), ordered by
  ``sha1(take name)``, the first ``max(1, round(test_fraction * n))`` are test when n >= 2, none
  when n = 1; the split never changes between builds.
* Stored as int16 in ``quant_mm`` steps (rounding error <= quant_mm / 2 per coordinate), labels as
  strings; written atomically.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import partial
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gfpose.data.posefile import load_pose_npz, save_pose_npz
from gfpose.data.poseset import PoseSet
from gfpose.data.rigs import Rig
from gfpose.errors import InputError
from gfpose.geometry import root_center


def root_relative_take(path: Path, rig: Rig, load: Callable[[Path, Rig], np.ndarray] | None = None) -> np.ndarray:
    """One take as root-relative H36M-17 poses ``(F, 17, 3)`` float32 mm, read by ``load(path, rig)``
    (world poses; default :func:`gfpose.data.bvh.load_bvh`)."""
    if load is None:
        from gfpose.data.bvh import load_bvh as load  # bvhio only when converting: training needs torch and numpy alone
    return root_center(load(path, rig))


MIN_MOTION_MM = 20.0  # a frame is kept once a joint moved this far from the last kept one (data/bandai.py)


def keep_moving_frames(poses: np.ndarray, min_motion_mm: float) -> np.ndarray:
    """Indices of frames whose largest joint displacement from the last kept frame >= threshold."""
    kept, last = [0], poses[0]
    for i in range(1, len(poses)):
        if np.linalg.norm(poses[i] - last, axis=-1).max() >= min_motion_mm:
            kept.append(i)
            last = poses[i]
    return np.array(kept, dtype=np.int64)


def choose_test_takes(names: list[str], groups: list[str], test_fraction: float) -> np.ndarray:
    """Boolean (T,): per group of n >= 2 takes, the first ``max(1, round(f * n))`` by sha1 of the name."""
    key = np.array([int(hashlib.sha1(n.encode()).hexdigest()[:12], 16) for n in names])
    groups = np.asarray(groups)
    is_test = np.zeros(len(names), dtype=bool)
    for g in np.unique(groups):
        members = np.flatnonzero(groups == g)
        n_test = max(1, round(test_fraction * len(members))) if len(members) > 1 else 0
        is_test[members[np.argsort(key[members])[:n_test]]] = True
    return is_test


def build_pose_npz(paths: list[Path], rig: Rig, labels: dict[str, list[str]], groups: list[str],
                   out_path: str | Path, min_motion_mm: float = MIN_MOTION_MM, test_fraction: float = 0.1,
                   quant_mm: float = 0.5, workers: int = 2, *, load: Callable[[Path, Rig], np.ndarray] | None = None,
                   take_names: list[str] | None = None, is_test: list[bool] | None = None, **attributes) -> dict:
    """Convert the takes ``paths`` with ``rig`` and write the npz (module docstring); ``labels`` are
    per-take columns (e.g. action), ``groups`` the per-take groups of the split, ``attributes``
    extra arrays for the file (e.g. attribution). Returns summary statistics.

    Other sources: ``load`` (picklable) reads a take instead of the BVH reader (see
    :func:`root_relative_take`), ``take_names`` replace the file stems, and ``is_test`` (per take)
    replaces the split by ``groups`` and ``test_fraction``."""
    progress = dict(total=len(paths), desc="takes -> H36M-17", unit="take")
    convert = partial(root_relative_take, rig=rig, load=load)
    if workers <= 1:
        takes = [convert(p) for p in tqdm(paths, **progress)]
    else:
        with Pool(workers) as pool:
            takes = list(tqdm(pool.imap(convert, paths, chunksize=8), **progress))
    names = [p.stem for p in paths] if take_names is None else list(take_names)
    is_test = choose_test_takes(names, groups, test_fraction) if is_test is None else np.asarray(is_test, bool)
    columns = {k: [] for k in ("poses_3d", "frame", "take", "split", *labels)}
    for i, (poses, name) in enumerate(zip(takes, names)):
        kept = keep_moving_frames(poses, min_motion_mm)
        columns["poses_3d"].append(poses[kept])
        columns["frame"].append(kept)
        for key, value in (("take", name), ("split", "test" if is_test[i] else "train"),
                           *((key, values[i]) for key, values in labels.items())):
            columns[key].append(np.full(len(kept), value))
    data = {k: np.concatenate(v) for k, v in columns.items()}

    poses = data.pop("poses_3d")
    q = np.round(poses / quant_mm)
    if np.abs(q).max() > np.iinfo(np.int16).max:
        raise InputError(f"a root-relative coordinate of {np.abs(poses).max():.0f} mm does not fit int16 "
                         f"at {quant_mm} mm steps; check the rig's unit_to_mm")
    out_path = Path(out_path)
    save_pose_npz(out_path, poses_3d=q.astype(np.int16), poses_3d_scale_mm=np.float32(quant_mm), up_axis="z",
                  min_motion_mm=np.float32(min_motion_mm), **data, **attributes)
    return summarize(load_pose_npz(out_path)) | {
        "file_mb": out_path.stat().st_size / 2**20, "quant_max_error_mm": float(np.abs(q * quant_mm - poses).max()),
        "frames_read": sum(len(t) for t in takes)}


def build_bvh_folder(src_root: str | Path, rig: Rig, out_path: str | Path, **options) -> dict:
    """Every ``*.bvh`` under ``src_root``: action = the folder holding it (relative to src_root, or
    'all' for files at the top), subject = the rig's name; split per action (build_pose_npz)."""
    src_root = Path(src_root)
    paths = sorted(src_root.rglob("*.bvh"))
    if not paths:
        raise InputError(f"{src_root}: no .bvh files found (searched its subfolders too)")
    actions = [str(p.parent.relative_to(src_root)).replace("\\", "/") if p.parent != src_root else "all"
               for p in paths]
    return build_pose_npz(paths, rig, {"action": actions, "subject": [rig.name] * len(paths)}, actions,
                          out_path, take_names=unique_take_names(paths, src_root), **options)


def unique_take_names(paths: list[Path], src_root: Path) -> list[str]:
    """Each take's name: its file stem, or, where files in different folders share a stem, its path
    below ``src_root`` without the suffix (so that they stay separate takes)."""
    stems = [p.stem for p in paths]
    shared = {stem for stem in stems if stems.count(stem) > 1}
    return [p.relative_to(src_root).with_suffix("").as_posix() if p.stem in shared else p.stem for p in paths]


def summarize(ps: PoseSet) -> dict:
    """Frames, takes and actions per split."""
    out = {}
    for split in ("train", "test"):
        part = ps.select_split(split)
        out[split] = {"frames": len(part), "takes": len(set(part.take)), "actions": len(set(part.action))}
    return out
