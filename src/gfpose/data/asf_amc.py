"""Acclaim ASF/AMC motion capture -> joint positions (forward kinematics) -> H36M-17 world poses.

An ASF file describes a skeleton: per bone its ``direction`` (unit vector, world frame of the
rest pose), ``length``, ``axis`` (the bone's local frame as Euler angles, with their order) and
``dof`` (the rotation channels the AMC gives it), and a ``:hierarchy`` of parents and children.
An AMC file holds, per frame, the root's translation and rotation and each bone's dof values.

Forward kinematics, per bone (``C`` from ``axis``, ``M`` from the frame's dof values, both
extrinsic rotations in the order written; the root's ``M`` in its ``axis`` order)::

    global = parent_global @ C @ M @ C^-1
    end    = parent_end + global @ (direction * length)

A bone's position here is the *end* of the bone (the femur's end is the knee). The root sits at
its ``position`` plus the AMC translation. Lengths stay in the file's unit (the ``:units length``
scale is not interpreted: a :class:`Rig`'s ``unit_to_mm`` converts them). Only rotation dofs
(rx, ry, rz) are read; files with translation or length dofs are rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from gfpose.data.posefile import y_up_to_z_up
from gfpose.data.rigs import Rig
from gfpose.errors import InputError
from gfpose.skeleton import H36M_JOINTS
from gfpose.validation import check_finite_poses

ROOT = "root"
_ROTATION_DOFS = ("rx", "ry", "rz")


@dataclass(frozen=True)
class Bone:
    """One ASF bone: ``direction * length`` in the rest pose, local frame ``axis`` (Euler, in ``axis_order``)."""

    name: str
    parent: str
    direction: np.ndarray
    length: float
    axis: np.ndarray
    axis_order: str
    dofs: tuple[str, ...]


@dataclass(frozen=True)
class Skeleton:
    """A parsed ASF file; ``bones`` is ordered parents before children."""

    path: Path
    degrees: bool
    root_order: tuple[str, ...]
    root_axis: str
    root_position: np.ndarray
    root_orientation: np.ndarray
    bones: dict[str, Bone]


def _read_text(path: Path, kind: str) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except OSError as e:
        raise InputError(f"{path}: cannot read {kind} file ({e})") from e


def _numbers(path: Path, number: int, fields: list[str], count: int | None = None) -> np.ndarray:
    """``fields`` as floats; InputError naming the file and line if they are not ``count`` numbers."""
    try:
        values = np.array([float(f) for f in fields], dtype=np.float64)
    except ValueError:
        raise InputError(f"{path}: line {number}: expected numbers, got {' '.join(fields)!r}") from None
    if count is not None and len(values) != count:
        raise InputError(f"{path}: line {number}: expected {count} numbers, got {' '.join(fields)!r}")
    return values


def _sections(path: Path, lines: list[str]) -> dict[str, list[tuple[int, list[str]]]]:
    """``{keyword: [(line number, fields), ...]}`` for each ``:keyword`` section (comments dropped)."""
    sections, current = {}, None
    for number, line in enumerate(lines, 1):
        fields = line.split("#")[0].split()
        if not fields:
            continue
        if fields[0].startswith(":"):
            current = sections.setdefault(fields[0][1:].lower(), [])
            if len(fields) > 1:
                current.append((number, fields[1:]))
        elif current is None:
            raise InputError(f"{path}: line {number}: text before the first ':section'")
        else:
            current.append((number, fields))
    for name in ("root", "bonedata", "hierarchy"):
        if name not in sections:
            raise InputError(f"{path}: ASF file has no ':{name}' section (not an ASF skeleton?)")
    return sections


def _blocks(path: Path, rows: list[tuple[int, list[str]]], section: str) -> list[list[tuple[int, list[str]]]]:
    """The ``begin ... end`` blocks of a section."""
    blocks, current = [], None
    for number, fields in rows:
        key = fields[0].lower()
        if key == "begin":
            current = []
        elif key == "end":
            if current is None:
                raise InputError(f"{path}: line {number}: 'end' without 'begin' in :{section}")
            blocks.append(current)
            current = None
        elif current is None:
            raise InputError(f"{path}: line {number}: {fields[0]!r} outside a begin/end block in :{section}")
        else:
            current.append((number, fields))
    if current is not None:
        raise InputError(f"{path}: :{section} ends inside a begin/end block (truncated?)")
    return blocks


def _bone_fields(path: Path, block: list[tuple[int, list[str]]]) -> dict:
    """name, direction, length, axis, axis_order and dofs of one bonedata block."""
    out = {"dofs": ()}
    for number, fields in block:
        key, rest = fields[0].lower(), fields[1:]
        if key == "name" and rest:
            out["name"] = rest[0]
        elif key == "direction":
            out["direction"] = _numbers(path, number, rest, 3)
        elif key == "length":
            out["length"] = float(_numbers(path, number, rest, 1)[0])
        elif key == "axis":
            if len(rest) != 4 or sorted(rest[3].upper()) != ["X", "Y", "Z"]:
                raise InputError(f"{path}: line {number}: expected 'axis A B C ORDER' with ORDER "
                                 f"a permutation of XYZ, got {' '.join(fields)!r}")
            out["axis"], out["axis_order"] = _numbers(path, number, rest[:3], 3), rest[3].upper()
        elif key == "dof":
            dofs = tuple(d.lower() for d in rest)
            bad = [d for d in dofs if d not in _ROTATION_DOFS]
            if bad or len(set(dofs)) != len(dofs):
                raise InputError(f"{path}: line {number}: dof {' '.join(rest)!r}: only distinct "
                                 f"rotation dofs {_ROTATION_DOFS} are supported")
            out["dofs"] = dofs
    missing = [k for k in ("name", "direction", "length", "axis") if k not in out]
    if missing:
        first = block[0][0] if block else "?"
        raise InputError(f"{path}: bone block at line {first} lacks {missing}")
    return out


def _parents(path: Path, rows: list[tuple[int, list[str]]], names: set[str]) -> dict[str, str]:
    """``{child: parent}`` from the :hierarchy section."""
    parents = {}
    for block in _blocks(path, rows, "hierarchy"):
        for number, (parent, *children) in block:
            for name in (parent, *children):
                if name != ROOT and name not in names:
                    raise InputError(f"{path}: line {number}: hierarchy names unknown bone {name!r}")
            for child in children:
                parents[child] = parent
    return parents


def _parent_first(path: Path, parents: dict[str, str], names: list[str]) -> list[str]:
    """Bone names ordered so that each comes after its parent; every bone must hang from the root."""
    order, placed = [], {ROOT}
    while len(order) < len(names):
        ready = [n for n in names if n not in placed and parents.get(n) in placed]
        if not ready:
            lost = sorted(set(names) - placed)
            raise InputError(f"{path}: bones {lost} are not connected to the root in :hierarchy")
        order += ready
        placed.update(ready)
    return order


def _degrees(path: Path, rows: list[tuple[int, list[str]]]) -> bool:
    """Whether the :units section's angle unit is degrees (the default) or radians."""
    for number, fields in rows:
        if fields[0].lower() == "angle":
            if fields[1:] not in (["deg"], ["rad"]):
                raise InputError(f"{path}: line {number}: angle unit must be 'deg' or 'rad'")
            return fields[1] == "deg"
    return True


