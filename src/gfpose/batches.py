"""Training batches: real poses seen through new virtual cameras every step, as model inputs.

A batch is a function of (seed, step) alone, so a resumed run and every DDP rank draw exactly
the same global batch; each rank then trains on its slice of it.
"""

from dataclasses import dataclass

import numpy as np
import torch

from gfpose.augment import augment_skeletons, recombine_limbs
from gfpose.conditions import Condition, condition_from_2d, condition_from_3d, mix_conditions, poses_to_model, with_mask
from gfpose.config import Config
from gfpose.data.cameras import Cameras, camera_views, look_at_cameras, place_on_floor, wide_cameras
from gfpose.data.noise2d import detector_noise
from gfpose.joint_definitions import with_joint_definition
from gfpose.masking import MaskStrategy, sample_condition_is_3d, sample_keep_mask
from gfpose.parametrisation import T_MIN_TRAIN
from gfpose.seeding import generator


@dataclass
class Batch:
    """x0 (B, J, 3) model units, its masked condition, and the t and z (B, J, 3) of Eq. 11: t is
    (B,), or (K,) distinct times with t_index (B,) giving each row's (TrainConfig.distinct_times)."""

    x0: torch.Tensor
    cond: Condition
    t: torch.Tensor
    z: torch.Tensor
    t_index: torch.Tensor | None = None

    def __getitem__(self, rows: slice) -> "Batch":
        if self.t_index is None:
            return Batch(self.x0[rows], self.cond[rows], self.t[rows], self.z[rows])
        return Batch(self.x0[rows], self.cond[rows], self.t, self.z[rows], self.t_index[rows])

    def to(self, device) -> "Batch":
        t_index = None if self.t_index is None else self.t_index.to(device)
        return Batch(self.x0.to(device), self.cond.to(device), self.t.to(device), self.z.to(device), t_index)


class PoseBatches:
    """Draws training batches from a PoseSet ('world' poses get random cameras each step).

    The poses live on `device`, and every draw (order, cameras, masks, times, noise) is made there
    with a generator of that device: on a GPU a step needs no host work. The same seed gives the
    same batches on the same kind of device (CPU and CUDA generators differ).
    """

    def __init__(self, poses, config: Config, device: torch.device = torch.device("cpu")):
        self.config, self.device = config, torch.device(device)
        self.strategy = MaskStrategy.parse(config.train.mask_strategy)
        self.world = poses.frame_kind == "world"
        train = config.train
        if not self.world and (train.skeleton_augment > 0 or train.mirror > 0 or train.recombine_limbs > 0):
            raise ValueError("train.skeleton_augment, train.mirror and train.recombine_limbs change world poses "
                             "before the virtual cameras; this data is camera-frame with its own 2D, so set them to 0")
        if not self.world and config.model.joints != "mocap":
            raise ValueError(f"model.joints={config.model.joints!r} redefines joints of world poses before the "
                             "virtual cameras; this data is camera-frame with its own 2D")
        self.poses = self._array(poses.poses_3d)
        if not self.world:
            self.keypoints, self.image_size = self._array(poses.keypoints_2d), self._array(poses.image_size)
        self.count = len(poses)

    def _array(self, values) -> torch.Tensor:
        return torch.as_tensor(np.asarray(values, dtype=np.float32)).to(self.device)

    def _generator(self, counter: int, stream: int) -> torch.Generator:
        """The generator of one draw: `counter` is the step or epoch, `stream` tells draws apart."""
        return generator(self.config.train.seed, counter, stream, device=self.device)

    def _indices(self, step: int, batch_size: int) -> torch.Tensor:
        """Samples for `step` from per-epoch permutations (every pose once per epoch)."""
        start = step * batch_size
        first_epoch, last_epoch = start // self.count, (start + batch_size - 1) // self.count
        perms = [torch.randperm(self.count, generator=self._generator(epoch, 0), device=self.device)
                 for epoch in range(first_epoch, last_epoch + 1)]
        offset = start - first_epoch * self.count
        return torch.cat(perms)[offset:offset + batch_size]

    def _cameras(self, targets: torch.Tensor, gen: torch.Generator) -> Cameras:
        """Upright cameras 4-6 m away, and a TrainConfig.wide_cameras share of real-world ones."""
        upright = look_at_cameras(targets, generator=gen)
        share = self.config.train.wide_cameras
        if share <= 0:
            return upright
        wide = wide_cameras(targets, generator=gen)
        chosen = torch.rand(len(targets), generator=gen, device=self.device) < share
        return Cameras(**{name: torch.where(chosen.view(-1, *[1] * (value.dim() - 1)), getattr(wide, name), value)
                          for name, value in vars(upright).items()})

    def batch(self, step: int) -> Batch:
        """The global batch of one training step."""
        train = self.config.train
        gen = self._generator(step, 1)
        index = self._indices(step, train.batch_size)
        if self.world:
            poses = self.poses[index]
            if train.recombine_limbs > 0:
                poses = recombine_limbs(poses, train.recombine_limbs, gen)
            poses = augment_skeletons(poses, train.skeleton_augment, train.mirror, gen)
            poses = with_joint_definition(poses, self.config.model.joints)
            cameras = self._cameras(place_on_floor(poses)[:, 0], gen)
            poses_cam, keypoints = camera_views(poses, cameras)
            image_size = cameras.size
        else:
            poses_cam, keypoints, image_size = self.poses[index], self.keypoints[index], self.image_size[index]
        if train.noise_2d_sigma > 0:
            keypoints = detector_noise(keypoints, sigma_px=train.noise_2d_sigma, generator=gen)
        batch = len(index)
        use_3d = sample_condition_is_3d(batch, self.strategy, gen, self.device)
        cond = mix_conditions(condition_from_2d(keypoints, image_size), condition_from_3d(poses_cam), use_3d)
        cond = with_mask(cond, sample_keep_mask(batch, self.strategy, gen, self.device))
        t, t_index = draw_times(batch, train.distinct_times, gen, self.device)
        z = torch.randn(poses_cam.shape, generator=gen, device=self.device)
        return Batch(poses_to_model(poses_cam, self.config.model.data_scale), cond, t, z, t_index)


def draw_times(batch: int, distinct: int, generator, device=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """t ~ U(T_MIN_TRAIN, 1) per row (distinct = 0, the paper's), or `distinct` stratified times,
    one in each of `distinct` equal intervals, shared by batch / distinct rows each (a random
    assignment): every row's t is still uniform, the loss's variance over t is lower, and the
    network's time path runs `distinct` times instead of `batch` (gfpose.network)."""
    if not distinct:
        return T_MIN_TRAIN + (1 - T_MIN_TRAIN) * torch.rand(batch, generator=generator, device=device), None
    offsets = torch.rand(distinct, generator=generator, device=device)
    strata = (torch.arange(distinct, device=device) + offsets) / distinct
    return (T_MIN_TRAIN + (1 - T_MIN_TRAIN) * strata,
            torch.randperm(batch, generator=generator, device=device) % distinct)

