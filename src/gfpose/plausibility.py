"""How plausible is a 3D pose under the prior: a denoising residual per pose and joint (issue 30).

The unconditional model's denoised estimate D(x(t), t) (Tweedie, gfpose.parametrisation) of the
noise-free pose x(t) = alpha(t) x, at noise levels s = sigma / alpha of 2.5 to 160 mm, gives

    score(x) = ln 2 * sum_k ||D(alpha_k x, t_k) - x||^2 / s_k^2 = ln 2 * sum_k ||sigma_k s(alpha_k x, t_k)||^2,

the per-pose loss of Eq. 10 at z = 0, summed over a grid doubling s (ln 2 = half its step in
log s^2). It is a quadrature of the denoising term of the diffusion ELBO (Kingma et al. 2021,
-log p(x) <= 1/2 int E_z ||D(x + s z) - x||^2 / s^2 d log s^2 + const) with the noise average moved
inside the network: for Gaussian data N(mu, S) it is exactly 1/2 (x - mu)^T S^-1 (x - mu), i.e.
-log p(x) + const, over the whole range of s, and the noisy version that plus a term free of x.
The band of 2.5-160 mm keeps what tells implausible body configurations apart (chosen among the
bands from 10-40 to 5-320 mm on the corruptions of benchmarks/plausibility.py, where noisy draws
of z ranked worse; then, with the headings below, widened from 5-80 mm on a draw of 400 poses per
set and checked on another of 1,000: bent-back elbows of HDM05 0.946 -> 0.953, 10 mm jitter there
0.775 -> 0.857). Higher = less plausible, in nats; deterministic. Per joint it says
where the prior disagrees.

Headings: the residual of a pose also moves with the way it faces the camera (by a median 0.7
in the score over 8 viewing azimuths), which says nothing about the pose. So each pose is scored
turned about the vertical to the 8 headings of HEADINGS_DEG, 45 degrees apart, and each joint's
nats averaged over them (one network evaluation per level, heading and pose): bent-back elbows in
the fitted definition, benchmarks/plausibility.py, were found with AUC 0.967 (CMU), 0.929 (HDM05)
and 0.970 (CMU BVH) as seen and 0.989, 0.947 and 0.986 turned about the vertical of the
training cameras (chosen on CMU; turned about the camera's y axis instead, which tilts the
ground in a pitched camera's view, HDM05's knees bent back fell to 0.963, against 0.981).

A pose is judged by its worst body part (BODY_PARTS: each forearm and lower leg, where a limb bent
backwards or taken from another pose shows, and the trunk with the limbs' roots): the part's log
score, the sum of its joints', standardised by held-out real poses' (PartReference: every 16th pose
of the bundled test split through the fixed test cameras, scored by the same model),

    implausibility(x) = max_p (ln S_p(x) - m_p) / s_p.

Summed over all 17 joints, the deviation of one limb drowns in how much every other joint varies
from pose to pose; per part it stands out (benchmarks/plausibility.py: elbows bent backwards in
the CMU test takes, in their fitted definition, as seen, AUC 0.857 summed and 0.967 by parts). The flag
threshold is the reference's 99th percentile, so it follows whatever model scores.

Frames: the model was trained on camera-frame poses (x right, y down, z forward) of upright
virtual cameras, so it knows where gravity points. Camera-frame poses are scored in their own
view and its headings (a pose's score moves by a median 0.01 over 12 viewing azimuths, but rises
for cameras pitched far from the training cameras'); world poses (+z up) are first turned about
the vertical to face the camera and seen at the training cameras' median pitch, so their score
does not depend on their heading at all.
The prior also knows the training skeleton: poses whose derived joints sit elsewhere (a 2D
detector's nose as neck/nose, gfpose.joint_definitions) or whose proportions differ score high
however natural the pose (benchmarks/plausibility.py: BlazePose's 3D, its multi-view reference).
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from gfpose.conditions import Condition, poses_to_model
from gfpose.data.bandai import load_bundled
from gfpose.data.cameras import camera_views, fixed_test_cameras
from gfpose.skeleton import H36M_JOINTS

LEVELS_MM = (2.5, 5.0, 10.0, 20.0, 40.0, 80.0, 160.0)  # noise levels s, a grid doubling s (module docstring)
FRAMES = ("camera", "world")
PITCH_DEG = 8.5  # world poses: the median downward pitch of the training cameras (look_at_cameras)
HEADINGS_DEG = tuple(range(0, 360, 45))  # a pose is scored turned to each of these headings, the scores averaged
BODY_PARTS = {  # chosen among limbs with and without their roots, with and without a trunk part (RESULTS)
    "right lower leg": ("r_knee", "r_ankle"),
    "left lower leg": ("l_knee", "l_ankle"),
    "left forearm": ("l_elbow", "l_wrist"),
    "right forearm": ("r_elbow", "r_wrist"),
    "trunk": ("pelvis", "r_hip", "l_hip", "spine", "thorax", "neck", "head", "l_shoulder", "r_shoulder"),
}
FLAG_PERCENTILE = 99.0  # of the reference poses' implausibility: the flag threshold
REFERENCE_EVERY = 16  # every 16th pose of the bundled test split (2,012 poses, a few seconds to score)


def upright_camera_view(poses_world: np.ndarray) -> np.ndarray:
    """Root-relative world poses (N, 17, 3), +z up -> camera frame: each pose turned about the
    vertical so its left hip points along +x (facing the camera), seen PITCH_DEG from above."""
    left = poses_world[:, H36M_JOINTS.index("l_hip")] - poses_world[:, H36M_JOINTS.index("r_hip")]
    yaw = np.arctan2(left[:, 1], left[:, 0])
    cos, sin, zero, one = np.cos(yaw), np.sin(yaw), np.zeros_like(yaw), np.ones_like(yaw)
    turn = np.stack([cos, sin, zero, -sin, cos, zero, zero, zero, one], -1).reshape(-1, 3, 3)
    pitch = math.radians(PITCH_DEG)
    camera = np.array([[1.0, 0.0, 0.0],  # rows: the camera's right, down and forward axes in the world
                       [0.0, -math.sin(pitch), -math.cos(pitch)],
                       [0.0, math.cos(pitch), -math.sin(pitch)]])
    return np.einsum("ab,nbc,njc->nja", camera, turn, poses_world).astype(np.float32)


def scoring_frame(poses_mm: np.ndarray, frame: str) -> np.ndarray:
    """Checked poses (N, 17, 3) mm in `frame` -> root-relative camera-frame poses the model scores."""
    root_relative = poses_mm - poses_mm[:, :1]
    return root_relative if frame == "camera" else upright_camera_view(root_relative)


def residual_scores(sampler, poses_mm: torch.Tensor, levels_mm=LEVELS_MM) -> torch.Tensor:
    """Root-relative camera-frame poses (B, 17, 3) mm on the sampler's device -> (B, 17) per-joint
    scores (module docstring) over `levels_mm`, differentiable in the poses; `sampler` set to float32."""
    model, scale, sde = sampler.model(), sampler.data_scale, sampler.sde
    x = poses_to_model(poses_mm, scale)
    empty = Condition.empty(len(x), x.shape[1], device=x.device)
    total = torch.zeros(x.shape[:2], device=x.device)
    for level in levels_mm:
        t = torch.tensor([sde.t_for_noise(level * scale / 1000.0)], device=x.device)
        alpha, sigma = sde.alpha(t), sde.sigma(t)
        total = total + (model.denoised(alpha * x, t, empty) - x).pow(2).sum(-1) * (alpha / sigma) ** 2
    return math.log(2) * total


def heading_turns(headings_deg=HEADINGS_DEG) -> np.ndarray:
    """(H, 3, 3) rotations of camera-frame poses about the vertical as an upright camera pitched
    PITCH_DEG down sees it, by each heading (degrees)."""
    from scipy.spatial.transform import Rotation  # not at import: training runs without scipy (bare GPU machines)
    pitch = math.radians(PITCH_DEG)
    up = np.array([0.0, -math.cos(pitch), -math.sin(pitch)])  # the world's +z in that camera's frame
    return Rotation.from_rotvec(np.radians(np.asarray(headings_deg, dtype=np.float64))[:, None] * up).as_matrix()


def scoring_sampler(sampler):
    """The sampler as scores are measured: float32 whatever its precision (the threshold was
    measured so), not compiled."""
    return sampler.with_settings(precision="fp32", compile=False)


@torch.inference_mode()
def joint_scores(sampler, poses_mm: np.ndarray, definition=None, headings_deg=HEADINGS_DEG) -> np.ndarray:
    """Root-relative camera-frame poses (N, 17, 3) mm -> (N, 17) per-joint scores under a
    gfpose.tasks.Sampler's unconditional model, at most its max_batch poses per network call;
    first moved to the prior's joint definition by `definition` (gfpose.definition_fit) if given,
    then averaged over the pose turned about the vertical to each of `headings_deg` (heading_turns;
    (0,): as seen)."""
    sampler = scoring_sampler(sampler)
    turns = torch.as_tensor(heading_turns(headings_deg), dtype=torch.float32, device=sampler.device)
    scores = []
    for start in range(0, len(poses_mm), sampler.settings.max_batch):
        x = torch.as_tensor(poses_mm[start:start + sampler.settings.max_batch], device=sampler.device)
        x = x if definition is None else definition(x)
        scores.append(torch.stack([residual_scores(sampler, x @ turn.T) for turn in turns]).mean(0).cpu())
    return torch.cat(scores).numpy()


def part_log_scores(joint_scores_nats: np.ndarray) -> np.ndarray:
    """(N, 17) per-joint scores -> (N, P) the log of each of BODY_PARTS' summed scores."""
    columns = [[H36M_JOINTS.index(name) for name in joints] for joints in BODY_PARTS.values()]
    sums = np.stack([joint_scores_nats[:, c].sum(axis=1) for c in columns], axis=1)
    return np.log(np.maximum(sums, np.finfo(np.float32).tiny))


