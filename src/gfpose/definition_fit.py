"""Scoring another tool's poses in its own joint definition: a skeleton adapter fitted by the prior.

Another tool's 17 joints are not the prior's: its hips, shoulders, neck and head sit elsewhere on
the body and its bones have other lengths (CMU mocap's thorax -> shoulder is 207 mm, the bundled
skeleton's 109; BlazePose's shoulders are 350 mm apart, the bundled mocap's 201). The prior scores
such poses as implausible however natural they are (benchmarks/plausibility.py: every BlazePose 3D
frame of the footage clip is flagged, and so is its multi-view reference). What differs is one
systematic change of definition for the whole file, which the prior can estimate from the file:

    a(x)_j = a(x)_parent(j) + exp(s_g(j)) (x_j - x_parent(j)) + R(x) c_j,

every bone scaled by a factor shared by its group (left and right alike) and the hips, shoulders,
spine, thorax, neck and head moved by constant offsets c in the pose's torso frame R(x) (x from the
right to the left hip, y up the spine to the thorax, z = x cross y), mirrored between left and right
(centre joints move in the sagittal plane). 24 numbers, fitted by L-BFGS to minimise the mean score
(gfpose.plausibility, about -log p) of the file's poses after the change, the worst `trim` share of
the file left out so that the implausible frames a user is looking for do not pull the fit: the
most likely change of definition. The fit goes coarse to fine (FIT_STAGES), as annealed Langevin
sampling does, to pass the local minima of the score at the fine levels. A per-pose corruption (a
knee bent backwards, a limb swapped) cannot be absorbed by one change for all poses, so it still
stands out.

The torso's own bones (hips, spine, thorax, shoulders) turn with the torso frame, so for them a
factor and an offset can trade off, and fitted factors can look extreme: on a track lifted from a
detector's 2D the head's factor falls to about 0.02 with an offset in its place, the head held still
against the torso, as the detector definition's face points follow the torso
(gfpose.joint_definitions). Shrunk torso bones also shrink jitter on them (HDM05's 10 mm jitter
is found less well in its fitted definition), but bounding the factors, a Gaussian prior on their
logs or no factors on the torso's bones all found bent-back elbows less well (docs/RESULTS.md,
Plausibility: CMU's AUC 0.951 with the prior, 0.940 without torso factors, against 0.975).

The adapter commutes with rotations and with mirroring (left and right exchanged), so a pose and
its mirror image score alike, as they do unadapted.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from gfpose.errors import InputError
from gfpose.geometry import bone_vectors
from gfpose.plausibility import LEVELS_MM
from gfpose.skeleton import H36M_JOINTS, PARENTS

# Bones (named by the joint they end at) that share one length factor.
BONE_GROUPS = {"hip": ("r_hip", "l_hip"), "thigh": ("r_knee", "l_knee"), "shin": ("r_ankle", "l_ankle"),
               "spine": ("spine",), "thorax": ("thorax",), "neck": ("neck",), "head": ("head",),
               "shoulder": ("r_shoulder", "l_shoulder"), "upper arm": ("r_elbow", "l_elbow"),
               "forearm": ("r_wrist", "l_wrist")}
# Joints moved by a torso-frame offset: (left or centre joint, its right mirror or None).
OFFSET_SITES = {"hip": ("l_hip", "r_hip"), "shoulder": ("l_shoulder", "r_shoulder"), "spine": ("spine", None),
                "thorax": ("thorax", None), "neck": ("neck", None), "head": ("head", None)}
OFFSET_UNIT_MM = 10.0  # offsets are parameters in cm, of the log-factors' order
MIN_POSES = 20
FIT_POSES = 256
FIT_TRIM = 0.2
# Noise levels (mm) of the successive fits: the coarse ones smooth the score's landscape, so the fit
# does not stop in the local minima it has at the scoring levels (a known change of definition is
# then undone to within 3 mm instead of left 35 mm off; tests/test_definition_fit.py).
FIT_STAGES = ((40.0, 80.0, 160.0, 320.0), (20.0, 40.0, 80.0, 160.0), LEVELS_MM)
FIT_ITERATIONS = 60

_J = {name: i for i, name in enumerate(H36M_JOINTS)}


def torso_frame(poses: torch.Tensor) -> torch.Tensor:
    """(B, 17, 3) -> (B, 3, 3) rotations whose columns are the torso's x (right hip -> left hip),
    y (up the spine, orthogonal to x) and z = x cross y."""
    x = nn.functional.normalize(poses[:, _J["l_hip"]] - poses[:, _J["r_hip"]], dim=-1, eps=1e-6)
    z = nn.functional.normalize(torch.cross(x, poses[:, _J["thorax"]] - poses[:, _J["pelvis"]], dim=-1),
                                dim=-1, eps=1e-6)
    return torch.stack([x, torch.cross(z, x, dim=-1), z], dim=-1)


def _group_matrix() -> torch.Tensor:
    """(17, groups): 1 where joint j's bone belongs to the group."""
    matrix = torch.zeros(len(H36M_JOINTS), len(BONE_GROUPS))
    for g, joints in enumerate(BONE_GROUPS.values()):
        for joint in joints:
            matrix[_J[joint], g] = 1.0
    return matrix


