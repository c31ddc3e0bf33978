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

#: The "Daz-friendly" BVH conversion of the CMU mocap database (root ``hip``, abdomen, chest, neck,
#: head, l/rCollar, l/rShldr (upper arm), l/rForeArm, l/rHand, l/rButtock, l/rThigh, l/rShin,
#: l/rFoot, eyes and fingers). Every take shares one skeleton (each subject's motion retargeted
#: onto it). Its lengths are centimetres, not inches: the pelvis stands 85-90 units above the
#: floor and the femur is 36.8 units. Rest-pose lengths, the bundled set's medians in brackets:
#:
#: * pelvis = mean of the thigh joints (the hip joints, 26 mm below ``hip``): pelvis-hip 88 mm [65].
#: * thorax = mean of the two collar joints: the base of the neck, 19 mm above shoulder height
#:   (the ``neck`` joint is 49 mm above it); thorax-shoulder 117 mm [108].
#: * spine = mean(abdomen, chest), 240 mm above the pelvis and 250 mm below the thorax [224, 208]
#:   (abdomen alone would be 180 mm up, chest 298 mm).
#: * The head joint (skull base) is only 107 mm above the thorax and the file has no head top.
#:   Both are End Sites on ``head`` extending the neck->head bone (71.8 mm): neck/nose at 0.3x
#:   (128 mm above the thorax [129]) and head top at 1.9x (115 mm above the nose [116]).
#: * shoulders/elbows/wrists = Shldr/ForeArm/Hand (upper arm 282 mm [243], forearm 237 mm [223]);
#:   hips/knees/ankles = Thigh/Shin/Foot (thigh 368 mm [391], shin 454 mm [410]: this rig's knee
#:   sits high, the leg's total length 822 mm [801] is right).
CMU_DAZ_RIG = Rig(
    name="cmu-daz",
    joints={
        "pelvis": ("lThigh", "rThigh"),
        "spine": ("abdomen", "chest"),
        "thorax": ("lCollar", "rCollar"),
        **_limbs("{}Thigh", "{}Shin", "{}Foot", "{}Shldr", "{}ForeArm", "{}Hand", left="l", right="r"),
    },
    derived={
        "neck": EndSite("head", extend_from="neck", scale=0.3),
        "head": EndSite("head", extend_from="neck", scale=1.9),
    },
    unit_to_mm=10.0,
    up_axis="y",
)

#: HDM05's Acclaim ASF skeleton (CMU-style 31 bones; length unit 0.45 -> 25.4 / 0.45 mm, Y up),
#: for :func:`gfpose.data.asf_amc.load_amc`. Names are ASF *bones* and mean each bone's end
#: (``lfemur`` = knee), unlike BVH joints, so this rig is not in :data:`RIGS`. Rest-pose lengths
#: of the five actors (bd, bk, dg, mm, tr) against the bundled set's medians in brackets:
#:
#: * pelvis = mean of the hip joints (ends of lhipjoint/rhipjoint = femur starts): pelvis-hip
#:   59-107 mm [65]. The ASF ``root`` sits 100-118 mm above that point and is not used.
#: * spine = end of lowerback: 229-268 mm above the pelvis, 250-302 mm below the thorax
#:   [224, 208]; the end of upperback (353-410 mm up) would sit too close to the thorax.
#: * thorax = end of the thorax bone (base of the neck, where the clavicles start, 10-52 mm below
#:   shoulder height): pelvis-thorax 478-555 mm.
#: * neck/nose = mean of the ends of lowerneck and upperneck (121-145 mm above the thorax [129]);
#:   head top = end of the head bone (neck-head 124-150 mm [116]). Both follow the neck bones'
#:   and head's rotations.
#: * shoulders = humerus starts (clavicle ends): thorax-shoulder 212-262 mm [108]; the mocap fit
#:   puts the humeral heads that far out and the arms hang from there, so it is kept.
#: * elbows = humerus end (256-310 mm [243]); wrists = end of the *wrist* bone, not of radius:
#:   radius ends mid-forearm (170-223 mm from the elbow), lwrist continues along the forearm and
#:   only twists it (dof ry), the wrist's flexion is lhand's (rx rz). Forearm 247-334 mm [223].
#: * knees = femur end (368-445 mm [391]); ankles = tibia end (378-494 mm [410]).
HDM05_RIG = Rig(
    name="hdm05",
    joints={
        "pelvis": ("lhipjoint", "rhipjoint"),
        "spine": ("lowerback",),
        "thorax": ("thorax",),
        "neck": ("lowerneck", "upperneck"),
        "head": ("head",),
        **_limbs("{}hipjoint", "{}femur", "{}tibia", "{}clavicle", "{}humerus", "{}wrist", left="l", right="r"),
    },
    unit_to_mm=25.4 / 0.45,
    up_axis="y",
)

#: The skeleton gfpose writes (gfpose.media.bvh_export): one BVH joint per H36M-17 joint, metres, Y up.
GFPOSE_RIG = Rig(name="gfpose", joints={name: (name,) for name in H36M_JOINTS}, unit_to_mm=1000.0, up_axis="y")

#: The rigs `gfpose build-bvh` and `gfpose denoise take.bvh --rig` know by name.
RIGS = {"bandai": BANDAI_RIG, "cmu": CMU_RIG, "cmu-daz": CMU_DAZ_RIG, "gfpose": GFPOSE_RIG}
