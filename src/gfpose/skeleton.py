"""Joint definitions: the H36M-17 skeleton (VideoPose3D order), its body parts and sides.

Every pose array in gfpose is ``(..., 17, 3)`` in this joint order, millimetres,
unless a docstring says otherwise.
"""

H36M_JOINTS = (
    "pelvis", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle",
    "spine", "thorax", "neck", "head",
    "l_shoulder", "l_elbow", "l_wrist", "r_shoulder", "r_elbow", "r_wrist",
)
NUM_JOINTS = len(H36M_JOINTS)
ROOT = 0

# Parent of each joint (-1 for the root); bones are (PARENTS[j], j) for j > 0.
PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
BONES = tuple((p, j) for j, p in enumerate(PARENTS) if p >= 0)

# The five body parts of the hierarchical condition mask (paper Sec. 4.3).
BODY_PARTS = {
    "torso": (0, 7, 8, 9, 10),
    "r_leg": (1, 2, 3),
    "l_leg": (4, 5, 6),
    "l_arm": (11, 12, 13),
    "r_arm": (14, 15, 16),
}

# The joints of each side (for left/right colouring).
LEFT_JOINTS = (4, 5, 6, 11, 12, 13)
RIGHT_JOINTS = (1, 2, 3, 14, 15, 16)


def joint_index(name: str) -> int:
    """Index of an H36M-17 joint by name (raises ValueError naming the valid names)."""
    try:
        return H36M_JOINTS.index(name)
    except ValueError:
        raise ValueError(f"unknown joint {name!r}; expected one of {', '.join(H36M_JOINTS)}") from None