def _offset_maps() -> torch.Tensor:
    """(17, 3, sites, 3): joint j's offset = sum over sites and axes of map * site parameter; the
    right joint of a pair gets its site's x negated, centre joints have no x."""
    maps = torch.zeros(len(H36M_JOINTS), 3, len(OFFSET_SITES), 3)
    for k, (first, mirror) in enumerate(OFFSET_SITES.values()):
        for axis in range(3):
            if mirror is None and axis == 0:
                continue
            maps[_J[first], axis, k, axis] = 1.0
            if mirror is not None:
                maps[_J[mirror], axis, k, axis] = -1.0 if axis == 0 else 1.0
    return maps


class DefinitionAdapter(nn.Module):
    """The change of joint definition of the module docstring; identity when freshly made."""

    def __init__(self):
        super().__init__()
        self.log_scale = nn.Parameter(torch.zeros(len(BONE_GROUPS)))
        self.offset = nn.Parameter(torch.zeros(len(OFFSET_SITES), 3))  # in OFFSET_UNIT_MM, torso frame
        self.register_buffer("groups", _group_matrix(), persistent=False)
        self.register_buffer("maps", _offset_maps(), persistent=False)

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        """Poses (B, 17, 3) mm in the file's definition -> (B, 17, 3) in the prior's; the pelvis stays."""
        scale = torch.exp(self.groups @ self.log_scale) + (1 - self.groups.sum(1))  # bones in no group: 1
        local = torch.einsum("jask,sk->ja", self.maps, self.offset) * OFFSET_UNIT_MM  # (17, 3)
        bones = bone_vectors(poses) * scale[:, None] + torch.einsum("bik,jk->bji", torso_frame(poses), local)
        joints = [poses[:, 0]]
        for j in range(1, len(PARENTS)):  # PARENTS lists every parent before its children
            joints.append(joints[PARENTS[j]] + bones[:, j])
        return torch.stack(joints, dim=1)

    @torch.no_grad()
    def describe(self) -> dict:
        """What the fit changed: each group's bone length factor and each site's offset (mm, torso
        frame: +x toward the left hip, +y up the spine, +z the way the torso faces)."""
        factors = {name: round(math.exp(float(v)), 3) for name, v in zip(BONE_GROUPS, self.log_scale)}
        offsets = {name: [round(float(v) * OFFSET_UNIT_MM, 1) for v in row]
                   for name, row in zip(OFFSET_SITES, self.offset)}
        return {"bone_length_factors": factors, "offsets_mm": offsets}


def fit_definition(score_fn, poses_mm: np.ndarray, device: torch.device, trim: float = FIT_TRIM,
                   seed: int = 0) -> DefinitionAdapter:
    """Fit a DefinitionAdapter on `device` to root-relative camera-frame poses (N, 17, 3) mm: L-BFGS
    on the mean of `score_fn(poses, levels_mm)` (differentiable, (B, 17, 3) mm -> (B,)) over at most
    FIT_POSES of them (drawn with `seed`), the highest `trim` share left out, coarse to fine over
    FIT_STAGES of noise levels."""
    if len(poses_mm) < MIN_POSES:
        raise InputError(f"fitting a joint definition needs at least {MIN_POSES} poses, got {len(poses_mm)}")
    pick = np.sort(np.random.default_rng(seed).permutation(len(poses_mm))[:FIT_POSES])
    poses = torch.as_tensor(np.ascontiguousarray(poses_mm[pick]), dtype=torch.float32, device=device)
    adapter = DefinitionAdapter().to(device)
    parameters = list(adapter.parameters())
    kept = max(1, round((1 - trim) * len(poses)))
    for levels in FIT_STAGES:
        optimiser = torch.optim.LBFGS(parameters, max_iter=FIT_ITERATIONS, history_size=20,
                                      line_search_fn="strong_wolfe")

        def loss() -> torch.Tensor:
            value = score_fn(adapter(poses), levels).sort().values[:kept].mean()
            for parameter, grad in zip(parameters, torch.autograd.grad(value, parameters)):  # not the network's
                parameter.grad = grad.contiguous()
            return value
        optimiser.step(loss)
    return adapter.eval().requires_grad_(False)