def parse_asf(path: str | Path) -> Skeleton:
    """Read an ASF skeleton file."""
    path = Path(path)
    sections = _sections(path, _read_text(path, "ASF"))
    root = {fields[0].lower(): (number, fields[1:]) for number, fields in sections["root"]}
    if "order" not in root or "axis" not in root:
        raise InputError(f"{path}: :root lacks its 'order' or 'axis' line")
    root_axis = root["axis"][1][0].upper() if root["axis"][1] else ""
    if sorted(root_axis) != ["X", "Y", "Z"]:
        raise InputError(f"{path}: line {root['axis'][0]}: root axis {root_axis!r} is not a permutation of XYZ")
    root_vectors = {key: _numbers(path, *root.get(key, (0, ["0", "0", "0"])), 3)
                    for key in ("position", "orientation")}

    fields = [_bone_fields(path, block) for block in _blocks(path, sections["bonedata"], "bonedata")]
    by_name = {f["name"]: f for f in fields}
    if len(by_name) != len(fields):
        raise InputError(f"{path}: bone names are not unique")
    parents = _parents(path, sections["hierarchy"], set(by_name))
    bones = {name: Bone(parent=parents[name], **by_name[name])
             for name in _parent_first(path, parents, list(by_name))}
    root_order = tuple(c.upper() for c in root["order"][1])
    if not set(root_order) <= {"TX", "TY", "TZ", "RX", "RY", "RZ"}:
        raise InputError(f"{path}: line {root['order'][0]}: root order {' '.join(root_order)!r} has channels "
                         "other than TX TY TZ RX RY RZ")
    return Skeleton(path=path, degrees=_degrees(path, sections.get("units", [])),
                    root_order=root_order, root_axis=root_axis,
                    root_position=root_vectors["position"], root_orientation=root_vectors["orientation"],
                    bones=bones)


