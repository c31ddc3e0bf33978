"""Rigs: how a mocap skeleton's joints map onto the H36M-17 joints.

A :class:`Rig` says, for each H36M-17 joint, either which source joints to average
(``joints``) or how to derive a point the source skeleton lacks (``derived``, an
:class:`EndSite`). ``unit_to_mm`` and ``up_axis`` bring the file into gfpose's world frame
(millimetres, +z up). See :mod:`gfpose.data.bvh` for how to add a rig of your own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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


def _limbs(hip: str, knee: str, ankle: str, shoulder: str, elbow: str, wrist: str,
           left: str, right: str) -> dict[str, tuple[str, ...]]:
    """Left/right leg and arm joints from name templates with a ``{}`` for the side."""
    out = {}
    for side, tag in (("l", left), ("r", right)):
        for h36m, src in (("hip", hip), ("knee", knee), ("ankle", ankle),
                          ("shoulder", shoulder), ("elbow", elbow), ("wrist", wrist)):
            out[f"{side}_{h36m}"] = (src.format(tag),)
    return out


#: The 22-joint Bandai Namco Research skeleton (cm, Y up).
#:
#: * pelvis = mean of the two hip joints (UpperLeg_L/R), as in H36M where the pelvis is midway
#:   between the hips; the Bandai ``Hips`` joint sits 2 cm higher and is not used.
#: * spine = mean(Spine, Chest) (midway pelvis-thorax, like H36M); thorax = Neck (base of the neck,
#:   at shoulder height).
#: * The file has no nose or head-top joint and its Head End Site has zero length. Both are
#:   derived as End Sites on ``Head`` that extend the Neck->Head bone (64.6 mm long): neck/nose at
#:   1.0x (129 mm above the thorax along the neck axis; H36M's thorax->nose is about 115 mm) and
#:   head top at 2.8x (245 mm above the thorax, about 116 mm above the nose, matching H36M's
#:   nose->head of about 115 mm). They follow the Head joint's rotation, so nodding is kept;
#:   the real nose lies a few cm in front of this axis, which the rig does not model.
BANDAI_RIG = Rig(
    name="bandai",
    joints={
        "pelvis": ("UpperLeg_L", "UpperLeg_R"),
        "spine": ("Spine", "Chest"),
        "thorax": ("Neck",),
        **_limbs("UpperLeg_{}", "LowerLeg_{}", "Foot_{}", "UpperArm_{}", "LowerArm_{}", "Hand_{}",
                 left="L", right="R"),
    },
    derived={
        "neck": EndSite("Head", extend_from="Neck", scale=1.0),
        "head": EndSite("Head", extend_from="Neck", scale=2.8),
    },
    unit_to_mm=10.0,
    up_axis="y",
)

#: Example rig for the CMU mocap BVH conversion (cgspeed naming: Hips, LHipJoint,
#: LeftUpLeg, LeftLeg, LeftFoot, ..., LowerBack, Spine, Spine1, Neck, Neck1, Head, LeftShoulder,
#: LeftArm, LeftForeArm, LeftHand, ...). Those files keep the ASF length unit (1/0.45 inch =
#: 56.44 mm) and are Y up; check a file's femur length (~430 mm) before trusting the unit.
#: Head top extends Neck1->Head once more. Tested only on a synthetic file.
CMU_RIG = Rig(
    name="cmu",
    joints={
        "pelvis": ("LeftUpLeg", "RightUpLeg"),
        "spine": ("Spine",),
        "thorax": ("Neck",),
        "neck": ("Head",),
        **_limbs("{}UpLeg", "{}Leg", "{}Foot", "{}Arm", "{}ForeArm", "{}Hand",
                 left="Left", right="Right"),
    },
    derived={"head": EndSite("Head", extend_from="Neck1", scale=1.0)},
    unit_to_mm=25.4 / 0.45,
    up_axis="y",
)

#: The skeleton gfpose writes (gfpose.media.bvh_export): one BVH joint per H36M-17 joint, metres, Y up.
GFPOSE_RIG = Rig(name="gfpose", joints={name: (name,) for name in H36M_JOINTS}, unit_to_mm=1000.0, up_axis="y")

#: The rigs `gfpose build-bvh` and `gfpose denoise take.bvh --rig` know by name.
RIGS = {"bandai": BANDAI_RIG, "cmu": CMU_RIG, "gfpose": GFPOSE_RIG}
