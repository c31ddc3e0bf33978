"""The four tasks as one reverse-time sampling loop with different conditions and starts.

| task     | condition              | start                      |
|----------|------------------------|----------------------------|
| estimate | 2D keypoints           | N(0, I) at T = 1           |
| complete | partial 2D or 3D       | N(0, I), +/- imputation    |
| denoise  | none                   | the noisy pose at small T  |
| generate | none                   | N(0, I) at T = 1           |

Tensors here are torch, root-relative millimetres in and out; unit checks live in gfpose.validation.
S hypotheses for many inputs are drawn in batched network calls of at most `max_batch` rows.
"""

import copy
import math
import warnings
from dataclasses import dataclass, replace

import torch

from gfpose.conditions import condition_from_2d, condition_from_3d, model_to_poses, poses_to_model
from gfpose.errors import InputError
from gfpose.quantize import quantize_blocks
from gfpose.sampling import SAMPLERS, Imputation, get_sampler, posterior_mean, time_grid
from gfpose.score import Condition, network_score_fn
from gfpose.sde import EPS


# fp32; bf16: a bfloat16 copy of the network; int8: the residual blocks' matmuls in int8 (gfpose.quantize),
# fastest under torch.compile.
PRECISIONS = ("fp32", "bf16", "int8")


@dataclass(frozen=True)
class SamplerSettings:
    """Which sampler, how many steps, on which time grid, in which precision, in what chunks."""

    name: str = "em"
    steps: int = 1000
    schedule: str = "uniform"
    precision: str = "fp32"  # the network's: one of PRECISIONS; the SDE arithmetic stays float32
    max_batch: int = 4096
    compile: bool = False  # torch.compile the network: faster on CPU, ~30 s to compile once

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")

    def network_evaluations(self) -> int:
        return self.steps * SAMPLERS[self.name][1]


PAPER_SAMPLER = SamplerSettings()  # Alg. 1 with N = 1000 (App. D)
DENOISE_METHODS = ("sample", "mean")


