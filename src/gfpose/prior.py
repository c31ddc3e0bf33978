"""PosePrior: the public API. Load a checkpoint, then estimate / complete / denoise / generate.

Inputs are numpy arrays (or anything array-like) in millimetres and pixels, H36M-17 order, a
single pose or a batch; outputs are numpy float32, root-relative millimetres.
"""

from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from gfpose.checkpoint import load_model
from gfpose.data.cameras import IMAGE_SIZE
from gfpose.data.keypoints import build_keypoints
from gfpose.definition_fit import DefinitionAdapter, fit_definition
from gfpose.errors import InputError
from gfpose.joint_definitions import JOINT_DEFINITIONS
from gfpose.network import ScoreNet
from gfpose.plausibility import (
    FRAMES,
    PartReference,
    joint_scores,
    reference_poses,
    residual_scores,
    scoring_frame,
    scoring_sampler,
)
from gfpose.routing import RoutedSampler
from gfpose.runtime import resolve_device
from gfpose.sde import SubVPSDE
from gfpose.sequences.lift import CHAIN_FRAMES, DEFAULT_FPS, TakeLift, lift_take
from gfpose.skeleton import NUM_JOINTS
from gfpose.tasks import (
    COMPLETION_MODES,
    DENOISE_METHODS,
    DENOISE_T0,
    Sampler,
    SamplerSettings,
    complete_3d_request,
    denoise_request,
    estimate_request,
    generate_request,
)
from gfpose.validation import (
    check_2d_input,
    check_choice,
    check_count,
    check_noise_mm,
    check_poses_mm,
    check_seed,
    check_start_time,
    coordinate_dims,
    positive_scalar,
)

PRETRAINED_FILE = "gfpose_bandai_u3d.safetensors"  # the unified model (App. F): every task
ESTIMATION_FILE = "gfpose_bandai_hpj010.safetensors"  # if shipped: estimate and 2D completion
# If shipped: estimation from detector keypoints (COCO-17 layout, video), model.joints = "detector".
DETECTOR_FILE = "gfpose_detector_hpj010.safetensors"
# If shipped: the detector model trained on freely licensed data alone (CMU, HDM05; configs/free.json),
# for users the Bandai data's non-commercial licence rules out (assets/DATA_LICENSE.md).
FREE_FILE = "gfpose_free_detector_hpj010.safetensors"
# If shipped: scoring (`score`, `fit_definition`): the unified model fine-tuned on wider mocap (Bandai,
# CMU, HDM05, CMU BVH), which knows more bodies and motions than the unified model's Bandai and CMU.
SCORING_FILE = "gfpose_wide_u3d.safetensors"
# The fast default measured in benchmarks/sampling.py (docs/RESULTS.md): DPM-Solver++(3M) with
# the reverse SDE's full noise (eta = 1), 25 steps on a grid uniform in sqrt(t), the network in
# bfloat16 where the hardware has it natively, else float32 (gfpose.precision). 20 steps were
# enough for the noise-predicting models; the EDM estimation models need 25 to stay within 1 mm of
# Alg. 1 at S = 1 and on the mean over hypotheses (two checks, 30 and 60 inputs).
# PAPER_SAMPLER in gfpose.tasks is Alg. 1 with 1000 steps.
DEFAULT_SAMPLER = SamplerSettings(name="sde-dpm3m", steps=25, schedule="quadratic", precision="auto")


