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
from gfpose.errors import InputError
from gfpose.network import ScoreNet
from gfpose.runtime import resolve_device
from gfpose.sde import SubVPSDE
from gfpose.skeleton import NUM_JOINTS
from gfpose.tasks import DENOISE_METHODS, Sampler, SamplerSettings
from gfpose.validation import (check_2d_input, check_choice, check_count, check_noise_mm, check_poses_mm,
                               check_seed, check_start_time, coordinate_dims)

PRETRAINED_FILE = "gfpose_bandai_u3d.safetensors"
# The fast default measured in benchmarks/sampling.py (docs/RESULTS.md): DPM-Solver++(3M) with
# the reverse SDE's full noise (eta = 1), 20 steps on a grid uniform in sqrt(t), network in bfloat16.
# PAPER_SAMPLER in gfpose.tasks is Alg. 1 with 1000 steps.
DEFAULT_SAMPLER = SamplerSettings(name="sde-dpm3m", steps=20, schedule="quadratic", precision="bf16")
DEFAULT_IMAGE_SIZE = (1000, 1000)
COMPLETION_MODES = ("conditional", "imputation", "both")


class PosePrior:
    """A trained GFPose score model with a sampler; see the task methods."""

    def __init__(self, net: ScoreNet, config, device: torch.device, settings: SamplerSettings = DEFAULT_SAMPLER):
        self.config = config
        self.device = device
        net.eval()
        sde = SubVPSDE(config.model.beta_min, config.model.beta_max)
        self.sampler = Sampler(net.to(device), sde, config.model.data_scale, settings)

    @classmethod
    def load(cls, path, device: str = "auto", **sampler_settings) -> "PosePrior":
        """Load a model file written by training (EMA weights + config); keyword arguments change
        the sampler settings (name, steps, schedule, precision, compile, max_batch) from DEFAULT_SAMPLER."""
        state, config, _ = load_model(path)
        net = ScoreNet(config.model)
        try:
            net.load_state_dict(state)
        except RuntimeError as err:
            raise InputError(f"checkpoint {path}: weights do not match its config ({err})") from None
        return cls(net, config, resolve_device(device), replace(DEFAULT_SAMPLER, **sampler_settings))

    @classmethod
    def pretrained(cls, device: str = "auto", **sampler_settings) -> "PosePrior":
        """The model shipped with the package (trained on the bundled Bandai Namco motion)."""
        return cls.load(pretrained_path(), device, **sampler_settings)

    def to(self, device) -> "PosePrior":
        """The same model on another device (e.g. one rank's GPU under torchrun)."""
        device = torch.device(device)
        return PosePrior(self.sampler.net.to(device), self.config, device, self.sampler.settings)

    def with_sampler(self, **changes) -> "PosePrior":
        """A view of the same model with other sampler settings (name, steps, schedule, precision, compile)."""
        other = object.__new__(PosePrior)
        other.config, other.device = self.config, self.device
        other.sampler = self.sampler.with_settings(**changes)
        return other

    def estimate(self, keypoints_2d, image_size=DEFAULT_IMAGE_SIZE, num_hypotheses: int = 1,
                 confidence=None, seed: int = 0) -> np.ndarray:
        """2D keypoints (N, 17, 2) px (NaN or confidence 0 = missing) -> (N, S, 17, 3) mm hypotheses."""
        keypoints, size = check_2d_input(keypoints_2d, image_size, confidence)
        count = check_count(num_hypotheses, "num_hypotheses")
        return self.sampler.estimate(torch.from_numpy(keypoints), torch.from_numpy(size), count,
                                     check_seed(seed)).numpy()

    def complete(self, pose, image_size=DEFAULT_IMAGE_SIZE, num_hypotheses: int = 1, mode: str = "both",
                 seed: int = 0) -> np.ndarray:
        """Partial 2D (N, 17, 2) px or root-relative 3D (N, 17, 3) mm, NaN = missing -> (N, S, 17, 3) mm."""
        if coordinate_dims(pose, "pose") == 2:
            return self.estimate(pose, image_size, num_hypotheses, seed=seed)
        partial = check_poses_mm(pose, "pose")
        rooted = ~np.isnan(partial[:, 0, 0])
        partial[rooted] -= partial[rooted, :1]
        count = check_count(num_hypotheses, "num_hypotheses")
        mode = check_choice(mode, "mode", COMPLETION_MODES)
        return self.sampler.complete_3d(torch.from_numpy(partial), count, mode, check_seed(seed)).numpy()

    def denoise(self, poses, t0: float = 0.05, seed: int = 0, noise_mm: float | None = None,
                method: str = "sample") -> np.ndarray:
        """Noisy 3D poses (N, 17, 3) mm -> denoised root-relative (N, 17, 3) mm, starting at time t0.

        noise_mm: the noise's standard deviation per coordinate, if known; then t0 is the time
        whose SDE noise matches it (Sampler.start_time_for_noise) and the t0 argument is ignored.
        method: 'sample' (reverse SDE from t0, a plausible pose near the input) or 'mean' (the
        posterior mean by Tweedie's formula: one network evaluation, the smallest error on average).
        """
        noisy = check_poses_mm(poses, "poses", allow_missing=False)
        noisy = noisy - noisy[:, :1]
        t0 = check_start_time(t0) if noise_mm is None else self.sampler.start_time_for_noise(check_noise_mm(noise_mm))
        method = check_choice(method, "method", DENOISE_METHODS)
        return self.sampler.denoise(torch.from_numpy(noisy), t0, check_seed(seed), method).numpy()

    def generate(self, count: int, seed: int = 0) -> np.ndarray:
        """(count, 17, 3) mm poses drawn from the unconditional prior."""
        return self.sampler.generate(check_count(count, "count"), NUM_JOINTS, check_seed(seed)).numpy()


def pretrained_path() -> Path:
    path = Path(str(resources.files("gfpose") / "assets" / PRETRAINED_FILE))
    if not path.is_file():
        raise InputError(f"the shipped model {path} is missing from this installation")
    return path
