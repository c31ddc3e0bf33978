"""The bundled dataset: Bandai Namco Research mocap converted to H36M-17 (build and load).

Build rule (:func:`build_bandai`):

* Every take of both sets (``dataset-N_{content}_{style}_{id}.bvh``) through
  :data:`gfpose.data.rigs.BANDAI_RIG`, root-relative (pelvis subtracted, no global trajectory),
  world axes (+z up, heading as captured), mm.
* Near-duplicate frames dropped: a frame is kept only if some joint moved at least
  ``min_motion_mm`` (default 20 mm) from the last kept frame of its take; the first frame of
  each take is always kept. This removes held poses and slow drifts that add nothing to a pose
  prior (it keeps 77% of the 416,845 frames) and, with the quantisation below, keeps the file
  near 20 MB (10 mm would keep 85%, 30 mm 69%).
* Split by whole takes: within each (set, content) group of n takes, ordered by
  ``sha1(take name)``, the first ``max(1, round(0.1 * n))`` are test when n >= 2 (none when
  n = 1). So every content with two or more takes is in both splits, the three single-take
  contents of set 1 (dance-short, kick, respond) are train only, and the split never changes
  between builds.
* Stored as int16 in ``quant_mm`` = 0.5 mm steps (rounding error <= 0.25 mm per coordinate,
  far below mocap noise; 0.1 mm steps would make the file 40% larger), labels as strings, with
  the attribution text; written atomically.

Data: CC BY-NC 4.0, (c) 2022 Bandai Namco Research Inc.; see ``assets/DATA_LICENSE.md``.
"""

from __future__ import annotations

import hashlib
from importlib.resources import files
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from tqdm import tqdm

from gfpose.data.posefile import load_pose_npz, save_pose_npz
from gfpose.data.poseset import PoseSet
from gfpose.data.rigs import BANDAI_RIG
from gfpose.errors import InputError
from gfpose.geometry import root_center

ATTRIBUTION = (
    "Derived from the Bandai-Namco-Research-Motiondataset (sets 1 and 2), (c) 2022 Bandai Namco "
    "Research Inc., licensed CC BY-NC 4.0 (https://creativecommons.org/licenses/by-nc/4.0/). "
    "Cite: Kobayashi, Liao, Inoue, Yojima, Takahashi, 'Motion Capture Dataset for Practical Use "
    "of AI-based Motion Editing and Stylization', arXiv:2306.08861, 2023. Changes: converted to "
    "H36M-17 joints (derived neck/nose and head top), root-relative, near-duplicate frames "
    "dropped, quantised to 0.5 mm."
)


def bundled_path() -> Path:
    """Location of the bundled ``bandai17.npz`` inside the installed package."""
    return Path(str(files("gfpose") / "assets" / "bandai17.npz"))


def load_bundled(path: str | Path | None = None) -> PoseSet:
    """The bundled Bandai-H36M-17 set (frame_kind 'world', subject 'bandai', style in ``extra``)."""
    path = Path(path) if path is not None else bundled_path()
    if not path.exists():
        raise InputError(f"{path}: bundled dataset not found; build it with "
                         "`gfpose data build-bandai SRC -o {path}`")
    return load_pose_npz(path)


def parse_take_name(path: Path) -> tuple[str, str, str]:
    """``dataset-N_{content}_{style}_{id}.bvh`` -> (set, content, style)."""
    parts = path.stem.split("_")
    if len(parts) != 4 or not parts[0].startswith("dataset-"):
        raise InputError(f"{path}: name does not match 'dataset-N_{{content}}_{{style}}_{{id}}.bvh'")
    return parts[0], parts[1], parts[2]


def root_relative_take(path: Path) -> np.ndarray:
    """One take as root-relative H36M-17 poses ``(F, 17, 3)`` float32 mm."""
    from gfpose.data.bvh import load_bvh  # bvhio only when converting: training needs torch and numpy alone
    poses = load_bvh(path, BANDAI_RIG)
    return root_center(poses)


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


def _convert_all(paths: list[Path], workers: int) -> list[np.ndarray]:
    progress = dict(total=len(paths), desc="BVH -> H36M-17", unit="take")
    if workers <= 1:
        return [root_relative_take(p) for p in tqdm(paths, **progress)]
    with Pool(workers) as pool:
        return list(tqdm(pool.imap(root_relative_take, paths, chunksize=8), **progress))


def build_bandai(src_root: str | Path, out_path: str | Path | None = None,
                 min_motion_mm: float = 20.0, test_fraction: float = 0.1,
                 quant_mm: float = 0.5, workers: int = 2) -> dict:
    """Convert every Bandai take under ``src_root`` and write the npz; returns summary statistics."""
    src_root = Path(src_root)
    paths = sorted(src_root.rglob("dataset-*_*.bvh"))
    if not paths:
        raise InputError(f"{src_root}: no 'dataset-N_*.bvh' files found; expected the unpacked "
                         "Bandai-Namco-Research-Motiondataset-1/-2 folders")
    labels = [parse_take_name(p) for p in paths]
    names = [p.stem for p in paths]
    is_test = choose_test_takes(names, [f"{s}/{c}" for s, c, _ in labels], test_fraction)

    takes = _convert_all(paths, workers)
    columns = {k: [] for k in ("poses_3d", "frame", "take", "action", "style", "source", "split")}
    for poses, name, (source, content, style), test in zip(takes, names, labels, is_test):
        kept = keep_moving_frames(poses, min_motion_mm)
        columns["poses_3d"].append(poses[kept])
        columns["frame"].append(kept)
        for key, value in (("take", name), ("action", content), ("style", style),
                           ("source", source), ("split", "test" if test else "train")):
            columns[key].append(np.full(len(kept), value))
    data = {k: np.concatenate(v) for k, v in columns.items()}

    poses = data.pop("poses_3d")
    q = np.round(poses / quant_mm)
    if np.abs(q).max() > np.iinfo(np.int16).max:
        raise InputError(f"{src_root}: a root-relative coordinate of {np.abs(poses).max():.0f} mm "
                         f"does not fit int16 at {quant_mm} mm steps")
    quant_error = float(np.abs(q * quant_mm - poses).max())
    out_path = Path(out_path) if out_path is not None else bundled_path()
    save_pose_npz(out_path, poses_3d=q.astype(np.int16), poses_3d_scale_mm=np.float32(quant_mm),
                  subject=np.full(len(q), "bandai"), up_axis="z", attribution=ATTRIBUTION,
                  min_motion_mm=np.float32(min_motion_mm), **data)
    return summarize(load_pose_npz(out_path)) | {
        "file_mb": out_path.stat().st_size / 2**20, "quant_max_error_mm": quant_error,
        "frames_read": sum(len(t) for t in takes)}


def summarize(ps: PoseSet) -> dict:
    """Frames, takes, contents and styles per split."""
    out = {}
    for split in ("train", "test"):
        part = ps.select_split(split)
        out[split] = {"frames": len(part), "takes": len(set(part.take)),
                      "contents": len(set(part.action)),
                      "styles": len(set(part.extra.get("style", ())))}
    return out
