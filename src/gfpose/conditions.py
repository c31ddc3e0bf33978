"""Units and conditions: millimetre poses and pixel keypoints to the model's space and back.

Model space: a root-relative camera-frame pose in metres times ModelConfig.data_scale. Conditions
share one (J, 3) representation (Sec. 5.2): 2D keypoints as VideoPose3D screen coordinates
(x / w * 2 - [1, h / w]) zero-padded in the last coordinate, 3D poses root-relative in metres.
A NaN joint is a missing joint: `keep` is False there and its value is 0, never NaN. The mask
c = M * c of Sec. 4.3 is applied once, by the network (gfpose.network), to whatever `values` holds.
"""

from dataclasses import dataclass

import torch

from gfpose.data.cameras import normalize_screen


@dataclass
class Condition:
    """A batch of conditions in model units: values (B, J, 3), keep (B, J) bool, is_3d (B,) bool."""

    values: torch.Tensor
    keep: torch.Tensor
    is_3d: torch.Tensor

    @classmethod
    def empty(cls, batch: int, num_joints: int, device=None) -> "Condition":
        """The fully masked condition (the unconditional prior p(x | empty))."""
        return cls(torch.zeros(batch, num_joints, 3, device=device),
                   torch.zeros(batch, num_joints, dtype=torch.bool, device=device),
                   torch.zeros(batch, dtype=torch.bool, device=device))

    def repeat_interleave(self, repeats: int) -> "Condition":
        """Each condition repeated for `repeats` hypotheses, (B, ...) -> (B * repeats, ...)."""
        return Condition(*(v.repeat_interleave(repeats, dim=0) for v in (self.values, self.keep, self.is_3d)))

    def to(self, device) -> "Condition":
        return Condition(self.values.to(device), self.keep.to(device), self.is_3d.to(device))

    def __getitem__(self, index) -> "Condition":
        return Condition(self.values[index], self.keep[index], self.is_3d[index])

    def __len__(self) -> int:
        return self.values.shape[0]


def poses_to_model(poses_mm: torch.Tensor, data_scale: float) -> torch.Tensor:
    """(B, J, 3) mm, root-relative -> model units."""
    return poses_mm * (data_scale / 1000.0)


def model_to_poses(x: torch.Tensor, data_scale: float) -> torch.Tensor:
    """Model units -> (B, J, 3) mm."""
    return x * (1000.0 / data_scale)


def condition_from_2d(keypoints_px: torch.Tensor, image_size: torch.Tensor) -> Condition:
    """(B, J, 2) pixels with NaN for missing joints and (B, 2) image (w, h) -> a 2D Condition."""
    keep = torch.isfinite(keypoints_px).all(dim=-1)
    screen = normalize_screen(torch.nan_to_num(keypoints_px), image_size)
    values = torch.cat([screen, torch.zeros_like(screen[..., :1])], dim=-1)
    return Condition(values, keep, torch.zeros(keep.shape[0], dtype=torch.bool, device=keep.device))


def condition_from_3d(poses_mm: torch.Tensor) -> Condition:
    """(B, J, 3) root-relative mm with NaN for missing joints -> a 3D Condition (metres)."""
    keep = torch.isfinite(poses_mm).all(dim=-1)
    values = torch.nan_to_num(poses_mm) / 1000.0
    return Condition(values, keep, torch.ones(keep.shape[0], dtype=torch.bool, device=keep.device))


def mix_conditions(cond_2d: Condition, cond_3d: Condition, use_3d: torch.Tensor) -> Condition:
    """Per sample, the 3D condition where use_3d (B,) is True, else the 2D one (App. F, U3D)."""
    return Condition(torch.where(use_3d[:, None, None], cond_3d.values, cond_2d.values),
                     torch.where(use_3d[:, None], cond_3d.keep, cond_2d.keep),
                     use_3d.clone())


def with_mask(cond: Condition, keep: torch.Tensor) -> Condition:
    """The condition with joints outside `keep` (B, J) masked as well (Sec. 4.3's M)."""
    return Condition(cond.values, cond.keep & keep, cond.is_3d)