def parse_amc(path: str | Path, skeleton: Skeleton) -> dict[str, np.ndarray]:
    """Per-frame channel values of an AMC file: ``{"root": (F, len(root_order)), bone: (F, len(dofs))}``."""
    path = Path(path)
    width = {ROOT: len(skeleton.root_order)} | {b.name: len(b.dofs) for b in skeleton.bones.values() if b.dofs}
    values = {name: [] for name in width}
    seen, frame = set(), None

    def check_frame_complete(number):
        if frame is not None and seen != set(width):
            raise InputError(f"{path}: frame {frame} (ending at line {number}) lacks "
                             f"{sorted(set(width) - seen)}")

    for number, line in enumerate(_read_text(path, "AMC"), 1):
        fields = line.split("#")[0].split()
        if not fields:
            continue
        if fields[0].upper() in (":DEGREES", ":RADIANS") and (fields[0].upper() == ":DEGREES") != skeleton.degrees:
            raise InputError(f"{path}: line {number}: angles in {fields[0][1:].lower()}, but "
                             f"{skeleton.path.name} declares {'deg' if skeleton.degrees else 'rad'}")
        if fields[0].startswith(":"):
            continue
        if len(fields) == 1 and fields[0].isdigit():
            check_frame_complete(number)
            frame, seen = int(fields[0]), set()
            continue
        name = fields[0]
        if frame is None:
            raise InputError(f"{path}: line {number}: bone values before the first frame number")
        if name not in width:
            raise InputError(f"{path}: line {number}: {name!r} is not a bone with dofs in {skeleton.path.name}")
        if name in seen:
            raise InputError(f"{path}: line {number}: {name!r} given twice in frame {frame}")
        values[name].append(_numbers(path, number, fields[1:], width[name]))
        seen.add(name)
    if frame is None:
        raise InputError(f"{path}: AMC file has no frames")
    check_frame_complete("end of file")
    return {name: np.stack(rows) for name, rows in values.items()}


def _euler(order: str, angles: np.ndarray, degrees: bool) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` of extrinsic Euler angles applied in ``order`` (e.g. 'XYZ')."""
    return Rotation.from_euler(order.lower(), angles, degrees=degrees).as_matrix()


def forward_kinematics(skeleton: Skeleton, motion: dict[str, np.ndarray]
                       ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """World positions ``(F, 3)`` of the root and each bone's end, and world rotations ``(F, 3, 3)``,
    in the ASF's length unit and axes (module docstring)."""
    root = motion[ROOT]
    frames = len(root)
    channel = {name: root[:, i] for i, name in enumerate(skeleton.root_order)}
    zeros = np.zeros(frames)
    translation = np.stack([channel.get(f"T{a}", zeros) for a in "XYZ"], axis=-1)
    root_angles = np.stack([channel.get(f"R{a}", zeros) for a in skeleton.root_axis], axis=-1)

    def conjugate(parent, axis_order, axis, local):
        c = _euler(axis_order, axis, skeleton.degrees)
        return parent @ c @ local @ c.T

    positions = {ROOT: skeleton.root_position + translation}
    rotations = {ROOT: conjugate(np.eye(3), skeleton.root_axis, skeleton.root_orientation,
                                 _euler(skeleton.root_axis, root_angles, skeleton.degrees))}
    for bone in skeleton.bones.values():
        local = (_euler("".join(d[1] for d in bone.dofs), motion[bone.name], skeleton.degrees)
                 if bone.dofs else np.eye(3))
        rotations[bone.name] = conjugate(rotations[bone.parent], bone.axis_order, bone.axis, local)
        positions[bone.name] = positions[bone.parent] + rotations[bone.name] @ (bone.direction * bone.length)
    return positions, rotations


def rest_pose(skeleton: Skeleton) -> dict[str, np.ndarray]:
    """Positions ``(3,)`` of the root and each bone's end with every channel at zero."""
    zero = {ROOT: np.zeros((1, len(skeleton.root_order)))} | {
        b.name: np.zeros((1, len(b.dofs))) for b in skeleton.bones.values() if b.dofs}
    positions, _ = forward_kinematics(skeleton, zero)
    return {name: p[0] for name, p in positions.items()}


def load_amc(amc_path: str | Path, asf_path: str | Path, rig: Rig) -> np.ndarray:
    """All frames of an AMC take as H36M-17 world poses, ``(F, 17, 3)`` float32 mm, +z up.

    ``rig`` names bones, meaning each bone's *end* (and ``root``); an :class:`EndSite` is fixed in
    its bone's frame, measured in the rest pose (where every world rotation is the identity).
    """
    skeleton = parse_asf(asf_path)
    positions, rotations = forward_kinematics(skeleton, parse_amc(amc_path, skeleton))
    missing = sorted(rig.source_joints() - set(positions))
    if missing:
        raise InputError(f"{asf_path}: ASF lacks bones {missing} needed by rig {rig.name!r}; "
                         f"it has {sorted(positions)}")
    rest = rest_pose(skeleton) if rig.derived else {}
    columns = []
    for name in H36M_JOINTS:
        if name in rig.joints:
            columns.append(np.mean([positions[s] for s in rig.joints[name]], axis=0))
        else:
            e = rig.derived[name]
            offset = e.scale * (rest[e.joint] - rest[e.extend_from])
            columns.append(positions[e.joint] + rotations[e.joint] @ offset)
    out = np.stack(columns, axis=1) * rig.unit_to_mm
    if rig.up_axis == "y":
        out = y_up_to_z_up(out)
    return check_finite_poses(out, f"{amc_path}: poses")