class PosePrior:
    """Trained GFPose score models with their sampler; see the task methods.

    One unified model serves every task; an optional second model trained for estimation (the
    paper's practice, Sec. 5.2: HPJ-010 for 2D -> 3D) then draws the 2D inputs it was trained for,
    those with whole body parts missing at most, and the unified model the others (gfpose.routing).
    An optional unconditional model for scoring (`score`, `fit_definition`) replaces the unified one there.
    """

    def __init__(self, sampler: Sampler, estimation_sampler: Sampler | None = None,
                 detector_sampler: Sampler | None = None, scoring_sampler: Sampler | None = None):
        self.sampler = sampler
        self.estimation_sampler = estimation_sampler
        self.detector_sampler = detector_sampler
        self.scoring_sampler = sampler if scoring_sampler is None else scoring_sampler
        self._plausibility_reference = None
        self.sampler_2d = sampler if estimation_sampler is None else RoutedSampler(estimation_sampler, sampler)
        self.detector_2d = None if detector_sampler is None else RoutedSampler(detector_sampler, sampler)

    @property
    def device(self) -> torch.device:
        return self.sampler.device

    @property
    def config(self):
        return self.sampler.config

    @classmethod
    def load(cls, path, device: str = "auto", estimation=None, detector=None, scoring=None,
             **sampler_settings) -> "PosePrior":
        """Load a model file written by training (EMA weights + config), and optionally a second one
        for estimation, a third for estimation from detector keypoints (trained with
        model.joints = "detector") and a fourth for scoring; keyword arguments change the sampler
        settings (name, steps, schedule, precision, compile, max_batch) from DEFAULT_SAMPLER."""
        device, settings = resolve_device(device), replace(DEFAULT_SAMPLER, **sampler_settings)
        loaded = [None if p is None else load_sampler(p, device, settings) for p in (estimation, detector, scoring)]
        if loaded[1] is not None and loaded[1].config.model.joints != "detector":
            raise InputError(f"detector model {detector}: trained with model.joints = "
                             f"{loaded[1].config.model.joints!r}; expected 'detector'")
        return cls(load_sampler(path, device, settings), *loaded)

    @classmethod
    def pretrained(cls, device: str = "auto", **sampler_settings) -> "PosePrior":
        """The models shipped with the package (docs/RESULTS.md, "Models": the data each saw)."""
        optional = (asset_path(name) for name in (ESTIMATION_FILE, DETECTOR_FILE, SCORING_FILE))
        estimation, detector, scoring = (path if path.is_file() else None for path in optional)
        return cls.load(pretrained_path(), device, estimation, detector, scoring, **sampler_settings)

    @classmethod
    def free(cls, device: str = "auto", **sampler_settings) -> "PosePrior":
        """The shipped model trained on freely licensed data only (CMU and HDM05, no Bandai data):
        estimation from 2D keypoints (any joint definition is read as a detector's); the other tasks
        need a model trained for them."""
        path = asset_path(FREE_FILE)
        if not path.is_file():
            raise InputError(f"the freely licensed model {path} is missing from this installation")
        return cls.load(path, device, detector=path, **sampler_settings)

    def sampler_for(self, task: str, joints: str = "mocap") -> Sampler:
        """The Sampler of the model that serves `task` (a gfpose.evaluate task name) for 2D whose
        derived joints sit where `joints` says (gfpose.joint_definitions): 2D from a detector goes
        to the detector model where one is loaded."""
        if task not in ("estimate", "complete-2d"):
            return self.sampler
        check_choice(joints, "joints", JOINT_DEFINITIONS)
        return self.detector_2d if joints == "detector" and self.detector_2d is not None else self.sampler_2d

    def to(self, device) -> "PosePrior":
        """The same models on another device (e.g. one rank's GPU under torchrun)."""
        return self._with(lambda sampler: sampler.to(torch.device(device)))

    def with_sampler(self, **changes) -> "PosePrior":
        """A view of the same models with other sampler settings (name, steps, schedule, precision,
        compile); `sampler_for(task)` is the task layer's Sampler that evaluate and the benchmarks take."""
        return self._with(lambda sampler: sampler.with_settings(**changes))

    def _with(self, change) -> "PosePrior":
        scoring = None if self.scoring_sampler is self.sampler else self.scoring_sampler
        return PosePrior(change(self.sampler), *(None if s is None else change(s)
                                                 for s in (self.estimation_sampler, self.detector_sampler, scoring)))

    def estimate(self, keypoints_2d, image_size=IMAGE_SIZE, num_hypotheses: int = 1,
                 confidence=None, seed: int = 0, joints: str = "mocap") -> np.ndarray:
        """2D keypoints (N, 17, 2) px (NaN or confidence 0 = missing) -> (N, S, 17, 3) mm hypotheses.
        joints: 'detector' for H36M-17 made from a detector's COCO-17 keypoints
        (gfpose.data.keypoints.COCO_TO_H36M); the output's derived joints then sit there too."""
        keypoints, size = check_2d_input(keypoints_2d, image_size, confidence)
        request = estimate_request(torch.from_numpy(keypoints), torch.from_numpy(size),
                                   check_count(num_hypotheses, "num_hypotheses"))
        return self.sampler_for("estimate", joints).run(request, check_seed(seed)).numpy()

    def central_estimate(self, keypoints_2d, image_size=IMAGE_SIZE, confidence=None,
                         joints: str = "mocap") -> np.ndarray:
        """2D keypoints (N, 17, 2) px -> (N, 17, 3) mm: one deterministic answer per input, the
        probability-flow ODE from the prior's centre (Sampler.central) instead of a random draw: as
        close to the truth as the mean of many hypotheses for the cost of one (docs/RESULTS.md, One
        answer). Arguments as in `estimate`."""
        keypoints, size = check_2d_input(keypoints_2d, image_size, confidence)
        request = estimate_request(torch.from_numpy(keypoints), torch.from_numpy(size))
        return self.sampler_for("estimate", check_choice(joints, "joints", JOINT_DEFINITIONS)).central(request).numpy()

    def lift_take(self, keypoints_2d, image_size=IMAGE_SIZE, fps: float = DEFAULT_FPS, num_hypotheses: int = 50,
                  confidence=None, seed: int = 0, joints: str = "mocap", focal_px: float | None = None,
                  chain_frames: int = CHAIN_FRAMES) -> TakeLift:
        """A take's 2D track (T, 17, 2) px in frame order (NaN or confidence 0 = missing joint; a frame
        with none has no person) -> a TakeLift: hypotheses (T, S, 17, 3) mm warm-started along the
        take, one coherent track (T, 17, 3) mm, the spread per joint (gfpose.sequences.lift). focal_px:
        the camera's focal length (None: the training camera's); chain_frames = 1 lifts every frame
        independently. joints as in `estimate`."""
        keypoints = build_keypoints("keypoints_2d", keypoints_2d, confidence, image_size, allow_empty_frames=True)
        keypoints.joints = check_choice(joints, "joints", JOINT_DEFINITIONS)
        return lift_take(self.sampler_for("estimate", keypoints.joints), keypoints, fps, num_hypotheses, seed,
                         focal_px, chain_frames)

    def complete(self, pose, image_size=IMAGE_SIZE, num_hypotheses: int = 1, mode: str = "both",
                 seed: int = 0) -> np.ndarray:
        """Partial 2D (N, 17, 2) px or root-relative 3D (N, 17, 3) mm, NaN = missing -> (N, S, 17, 3) mm;
        from 3D, mode 'conditional', 'imputation' or 'both' (App. G)."""
        if coordinate_dims(pose, "pose") == 2:
            return self.estimate(pose, image_size, num_hypotheses, seed=seed)
        request = complete_3d_request(torch.from_numpy(check_poses_mm(pose, "pose")),
                                      check_count(num_hypotheses, "num_hypotheses"),
                                      check_choice(mode, "mode", COMPLETION_MODES))
        return self.sampler.run(request, check_seed(seed)).numpy()

    def denoise(self, poses, t0: float = DENOISE_T0, seed: int = 0, noise_mm: float | None = None,
                method: str = "sample") -> np.ndarray:
        """Noisy 3D poses (N, 17, 3) mm -> denoised root-relative (N, 17, 3) mm, starting at time t0.

        noise_mm: the noise's standard deviation per coordinate, if known; then t0 is the time
        whose SDE noise matches it (Sampler.start_time_for_noise) and the t0 argument is ignored.
        method: 'sample' (reverse SDE from t0, a plausible pose near the input) or 'mean' (the
        posterior mean by Tweedie's formula: one network evaluation, the smallest error on average).
        """
        noisy = check_poses_mm(poses, "poses", allow_missing=False)
        t0 = check_start_time(t0) if noise_mm is None else self.sampler.start_time_for_noise(check_noise_mm(noise_mm))
        request = denoise_request(torch.from_numpy(noisy), t0, check_choice(method, "method", DENOISE_METHODS))
        return self.sampler.run(request, check_seed(seed))[:, 0].numpy()

    def generate(self, count: int, seed: int = 0) -> np.ndarray:
        """(count, 17, 3) mm poses drawn from the unconditional prior."""
        request = generate_request(check_count(count, "count"), NUM_JOINTS)
        return self.sampler.run(request, check_seed(seed))[:, 0].numpy()

    def joint_scores(self, poses, frame: str = "camera", definition: DefinitionAdapter | None = None) -> np.ndarray:
        """3D poses (N, 17, 3) mm -> (N, 17): how far each joint is from what the unconditional prior
        expects, in nats (a denoising residual, Eq. 10 at z = 0 over noise levels of 2.5-160 mm; their
        sum is about -log p(x) + const), averaged over the pose turned to 8 headings about the
        vertical (gfpose.plausibility: what it says of a pose, not of its view). frame: 'camera' (x right, y down,
        z forward, as the outputs) or 'world' (+z up). definition: from `fit_definition`, for poses
        whose joints are defined otherwise than the prior's (another tool's output)."""
        poses = check_poses_mm(poses, "poses", allow_missing=False)
        return joint_scores(self.scoring_sampler, scoring_frame(poses, check_choice(frame, "frame", FRAMES)),
                            definition)

    @property
    def plausibility_reference(self) -> PartReference:
        """How held-out real poses (gfpose.plausibility.reference_poses) score under the scoring
        model: what `part_scores` and the flag threshold are measured against (scored once)."""
        if self._plausibility_reference is None:
            self._plausibility_reference = PartReference.of(joint_scores(self.scoring_sampler, reference_poses()))
        return self._plausibility_reference

    def part_scores(self, poses, frame: str = "camera", definition: DefinitionAdapter | None = None) -> np.ndarray:
        """3D poses (N, 17, 3) mm -> (N, P): each body part's (gfpose.plausibility.BODY_PARTS) log
        score in standard deviations of held-out real poses' (`joint_scores`' other arguments)."""
        return self.plausibility_reference.deviations(self.joint_scores(poses, frame, definition))

    def score(self, poses, frame: str = "camera", definition: DefinitionAdapter | None = None) -> np.ndarray:
        """3D poses (N, 17, 3) mm -> (N,) implausibility, higher = less plausible: the worst body
        part's `part_scores`, in standard deviations of held-out real poses'."""
        return self.part_scores(poses, frame, definition).max(axis=1)

    def flag_implausible(self, poses, frame: str = "camera", threshold: float | None = None,
                         definition: DefinitionAdapter | None = None) -> np.ndarray:
        """(N,) True where `score` exceeds `threshold`; None: the 99th percentile of held-out real
        poses' scores (`plausibility_reference`)."""
        if threshold is None:
            threshold = self.plausibility_reference.threshold
        return self.score(poses, frame, definition) > positive_scalar(threshold, "threshold")

    def fit_definition(self, poses, frame: str = "camera", seed: int = 0) -> DefinitionAdapter:
        """Another tool's poses (N >= 20, 17, 3) mm -> the change of joint definition (bone lengths,
        torso joints' placement; gfpose.definition_fit) under which the prior finds them most
        plausible, to pass as `definition` to `score`: one change for the whole file, so single
        implausible frames still stand out."""
        poses = scoring_frame(check_poses_mm(poses, "poses", allow_missing=False), check_choice(frame, "frame", FRAMES))
        sampler = scoring_sampler(self.scoring_sampler)
        return fit_definition(lambda x, levels: residual_scores(sampler, x, levels).sum(1), poses, sampler.device,
                              seed=check_seed(seed))


def load_sampler(path, device: torch.device, settings: SamplerSettings) -> Sampler:
    """A model file's network, SDE and data scale as a Sampler on `device`."""
    state, config, _ = load_model(path)
    net = ScoreNet(config.model)
    try:
        net.load_state_dict(state)
    except RuntimeError as err:
        raise InputError(f"checkpoint {path}: weights do not match its config ({err})") from None
    sde = SubVPSDE(config.model.beta_min, config.model.beta_max)
    return Sampler(net.eval().to(device), sde, config.model.data_scale, settings, config=config)


def asset_path(name: str) -> Path:
    return Path(str(resources.files("gfpose") / "assets" / name))


def pretrained_path() -> Path:
    path = asset_path(PRETRAINED_FILE)
    if not path.is_file():
        raise InputError(f"the shipped model {path} is missing from this installation")
    return path
