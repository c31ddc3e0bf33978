"""Shared fixtures: a Gaussian pose distribution with a known mean and covariance, and a small
score model trained on it once per test session (the closed-form checks of the whole loop)."""

import numpy as np
import pytest
import torch

from gfpose.config import Config, ModelConfig, TrainConfig
from gfpose.data.poseset import PoseSet
from gfpose.skeleton import NUM_JOINTS


class GaussianPoses:
    """Root-relative poses x = mean + diag(std) e + mode * u (e, u standard normal), pelvis fixed at 0."""

    def __init__(self, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.mean = rng.normal(0, 300, (NUM_JOINTS, 3)).astype(np.float64)
        self.std = np.full((NUM_JOINTS, 3), 40.0)
        self.mode = rng.normal(0, 60, (NUM_JOINTS, 3))
        self.mean[0] = self.std[0] = self.mode[0] = 0.0

    @property
    def covariance(self) -> np.ndarray:
        """(51, 51) covariance of the flattened pose."""
        v = self.mode.reshape(-1)
        return np.diag(self.std.reshape(-1) ** 2) + np.outer(v, v)

    def sample(self, n: int, seed: int = 1) -> np.ndarray:
        rng = np.random.default_rng(seed)
        e = rng.normal(size=(n, NUM_JOINTS, 3))
        u = rng.normal(size=(n, 1, 1))
        return (self.mean + self.std * e + self.mode * u).astype(np.float32)

    def conditional(self, observed: np.ndarray, known: np.ndarray):
        """Mean and covariance of the unknown non-root coordinates given the known ones (Gaussian
        conditioning); the pelvis, fixed at 0, is left out of both."""
        mu, cov = self.mean.reshape(-1), self.covariance
        not_root = np.arange(mu.size) >= 3
        k, u = known.reshape(-1) & not_root, ~known.reshape(-1) & not_root
        gain = cov[np.ix_(u, k)] @ np.linalg.inv(cov[np.ix_(k, k)])
        mean_u = mu[u] + gain @ (observed.reshape(-1)[k] - mu[k])
        cov_u = cov[np.ix_(u, u)] - gain @ cov[np.ix_(k, u)]
        return mean_u, cov_u

    def poseset(self, n: int) -> PoseSet:
        poses = self.sample(n)
        labels = {name: np.full(n, value) for name, value in
                  dict(action="gauss", subject="synthetic", take="0", split="train").items()}
        return PoseSet(poses_3d=poses, frame=np.arange(n), **labels, keypoints_2d=poses[..., :2] * 0.5 + 500.0,
                       image_size=np.full((n, 2), 1000.0), frame_kind="camera")


#: The parametrisation of the test networks with closed-form scores: they output -z (Eq. 10-11).
NOISE_PREDICTION = Config(model=ModelConfig(preconditioning="noise"))


def small_config(mask_strategy: str, steps: int = 1500, preconditioning: str = "noise", **train) -> Config:
    """A small model's config, trained in float32 whatever the CPU (pass bf16=True for the bf16 path)."""
    train = {"bf16": False, **train}
    model = ModelConfig(hidden=256, blocks=2, groups=8, dropout=0.0, time_embed_dim=64,
                        preconditioning=preconditioning)
    return Config(model=model, train=TrainConfig(steps=steps, batch_size=512, lr=2e-3, warmup_steps=100,
                                                 ema_decay=0.995, mask_strategy=mask_strategy,
                                                 checkpoint_every=500, log_every=100, **train))


@pytest.fixture(scope="session")
def gaussian_poses():
    return GaussianPoses()


def _trained(tmp_path_factory, poses: GaussianPoses, strategy: str, preconditioning: str = "noise"):
    from gfpose.train import train
    out = tmp_path_factory.mktemp(f"{strategy}-{preconditioning}")
    torch.manual_seed(0)
    train(small_config(strategy, preconditioning=preconditioning), poses.poseset(20000), out,
          torch.device("cpu"), progress=False)
    return out / "model.safetensors"


@pytest.fixture(scope="session")
def unconditional_model(tmp_path_factory, gaussian_poses):
    """A small model trained on GaussianPoses with the condition always masked (HPJ-T00)."""
    return _trained(tmp_path_factory, gaussian_poses, "HPJ-T00")


@pytest.fixture(scope="session")
def edm_unconditional_model(tmp_path_factory, gaussian_poses):
    """The same with the EDM preconditioning (gfpose.parametrisation)."""
    return _trained(tmp_path_factory, gaussian_poses, "HPJ-T00", "edm")


@pytest.fixture(scope="session")
def conditional_model(tmp_path_factory, gaussian_poses):
    """A small model trained on GaussianPoses always conditioned on its 2D keypoints (HPJ-000)."""
    return _trained(tmp_path_factory, gaussian_poses, "HPJ-000")
