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
from gfpose.errors import InputError
from gfpose.network import ScoreNet
from gfpose.routing import RoutedSampler
from gfpose.runtime import resolve_device
from gfpose.sde import SubVPSDE
from gfpose.skeleton import NUM_JOINTS
from gfpose.tasks import (COMPLETION_MODES, DENOISE_METHODS, Sampler, SamplerSettings, complete_3d_request,
                          denoise_request, estimate_request, generate_request)
from gfpose.validation import (check_2d_input, check_choice, check_count, check_noise_mm, check_poses_mm,
                               check_seed, check_start_time, coordinate_dims)

PRETRAINED_FILE = "gfpose_bandai_u3d.safetensors"  # the unified model (App. F): every task
ESTIMATION_FILE = "gfpose_bandai_hpj010.safetensors"  # if shipped: estimate and 2D completion
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
    """

    def __init__(self, sampler: Sampler, estimation_sampler: Sampler | None = None):
        self.sampler = sampler
        self.estimation_sampler = estimation_sampler
        self.sampler_2d = sampler if estimation_sampler is None else RoutedSampler(estimation_sampler, sampler)

    @property
    def device(self) -> torch.device:
        return self.sampler.device

    @property
    def config(self):
        return self.sampler.config

    @classmethod
    def load(cls, path, device: str = "auto", estimation=None, **sampler_settings) -> "PosePrior":
        """Load a model file written by training (EMA weights + config), and optionally a second one
        for estimation; keyword arguments change the sampler settings (name, steps, schedule,
        precision, compile, max_batch) from DEFAULT_SAMPLER."""
        device, settings = resolve_device(device), replace(DEFAULT_SAMPLER, **sampler_settings)
        return cls(load_sampler(path, device, settings),
                   None if estimation is None else load_sampler(estimation, device, settings))

    @classmethod
    def pretrained(cls, device: str = "auto", **sampler_settings) -> "PosePrior":
        """The models shipped with the package (trained on the bundled Bandai Namco motion and the CMU
        train takes)."""
        estimation = asset_path(ESTIMATION_FILE)
        return cls.load(pretrained_path(), device, estimation if estimation.is_file() else None, **sampler_settings)

    def sampler_for(self, task: str) -> Sampler:
        """The Sampler of the model that serves `task` (a gfpose.evaluate task name)."""
        return self.sampler_2d if task in ("estimate", "complete-2d") else self.sampler

    def to(self, device) -> "PosePrior":
        """The same models on another device (e.g. one rank's GPU under torchrun)."""
        return self._with(lambda sampler: sampler.to(torch.device(device)))

    def with_sampler(self, **changes) -> "PosePrior":
        """A view of the same models with other sampler settings (name, steps, schedule, precision,
        compile); `sampler_for(task)` is the task layer's Sampler that evaluate and the benchmarks take."""
        return self._with(lambda sampler: sampler.with_settings(**changes))

    def _with(self, change) -> "PosePrior":
        estimation = None if self.estimation_sampler is None else change(self.estimation_sampler)
        return PosePrior(change(self.sampler), estimation)

    def estimate(self, keypoints_2d, image_size=IMAGE_SIZE, num_hypotheses: int = 1,
                 confidence=None, seed: int = 0) -> np.ndarray:
        """2D keypoints (N, 17, 2) px (NaN or confidence 0 = missing) -> (N, S, 17, 3) mm hypotheses."""
        keypoints, size = check_2d_input(keypoints_2d, image_size, confidence)
        request = estimate_request(torch.from_numpy(keypoints), torch.from_numpy(size),
                                   check_count(num_hypotheses, "num_hypotheses"))
        return self.sampler_2d.run(request, check_seed(seed)).numpy()

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

    def denoise(self, poses, t0: float = 0.05, seed: int = 0, noise_mm: float | None = None,
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


def load_sampler(path, device: torch.device, settings: SamplerSettings) -> Sampler:
    """A model file's network, SDE and data scale as a Sampler on `device`."""
    state, config, _ = load_model(path)
    net = ScoreNet(config.model)
    try:
        net.load_state_dict(state)
    except RuntimeError as err:
        raise InputError(f"checkpoint {path}: weights do not match its config ({err})") from None
    sde = SubVPSDE(config.model.beta_min, config.model.beta_max)
    return Sampler(net.eval().to(device), sde, config.model.data_scale, settings, config)


def asset_path(name: str) -> Path:
    return Path(str(resources.files("gfpose") / "assets" / name))


def pretrained_path() -> Path:
    path = asset_path(PRETRAINED_FILE)
    if not path.is_file():
        raise InputError(f"the shipped model {path} is missing from this installation")
    return path
