"""How evaluation degrades its test inputs: hidden joints and 3D noise, each a small typed spec that
the command line parses once ('joints:K', 'parts:r_leg,l_arm', 'gaussian:VAR', 'uniform:W')."""

from dataclasses import dataclass

import torch

from gfpose.masking import part_mask
from gfpose.skeleton import BODY_PARTS, NUM_JOINTS


@dataclass(frozen=True)
class MissingJoints:
    """Joints hidden from the input: none, `count` random joints per input (never the pelvis,
    seeded), or the joints of the named body parts (gfpose.skeleton.BODY_PARTS)."""

    count: int = 0
    parts: tuple[str, ...] = ()

    def __post_init__(self):
        if self.count and self.parts:
            raise ValueError("hide either random joints or body parts, not both")
        if not 0 <= self.count < NUM_JOINTS:
            raise ValueError(f"hidden joint count must be in 0..{NUM_JOINTS - 1}, got {self.count}")
        unknown = set(self.parts) - set(BODY_PARTS)
        if unknown:
            raise ValueError(f"unknown body parts {sorted(unknown)}; expected some of {', '.join(BODY_PARTS)}")

    @classmethod
    def parse(cls, spec: str) -> "MissingJoints":
        """'none', 'joints:K' or 'parts:a,b'."""
        kind, _, arg = spec.partition(":")
        if kind == "none" and not arg:
            return cls()
        if kind == "joints" and arg.isdigit() and 0 < int(arg) < NUM_JOINTS:
            return cls(count=int(arg))
        if kind == "parts" and arg:
            return cls(parts=tuple(arg.split(",")))
        raise ValueError(f"missing-joint spec {spec!r}: expected 'none', 'joints:K' (0 < K < {NUM_JOINTS}) "
                         f"or 'parts:a,b' with parts of {', '.join(BODY_PARTS)}")

    def __str__(self) -> str:
        return f"joints:{self.count}" if self.count else f"parts:{','.join(self.parts)}" if self.parts else "none"

    def mask(self, count: int, seed: int = 0) -> torch.Tensor:
        """(N, J) bool, True where a joint is hidden."""
        if self.parts:
            return part_mask(*self.parts).expand(count, NUM_JOINTS).clone()
        hidden = torch.zeros(count, NUM_JOINTS, dtype=torch.bool)
        if self.count:
            scores = torch.rand(count, NUM_JOINTS - 1, generator=torch.Generator().manual_seed(seed))
            hidden[:, 1:] = scores.argsort(dim=1).argsort(dim=1) < self.count
        return hidden

    def hide(self, values: torch.Tensor, seed: int = 0) -> torch.Tensor:
        """(N, J, C) with the hidden joints set to NaN."""
        return values.masked_fill(self.mask(len(values), seed)[..., None], float("nan"))


@dataclass(frozen=True)
class PoseNoise:
    """Noise added to 3D poses: Gaussian of variance `value` mm^2, or uniform on [-value, value] mm."""

    kind: str = "none"
    value: float = 0.0

    def __post_init__(self):
        if self.kind not in ("none", "gaussian", "uniform") or self.value < 0:
            raise ValueError(f"noise must be none, gaussian or uniform with a value >= 0, got {self.kind}:{self.value}")

    @classmethod
    def parse(cls, spec: str) -> "PoseNoise":
        """'none', 'gaussian:VARIANCE_MM2' or 'uniform:HALF_WIDTH_MM'."""
        kind, _, arg = spec.partition(":")
        try:
            return cls() if spec == "none" else cls(kind, float(arg))
        except ValueError:
            raise ValueError(f"noise spec {spec!r}: expected 'none', 'gaussian:VARIANCE_MM2' "
                             "or 'uniform:HALF_WIDTH_MM'") from None

    def __str__(self) -> str:
        return "none" if self.kind == "none" else f"{self.kind}:{self.value:g}"

    @property
    def std_mm(self) -> float:
        """Standard deviation per coordinate."""
        return {"none": 0.0, "gaussian": self.value**0.5, "uniform": self.value / 3**0.5}[self.kind]

    def add(self, poses: torch.Tensor, seed: int = 0) -> torch.Tensor:
        """A noisy copy of (N, J, 3) mm poses."""
        gen = torch.Generator().manual_seed(seed)
        if self.kind == "gaussian":
            return poses + self.value**0.5 * torch.randn(poses.shape, generator=gen)
        if self.kind == "uniform":
            return poses + self.value * (2 * torch.rand(poses.shape, generator=gen) - 1)
        return poses.clone()
