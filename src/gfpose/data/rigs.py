"""Rigs: how a mocap skeleton's joints map onto the H36M-17 joints.

A :class:`Rig` says, for each H36M-17 joint, either which source joints to average
(``joints``) or how to derive a point the source skeleton lacks (``derived``, an
:class:`EndSite`). ``unit_to_mm`` and ``up_axis`` bring the file into gfpose's world frame
(millimetres, +z up). Rigs are TOML files (the shipped ones in src/gfpose/rigs, each with the
reasons for its choices); :mod:`gfpose.data.bvh` says how to write one for your own skeleton.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import tomllib

from gfpose.errors import InputError
from gfpose.skeleton import H36M_JOINTS


@dataclass(frozen=True)
class EndSite:
    """A point rigidly attached to source joint ``joint`` (it follows that joint's rotation).

    In the file's rest pose it sits at ``joint + scale * (joint - extend_from)``, i.e. it extends
    the bone ``extend_from -> joint`` by ``scale`` times its length, like a BVH End Site.
    """

    joint: str
    extend_from: str
    scale: float


@dataclass(frozen=True)
class Rig:
    """Mapping of a source skeleton onto H36M-17 (every H36M joint named exactly once)."""

    name: str
    joints: dict[str, tuple[str, ...]]
    derived: dict[str, EndSite] = field(default_factory=dict)
    unit_to_mm: float = 10.0
    up_axis: str = "y"

    def __post_init__(self):
        named = list(self.joints) + list(self.derived)
        if sorted(named) != sorted(H36M_JOINTS):
            raise InputError(
                f"rig {self.name!r}: joints + derived name {sorted(named)}; "
                f"expected each of the H36M-17 joints {list(H36M_JOINTS)} exactly once")
        if self.up_axis not in ("y", "z"):
            raise InputError(f"rig {self.name!r}: up_axis is {self.up_axis!r}; expected 'y' or 'z'")
        if not self.unit_to_mm > 0:
            raise InputError(f"rig {self.name!r}: unit_to_mm is {self.unit_to_mm}; expected > 0")

    def source_joints(self) -> set[str]:
        """Every source joint name this rig reads."""
        names = {n for srcs in self.joints.values() for n in srcs}
        return names | {n for e in self.derived.values() for n in (e.joint, e.extend_from)}


LIMB_JOINTS = ("hip", "knee", "ankle", "shoulder", "elbow", "wrist")
RIG_KEYS = {"name", "unit_to_mm", "up_axis", "joints", "limbs", "derived"}
SHIPPED_RIGS = resources.files("gfpose") / "rigs"


def read_rig(path) -> Rig:
    """A rig from a TOML file (the shipped ones are in src/gfpose/rigs; the name defaults to the file's
    stem): ``unit_to_mm``, ``up_axis``, ``[joints]`` (H36M joint = list of source joints averaged),
    ``[limbs]`` (``left`` / ``right`` side tags and a name template with ``{}`` for each of
    hip, knee, ankle, shoulder, elbow, wrist) and ``[derived]`` (joint = {joint, extend_from, scale}).
    A file that is missing, not TOML or has unknown keys raises InputError naming it."""
    try:
        table = tomllib.loads(Path(path).read_text())
    except OSError as err:
        raise InputError(f"rig file {path}: cannot be read ({err.strerror})") from None
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"rig file {path}: not valid TOML ({err})") from None
    if unknown := set(table) - RIG_KEYS:
        raise InputError(f"rig file {path}: unknown keys {sorted(unknown)}; expected some of {sorted(RIG_KEYS)}")
    joints = {name: tuple(sources) for name, sources in table.get("joints", {}).items()}
    if limbs := table.get("limbs"):
        if unknown := set(limbs) - {"left", "right", *LIMB_JOINTS}:
            raise InputError(f"rig file {path}: unknown [limbs] keys {sorted(unknown)}")
        if missing := {"left", "right"} - set(limbs):
            raise InputError(f"rig file {path}: [limbs] needs the side tags {sorted(missing)}")
        for side in ("left", "right"):
            for joint in (j for j in LIMB_JOINTS if j in limbs):
                name = f"{side[0]}_{joint}"
                if name in joints:
                    raise InputError(f"rig file {path}: {name} in both [joints] and [limbs]")
                joints[name] = (limbs[joint].format(limbs[side]),)
    derived = table.get("derived", {})
    if bad := [name for name, site in derived.items() if not isinstance(site, dict)]:
        raise InputError(f"rig file {path}: derived.{bad[0]} must be a table {{joint, extend_from, scale}}")
    try:
        derived = {name: EndSite(**site) for name, site in derived.items()}
        return Rig(name=table.get("name", Path(path).stem), joints=joints, derived=derived,
                   unit_to_mm=float(table.get("unit_to_mm", 10.0)), up_axis=table.get("up_axis", "y"))
    except (TypeError, KeyError) as err:
        raise InputError(f"rig file {path}: {err}") from None


def find_rig(name_or_path) -> Rig:
    """A shipped BVH rig by name (:data:`BVH_RIGS`) or a rig file of your own (read_rig)."""
    if name_or_path in BVH_RIGS:
        return BVH_RIGS[name_or_path]
    if str(name_or_path).endswith(".toml"):
        return read_rig(name_or_path)
    raise InputError(f"rig {name_or_path!r}: neither a shipped rig ({', '.join(BVH_RIGS)}) nor a .toml rig file")


BANDAI_RIG = read_rig(SHIPPED_RIGS / "bandai.toml")
#: Example rig for the cgspeed BVH conversion of CMU mocap (tested on a synthetic file only).
CMU_RIG = read_rig(SHIPPED_RIGS / "cmu.toml")
CMU_DAZ_RIG = read_rig(SHIPPED_RIGS / "cmu-daz.toml")
#: HDM05's ASF bones (each names its bone's end), for gfpose.data.asf_amc: not a BVH rig.
HDM05_RIG = read_rig(SHIPPED_RIGS / "hdm05.toml")
#: The skeleton gfpose writes (gfpose.media.bvh_export): one BVH joint per H36M-17 joint, metres, Y up.
GFPOSE_RIG = Rig(name="gfpose", joints={name: (name,) for name in H36M_JOINTS}, unit_to_mm=1000.0, up_axis="y")

#: The rigs `gfpose data build-bvh` and `gfpose denoise take.bvh --rig` know by name.
BVH_RIGS = {"bandai": BANDAI_RIG, "cmu": CMU_RIG, "cmu-daz": CMU_DAZ_RIG, "gfpose": GFPOSE_RIG}