class Sampler:
    """A trained network with its SDE and data scale: draws poses for a condition."""

    def __init__(self, net, sde, data_scale: float, settings: SamplerSettings = PAPER_SAMPLER):
        self.net, self.sde, self.data_scale, self.settings = net, sde, data_scale, settings
        self._network = None

    def with_settings(self, **changes) -> "Sampler":
        return Sampler(self.net, self.sde, self.data_scale, replace(self.settings, **changes))

    def network_dtype(self) -> torch.dtype:
        return torch.bfloat16 if self.settings.precision == "bf16" else torch.float32

    def network(self):
        """The network to call, made once per Sampler: in the settings' precision (a bfloat16 or
        int8 copy of the weights), compiled when settings.compile, falling back to eager."""
        if self._network is not None:
            return self._network
        if self.settings.precision == "int8" and next(self.net.parameters()).device.type != "cpu":
            raise InputError("precision int8 is a CPU path (torch._int_mm); use bf16 on a GPU")
        net = {"fp32": lambda: self.net, "bf16": lambda: copy.deepcopy(self.net).to(torch.bfloat16),
               "int8": lambda: quantize_blocks(self.net)}[self.settings.precision]()
        self._network = net
        if self.settings.compile:
            compiled = torch.compile(net)

            def call(*args):
                try:
                    return compiled(*args)
                except Exception as err:  # compilation fails lazily: no toolchain, unsupported op
                    warnings.warn(f"torch.compile failed ({type(err).__name__}); using the eager network")
                    self._network = net
                    return net(*args)
            self._network = call
        return self._network

    @torch.inference_mode()
    def iter_hypotheses(self, cond: Condition, num_hypotheses: int, seed: int = 0,
                        start_mm: torch.Tensor | None = None, t_start: float = 1.0,
                        observed_mm: torch.Tensor | None = None, chunks: slice = slice(None),
                        mean_at_start: bool = False):
        """Yield (input slice, poses (n, S, J, 3) mm) chunk by chunk, bounding memory.

        start_mm (N, J, 3): start from these poses at t_start instead of the prior (denoising).
        observed_mm (N, J, 3) with NaN where unobserved: impute those coordinates (Song et al.).
        mean_at_start: return the posterior mean at t_start (Tweedie) instead of sampling to eps.
        chunks: which of the chunks (chunk_size inputs each) to draw, e.g. one rank's share; each chunk's
        noise depends on its index alone, so a split run draws exactly what one process would.
        """
        device = next(self.net.parameters()).device
        count, joints = len(cond), cond.values.shape[1]
        per_chunk = self.chunk_size(num_hypotheses)
        sampler = get_sampler(self.settings.name)
        times = time_grid(self.settings.steps, t_start, EPS, self.settings.schedule, self.sde)
        for chunk_index, start in list(enumerate(range(0, count, per_chunk)))[chunks]:
            rows = slice(start, min(start + per_chunk, count))
            generator = torch.Generator(device=device).manual_seed(seed * 1_000_003 + chunk_index)
            chunk_cond = _to(cond[rows], device).repeat_interleave(num_hypotheses)
            if start_mm is None:
                x = self.sde.prior_sample((len(chunk_cond), joints, 3), generator=generator, device=device)
            else:  # x(t0) = alpha(t0) x0 + sigma(t0) z (Eq. 9): the noisy pose scaled by alpha(t0)
                x = poses_to_model(start_mm[rows].to(device), self.data_scale).repeat_interleave(num_hypotheses, 0)
                x = x * self.sde.alpha(torch.tensor(t_start)).item()
            imputation = None
            if observed_mm is not None:
                observed = observed_mm[rows].to(device).repeat_interleave(num_hypotheses, 0)
                mask = torch.isfinite(observed)
                imputation = Imputation(poses_to_model(torch.nan_to_num(observed), self.data_scale), mask)
            score_fn = network_score_fn(self.network(), self.sde, chunk_cond, self.network_dtype())
            if mean_at_start:
                x = posterior_mean(score_fn, self.sde, x, t_start)
            else:
                x = sampler(score_fn, self.sde, x, times, generator=generator, imputation=imputation)
            poses = model_to_poses(x.float(), self.data_scale).reshape(-1, num_hypotheses, joints, 3)
            yield rows, (poses - poses[..., :1, :]).cpu()

    def chunk_size(self, num_hypotheses: int) -> int:
        """Inputs per chunk: S hypotheses each, at most max_batch network rows."""
        return max(1, self.settings.max_batch // num_hypotheses)

    def sample(self, cond: Condition, num_hypotheses: int, **kwargs) -> torch.Tensor:
        """All hypotheses, (N, S, J, 3) mm root-relative."""
        return torch.cat([poses for _, poses in self.iter_hypotheses(cond, num_hypotheses, **kwargs)])

    def estimate(self, keypoints_px, image_size, num_hypotheses=1, seed=0) -> torch.Tensor:
        """2D keypoints (N, J, 2) px, NaN = missing, image (N, 2) -> (N, S, J, 3) mm."""
        return self.sample(condition_from_2d(keypoints_px, image_size), num_hypotheses, seed=seed)

    def complete_3d(self, partial_mm, num_hypotheses=1, mode="both", seed=0) -> torch.Tensor:
        """Partial root-relative 3D (N, J, 3) mm with NaN joints -> (N, S, J, 3) mm.

        mode: 'conditional' (the condition only), 'imputation' (an unconditional run with the
        observed joints imputed) or 'both' (App. G: best for completion).
        """
        if mode not in ("conditional", "imputation", "both"):
            raise ValueError(f"mode must be 'conditional', 'imputation' or 'both', got {mode!r}")
        cond = condition_from_3d(partial_mm)
        if mode == "imputation":
            cond = Condition.empty(len(cond), cond.values.shape[1])
        observed = partial_mm if mode != "conditional" else None
        return self.sample(cond, num_hypotheses, seed=seed, observed_mm=observed)

    def start_time_for_noise(self, noise_mm: float) -> float:
        """The denoising start time t0 whose kernel noise matches noise of `noise_mm` standard
        deviation per coordinate: sigma(t0) / alpha(t0) = noise in model units (Eq. 9), so the noisy
        pose scaled by alpha(t0) is distributed like x(t0). Kept within [2 eps, 1]."""
        noise = max(noise_mm, 1e-6) * self.data_scale / 1000.0
        t0 = float(self.sde.t_from_log_snr(torch.tensor(-math.log(noise), dtype=torch.float64)))
        return min(max(t0, 2 * EPS), 1.0)

    def denoise(self, poses_mm, t_start=0.05, seed=0, method="sample") -> torch.Tensor:
        """Noisy root-relative poses (N, J, 3) mm -> (N, J, 3) mm from time t_start (Table 7):
        method 'sample' runs the reverse SDE (a draw from the posterior), 'mean' returns the
        posterior mean by Tweedie's formula (one network evaluation, the smallest expected error)."""
        if method not in DENOISE_METHODS:
            raise ValueError(f"method must be one of {DENOISE_METHODS}, got {method!r}")
        cond = Condition.empty(poses_mm.shape[0], poses_mm.shape[1])
        return self.sample(cond, 1, seed=seed, start_mm=poses_mm, t_start=t_start,
                           mean_at_start=method == "mean")[:, 0]

    def generate(self, count, num_joints, seed=0) -> torch.Tensor:
        """(count, J, 3) mm poses from the unconditional prior p(x | empty)."""
        return self.sample(Condition.empty(count, num_joints), 1, seed=seed)[:, 0]


def _to(cond: Condition, device) -> Condition:
    return Condition(cond.values.to(device), cond.keep.to(device), cond.is_3d.to(device))
