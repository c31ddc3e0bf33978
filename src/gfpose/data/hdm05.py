"""HDM05 motion capture (Acclaim ASF/AMC) -> an H36M-17 training npz, split by actor.

Build rule (:func:`build_hdm05`, the rule of :mod:`gfpose.data.bvh_folder`):

* Every take ``HDM_{actor}_{motion}_{nnn}_{fps}.amc`` under the source folder, with its actor's
  skeleton ``HDM_{actor}.asf`` from the same folder, through :data:`gfpose.data.rigs.HDM05_RIG`
  (:func:`gfpose.data.asf_amc.load_amc`), root-relative, world axes (+z up), mm.
* Take ``HDM_dg_lieDownFloor_014_120`` is left out: between its frames 241 and 242 the left
  femur's angles switch branch and the knee jumps 585 mm (the largest jump of any other take is
  102 mm), so one side of the take is wrong.
* Near-duplicate frames dropped at ``min_motion_mm`` = 20 mm, as the bundled set.
* Split by actor: bd, bk and dg train, mm and tr test (the subset's own split), so the test poses
  come from bodies the training never saw.
* Labels: action = the motion of the file name (e.g. ``lieDownFloor``, ``squat1Reps``),
  subject = the actor, take = the file name; int16 in 0.5 mm steps, with the attribution text.

Data: CC BY-SA 3.0, HDM05 (Hochschule der Medien); see :data:`ATTRIBUTION`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from gfpose.data.asf_amc import load_amc
from gfpose.data.bvh_folder import MIN_MOTION_MM, build_pose_npz
from gfpose.data.rigs import HDM05_RIG, Rig
from gfpose.errors import InputError

LOG = logging.getLogger(__name__)
TEST_ACTORS = ("mm", "tr")
BROKEN_TAKES = ("HDM_dg_lieDownFloor_014_120",)

ATTRIBUTION = (
    "Derived from the HDM05 motion capture database (Hochschule der Medien, 2007), licensed "
    "CC BY-SA 3.0 (https://creativecommons.org/licenses/by-sa/3.0/); adaptations must be shared "
    "alike. Cite: M. Mueller, T. Roeder, M. Clausen, B. Eberhardt, B. Krueger, A. Weber, "
    "'Documentation Mocap Database HDM05', Technical Report CG-2007-2, Universitaet Bonn, 2007. "
    "Changes: an 11-class subset (5 actors) converted to H36M-17 joints, root-relative, "
    "near-duplicate frames dropped, quantised to 0.5 mm."
)


def parse_take_name(path: Path) -> tuple[str, str]:
    """``HDM_{actor}_{motion}_{nnn}_{fps}.amc`` -> (actor, motion)."""
    parts = path.stem.split("_")
    if len(parts) < 5 or parts[0] != "HDM":
        raise InputError(f"{path}: name does not match 'HDM_{{actor}}_{{motion}}_{{nnn}}_{{fps}}.amc'")
    return parts[1], "_".join(parts[2:-2])


def load_take(path: Path, rig: Rig = HDM05_RIG) -> np.ndarray:
    """One AMC take with its actor's ASF (``HDM_{actor}.asf`` beside it) as world poses (F, 17, 3) mm."""
    actor, _ = parse_take_name(path)
    asf = path.parent / f"HDM_{actor}.asf"
    if not asf.exists():
        raise InputError(f"{path}: its skeleton {asf.name} is not in the same folder")
    return load_amc(path, asf, rig)


def build_hdm05(src_root: str | Path, out_path: str | Path, min_motion_mm: float = MIN_MOTION_MM,
                quant_mm: float = 0.5, workers: int = 2) -> dict:
    """Convert every HDM05 take under ``src_root`` and write the npz; returns summary statistics."""
    src_root = Path(src_root)
    paths = sorted(src_root.rglob("HDM_*.amc"), key=lambda p: p.name)
    broken = [p for p in paths if p.stem in BROKEN_TAKES]
    if broken:
        LOG.warning("skipped broken takes: %s", ", ".join(p.name for p in broken))
        paths = [p for p in paths if p not in broken]
    if not paths:
        raise InputError(f"{src_root}: no 'HDM_*.amc' files found; expected the unpacked HDM05 subset "
                         "(src/{train,test}/<class>/)")
    actors, motions = (list(column) for column in zip(*(parse_take_name(p) for p in paths)))
    return build_pose_npz(paths, HDM05_RIG, {"action": motions, "subject": actors}, actors, out_path,
                          min_motion_mm, quant_mm=quant_mm, workers=workers, load=load_take,
                          is_test=[a in TEST_ACTORS for a in actors], attribution=ATTRIBUTION)
