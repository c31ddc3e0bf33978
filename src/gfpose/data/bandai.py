"""The bundled dataset: Bandai Namco Research mocap converted to H36M-17 (build and load).

Build rule (:func:`build_bandai`, the rule of :mod:`gfpose.data.bvh_folder`):

* Every take of both sets (``dataset-N_{content}_{style}_{id}.bvh``) through
  :data:`gfpose.data.rigs.BANDAI_RIG`, root-relative, world axes (+z up), mm.
* Near-duplicate frames dropped at ``min_motion_mm`` = 20 mm: it keeps 77% of the 416,845 frames
  and, with the quantisation below, keeps the file near 20 MB (10 mm would keep 85%, 30 mm 69%).
* Split by whole takes within each (set, content) group, 10% test: every content with two or
  more takes is in both splits, the three single-take contents of set 1 (dance-short, kick,
  respond) are train only.
* int16 in 0.5 mm steps (rounding error <= 0.25 mm, far below mocap noise; 0.1 mm steps would make
  the file 40% larger), with the attribution text.

Data: CC BY-NC 4.0, (c) 2022 Bandai Namco Research Inc.; see ``assets/DATA_LICENSE.md``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from gfpose.data.bvh_folder import MIN_MOTION_MM, build_pose_npz
from gfpose.data.posefile import load_pose_npz
from gfpose.data.poseset import PoseSet
from gfpose.data.rigs import BANDAI_RIG
from gfpose.errors import InputError

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


def build_bandai(src_root: str | Path, out_path: str | Path | None = None,
                 min_motion_mm: float = MIN_MOTION_MM, test_fraction: float = 0.1,
                 quant_mm: float = 0.5, workers: int = 2) -> dict:
    """Convert every Bandai take under ``src_root`` and write the npz; returns summary statistics."""
    src_root = Path(src_root)
    paths = sorted(src_root.rglob("dataset-*_*.bvh"))
    if not paths:
        raise InputError(f"{src_root}: no 'dataset-N_*.bvh' files found; expected the unpacked "
                         "Bandai-Namco-Research-Motiondataset-1/-2 folders")
    labels = [parse_take_name(p) for p in paths]
    sources, contents, styles = (list(column) for column in zip(*labels))
    return build_pose_npz(paths, BANDAI_RIG,
                          {"action": contents, "style": styles, "source": sources, "subject": ["bandai"] * len(paths)},
                          [f"{source}/{content}" for source, content in zip(sources, contents)],
                          Path(out_path) if out_path is not None else bundled_path(), min_motion_mm, test_fraction,
                          quant_mm, workers, attribution=ATTRIBUTION)
