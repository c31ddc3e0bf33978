"""CMU mocap in the "Daz-friendly" BVH conversion (walks, runs, jumps, dance) -> an H36M-17 training npz.

Build rule (:func:`build_cmu_bvh`, the rule of :mod:`gfpose.data.bvh_folder`):

* Takes: ``przestr/data/{subject}/{subject}_{trial}.bvh`` (CMU subjects) and
  ``papagina/train_data_bvh/{salsa,indian,martial}/NN.bvh`` under the source folder, through
  :data:`gfpose.data.rigs.CMU_DAZ_RIG`. Takes on another skeleton (subject 16's two, CMU ASF
  naming) are skipped, as is take 09_10 (its legs stay in a horizontal split: broken).
* Usable frames (:func:`usable_frames`): each take starts with the rig's zero pose and a blend
  into the motion (frames 0-4, joints jumping 100-250 mm a frame); those are dropped. Some dance
  takes have retargeting flips (a leg or the body swung round for a few frames): the take is cut
  wherever a joint moves more than ``JUMP_MM`` between two frames (18 m/s at 120 Hz, beyond any
  human motion) and pieces shorter than ``MIN_PIECE`` frames are dropped. ``frame`` counts the
  usable frames of a take.
* Root-relative, world axes (+z up), mm; near-duplicate frames dropped at 20 mm.
* Split: CMU subjects ``TEST_SUBJECTS`` are test (02 walks, runs and jumps; 14 jumps), the other
  subjects train; the dance folders by take (10% of each folder, by sha1 of the take name).
* Labels: subject = CMU subject number or dance folder; action = walk/run/jump by the CMU index
  for the subjects, the folder for the dances; take = ``02_01`` or ``salsa/01``.

Data: mocap.cs.cmu.edu; see :data:`ATTRIBUTION`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from gfpose.data.bvh import load_bvh
from gfpose.data.bvh_folder import MIN_MOTION_MM, build_pose_npz, choose_test_takes
from gfpose.data.rigs import CMU_DAZ_RIG, Rig
from gfpose.errors import InputError

LOG = logging.getLogger(__name__)

ATTRIBUTION = (
    "The data used in this project was obtained from mocap.cs.cmu.edu. The database was created "
    "with funding from NSF EIA-0196217. The database's terms allow free use, including in "
    "commercial products (the raw data may not be resold). Source files: the 'Daz-friendly' BVH "
    "conversion, takes from the public repositories Przestr/motion-capture and "
    "papagina/Auto_Conditioned_RNN_motion. Changes: converted to H36M-17 joints (derived "
    "neck/nose and head top), lead-in and glitch frames dropped, root-relative, near-duplicate "
    "frames dropped, quantised to 0.5 mm."
)

TEST_SUBJECTS = ("02", "14")
DANCE_FOLDERS = ("salsa", "indian", "martial")
BROKEN_TAKES = ("09_10",)
LEAD_IN = 5
JUMP_MM = 150.0
MIN_PIECE = 12

# The CMU index's description of the subjects' takes here: subject 09 runs, 13 and 14 jump,
# 02 walks (02_01, 02_02), runs (02_03) and jumps (02_04); the other subjects walk.
_SUBJECT_ACTION = {"09": "run", "13": "jump", "14": "jump"}
_TAKE_ACTION = {"02_03": "run", "02_04": "jump"}


def cmu_action(take: str) -> str:
    """walk, run or jump for a CMU take name ``{subject}_{trial}``."""
    return _TAKE_ACTION.get(take, _SUBJECT_ACTION.get(take.split("_")[0], "walk"))


def usable_frames(poses: np.ndarray) -> np.ndarray:
    """Indices of the frames after the lead-in, less pieces shorter than ``MIN_PIECE`` between jumps."""
    rel = poses[LEAD_IN:] - poses[LEAD_IN:, :1]
    jump = np.linalg.norm(np.diff(rel, axis=0), axis=-1).max(-1) > JUMP_MM
    starts = np.r_[0, np.flatnonzero(jump) + 1, len(rel)]
    pieces = [np.arange(a, b) for a, b in zip(starts[:-1], starts[1:]) if b - a >= MIN_PIECE]
    return LEAD_IN + np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int64)


def load_take(path: Path, rig: Rig = CMU_DAZ_RIG) -> np.ndarray:
    """The usable frames of one take as world poses ``(F, 17, 3)`` mm."""
    poses = load_bvh(path, rig)
    kept = usable_frames(poses)
    if len(kept) == 0:
        raise InputError(f"{path}: no usable frames (fewer than {LEAD_IN + MIN_PIECE} frames without glitches)")
    return poses[kept]


def _joint_names(path: Path) -> set[str]:
    """Names of the ROOT and JOINT entries of a BVH file's HIERARCHY."""
    try:
        with open(path, errors="replace") as handle:
            header = handle.read(200_000).partition("MOTION")[0]
    except OSError as e:
        raise InputError(f"{path}: cannot read BVH file ({e})") from e
    return {fields[1] for fields in map(str.split, header.splitlines())
            if len(fields) > 1 and fields[0] in ("ROOT", "JOINT")}


def find_takes(src_root: Path) -> tuple[list[Path], list[str]]:
    """The CMU subject and dance takes under ``src_root`` on the Daz skeleton, and the skipped ones."""
    found = sorted(src_root.glob("przestr/data/*/*_*.bvh")) + sorted(
        p for folder in DANCE_FOLDERS for p in src_root.glob(f"papagina/train_data_bvh/{folder}/*.bvh"))
    if not found:
        raise InputError(f"{src_root}: no takes found; expected the unpacked CMU BVH subsets "
                         "(przestr/data/<subject>/*.bvh, papagina/train_data_bvh/<dance>/*.bvh)")
    needed = CMU_DAZ_RIG.source_joints()
    keep, skipped = [], []
    for path in found:
        if path.stem in BROKEN_TAKES:
            skipped.append(f"{path.name} (broken take)")
        elif not needed <= _joint_names(path):
            skipped.append(f"{path.name} (another skeleton)")
        else:
            keep.append(path)
    return keep, skipped


def build_cmu_bvh(src_root: str | Path, out_path: str | Path, min_motion_mm: float = MIN_MOTION_MM,
                  test_fraction: float = 0.1, quant_mm: float = 0.5, workers: int = 2) -> dict:
    """Convert the CMU takes under ``src_root`` and write the npz; returns summary statistics."""
    paths, skipped = find_takes(Path(src_root))
    if skipped:
        LOG.warning("skipped %d takes: %s", len(skipped), ", ".join(skipped))
    dance = [p.parent.name in DANCE_FOLDERS for p in paths]
    names = [f"{p.parent.name}/{p.stem}" if d else p.stem for p, d in zip(paths, dance)]
    subjects = [p.parent.name if d else p.stem.split("_")[0] for p, d in zip(paths, dance)]
    actions = [s if d else cmu_action(n) for n, s, d in zip(names, subjects, dance)]
    dance_test = choose_test_takes(names, subjects, test_fraction)
    is_test = [bool(t) if d else s in TEST_SUBJECTS for t, s, d in zip(dance_test, subjects, dance)]
    summary = build_pose_npz(paths, CMU_DAZ_RIG, {"action": actions, "subject": subjects}, subjects, out_path,
                             min_motion_mm, quant_mm=quant_mm, workers=workers, load=load_take,
                             take_names=names, is_test=is_test, attribution=ATTRIBUTION)
    return summary | {"skipped": skipped}
