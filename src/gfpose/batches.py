"""Training batches: real poses seen through new virtual cameras every step, as model inputs.

A batch is a function of (seed, step) alone, so a resumed run and every DDP rank draw exactly
the same global batch; each rank then trains on its slice of it.
"""

from dataclasses import dataclass

import numpy as np
import torch

from gfpose.conditions import (condition_from_2d, condition_from_3d, mix_conditions,
                               poses_to_model, with_mask)
from gfpose.config import Config
from gfpose.data.cameras import camera_views, look_at_cameras, place_on_floor
from gfpose.data.noise2d import detector_noise
from gfpose.losses import T_MIN_TRAIN
from gfpose.masking import MaskStrategy, sample_condition_is_3d, sample_keep_mask
from gfpose.score import Condition


@dataclass
class Batch:
    """x0 (B, J, 3) model units, its masked condition, and the t (B,) and z (B, J, 3) of Eq. 11."""

    x0: torch.Tensor
    cond: Condition
    t: torch.Tensor
    z: torch.Tensor

    def __getitem__(self, index) -> "Batch":
        return Batch(self.x0[index], self.cond[index], self.t[index], self.z[index])

    def to(self, device) -> "Batch":
        cond = Condition(self.cond.values.to(device), self.cond.keep.to(device), self.cond.is_3d.to(device))
        return Batch(self.x0.to(device), cond, self.t.to(device), self.z.to(device))


class PoseBatches:
    """Draws training batches from a PoseSet ('world' poses get random cameras each step).

    Batches are built on the CPU (a few thousand numbers per pose) and moved by the caller.
    """

    def __init__(self, poses, config: Config):
        self.config = config
        self.strategy = MaskStrategy.parse(config.train.mask_strategy)
        self.world = poses.frame_kind == "world"
        self.poses = torch.as_tensor(np.asarray(poses.poses_3d, dtype=np.float32))
        if not self.world:
            self.keypoints = torch.as_tensor(np.asarray(poses.keypoints_2d, dtype=np.float32))
            self.image_size = torch.as_tensor(np.asarray(poses.image_size, dtype=np.float32))
        self.count = len(poses)

    def _indices(self, step: int, batch_size: int) -> torch.Tensor:
        """Samples for `step` from per-epoch permutations (every pose once per epoch)."""
        start = step * batch_size
        first_epoch, last_epoch = start // self.count, (start + batch_size - 1) // self.count
        perms = [torch.randperm(self.count, generator=_generator(self.config.train.seed, epoch, 0))
                 for epoch in range(first_epoch, last_epoch + 1)]
        offset = start - first_epoch * self.count
        return torch.cat(perms)[offset:offset + batch_size]

    def batch(self, step: int) -> Batch:
        """The global batch of one training step."""
        train = self.config.train
        gen = _generator(train.seed, step, 1)
        index = self._indices(step, train.batch_size)
        if self.world:
            poses = self.poses[index]
            cameras = look_at_cameras(place_on_floor(poses)[:, 0], generator=gen)
            poses_cam, keypoints = camera_views(poses, cameras)
            image_size = cameras.size
        else:
            poses_cam, keypoints, image_size = self.poses[index], self.keypoints[index], self.image_size[index]
        if train.noise_2d_sigma > 0:
            keypoints = detector_noise(keypoints, sigma_px=train.noise_2d_sigma, generator=gen)
        batch = len(index)
        use_3d = sample_condition_is_3d(batch, self.strategy, gen)
        cond = mix_conditions(condition_from_2d(keypoints, image_size), condition_from_3d(poses_cam), use_3d)
        cond = with_mask(cond, sample_keep_mask(batch, self.strategy, gen))
        t = T_MIN_TRAIN + (1 - T_MIN_TRAIN) * torch.rand(batch, generator=gen)
        z = torch.randn(poses_cam.shape, generator=gen)
        return Batch(poses_to_model(poses_cam, self.config.model.data_scale), cond, t, z)


def _generator(seed: int, counter: int, stream: int) -> torch.Generator:
    gen = torch.Generator()
    gen.manual_seed((seed * 1_000_003 + counter) * 7 + stream)
    return gen