@dataclass(frozen=True)
class PartReference:
    """How held-out real poses score under one model: per body part (BODY_PARTS) the mean and
    standard deviation of the log score, and the flag threshold on the implausibility."""

    mean: np.ndarray  # (P,)
    std: np.ndarray  # (P,)
    threshold: float

    @classmethod
    def of(cls, joint_scores_nats: np.ndarray, percentile: float = FLAG_PERCENTILE) -> "PartReference":
        """The reference of real poses' (N, 17) per-joint scores; the threshold: their percentile."""
        logs = part_log_scores(joint_scores_nats)
        mean, std = logs.mean(axis=0), logs.std(axis=0)
        return cls(mean, std, float(np.percentile(((logs - mean) / std).max(axis=1), percentile)))

    def deviations(self, joint_scores_nats: np.ndarray) -> np.ndarray:
        """(N, 17) per-joint scores -> (N, P): each body part's log score in the reference's
        standard deviations from its mean; the pose's implausibility is the row's maximum."""
        return (part_log_scores(joint_scores_nats) - self.mean) / self.std


def reference_poses(every: int = REFERENCE_EVERY) -> np.ndarray:
    """Held-out real poses as the model is scored on them: every `every`-th pose of the bundled
    test split, root-relative, through the fixed test cameras (seed 0), (N, 17, 3) mm."""
    world = torch.from_numpy(load_bundled().select_split("test").poses_3d[::every])
    return camera_views(world, fixed_test_cameras(len(world), seed=0))[0].numpy()
