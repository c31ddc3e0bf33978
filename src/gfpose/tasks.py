"""The task layer: one request builder per task, and the Sampler that draws any request.

| task        | condition              | start                      | builder              |
|-------------|------------------------|----------------------------|----------------------|
| estimate    | 2D keypoints           | N(0, I) at T = 1           | estimate_request     |
| propagate   | 2D keypoints           | given poses perturbed to t0| propagate_request    |
| complete-2d | 2D with NaN joints     | N(0, I) at T = 1           | estimate_request     |
| complete-3d | partial 3D             | N(0, I), +/- imputation    | complete_3d_request  |
| denoise     | none                   | the noisy pose at small t0 | denoise_request      |
| generate    | none                   | N(0, I) at T = 1           | generate_request     |

Tensors here are torch, millimetres and pixels; unit checks live in gfpose.validation. S hypotheses
for many inputs are drawn in batched network calls of at most `max_batch` rows (one chunk of inputs
at a time), each chunk with its own seeded generator. A `Coupling` draws a request's inputs as the
frames of one window instead (gfpose.sequences: temporal guidance, correlated starts, an early stop).
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

import torch

from gfpose.conditions import Condition, condition_from_2d, condition_from_3d, model_to_poses, poses_to_model
from gfpose.errors import InputError
from gfpose.geometry import root_center
from gfpose.parametrisation import ScoreModel
from gfpose.precision import DTYPES, PRECISIONS, prepare_network, resolve_precision
from gfpose.sampling import SOLVERS, Imputation, get_solver, time_grid
from gfpose.sde import EPS
from gfpose.seeding import generator

COMPLETION_MODES = ("conditional", "imputation", "both")  # App. G: 'both' is best for completion
DENOISE_METHODS = ("sample", "mean")  # reverse-SDE draw from t0, or the posterior mean (Tweedie)
DENOISE_T0 = 0.05  # denoising's start time when the noise is not given (Table 7's t0 for small noise)


@dataclass(frozen=True)
class SamplerSettings:
    """Which solver (`name`, a key of gfpose.sampling.SOLVERS), how many steps, on which time grid, in
    which precision, in what chunks."""

    name: str = "em"
    steps: int = 1000
    schedule: str = "uniform"
    precision: str = "fp32"  # the network's: one of gfpose.precision.PRECISIONS
    max_batch: int = 4096
    compile: bool = False  # torch.compile the network: faster on CPU, ~30 s to compile once

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        get_solver(self.name)

    def network_evaluations(self) -> int:
        return self.steps * SOLVERS[self.name][1]


PAPER_SAMPLER = SamplerSettings()  # Alg. 1 with N = 1000 (App. D)


@dataclass(frozen=True)
class Request:
    """One task for N inputs: what to condition on, where to start, what to impute, what to return.

    cond         the condition (model units), N rows
    hypotheses   S draws per input
    start_mm     root-relative poses to start from at t_start: (N, J, 3), one per input (denoising), or
                 (N, S, J, 3), one per hypothesis; None: the prior at T = 1
    t_start      the start time
    perturb      False: start_mm is already noisy (denoising: alpha(t0) x); True: start_mm is clean and is
                 perturbed to t_start by the forward kernel, alpha(t0) x + sigma(t0) z (Eq. 9)
    observed_mm  (N, J, 3) with NaN where unobserved: coordinates imputed along the way (Song et al.)
    method       'sample' (reverse-time sampling) or 'mean' (the posterior mean at t_start)
    """

    cond: Condition
    hypotheses: int = 1
    start_mm: torch.Tensor | None = None
    t_start: float = 1.0
    observed_mm: torch.Tensor | None = None
    method: str = "sample"
    perturb: bool = False

    def __post_init__(self):
        if self.start_mm is not None and self.start_mm.dim() == 4 and self.start_mm.shape[1] != self.hypotheses:
            raise ValueError(f"start_mm has {self.start_mm.shape[1]} poses per input for {self.hypotheses} hypotheses")
        if self.method not in DENOISE_METHODS:
            raise ValueError(f"method must be one of {DENOISE_METHODS}, got {self.method!r}")
        if self.method == "mean" and (self.start_mm is None or self.start_mm.dim() != 3 or self.hypotheses != 1):
            raise ValueError("the posterior mean needs start poses and returns one result per input")

    def __len__(self) -> int:
        return len(self.cond)


def estimate_request(keypoints_px: torch.Tensor, image_size: torch.Tensor, hypotheses: int = 1) -> Request:
    """2D keypoints (N, J, 2) px, NaN = missing (2D completion), image (N, 2) (w, h) -> estimation."""
    return Request(condition_from_2d(keypoints_px, image_size), hypotheses)


def complete_3d_request(partial_mm: torch.Tensor, hypotheses: int = 1, mode: str = "both") -> Request:
    """Partial 3D (N, J, 3) mm with NaN joints -> completion: 'conditional' (the condition only),
    'imputation' (an unconditional run with the observed joints imputed) or 'both' (App. G).
    Poses whose pelvis is observed are root-centred; the others are taken as root-relative."""
    if mode not in COMPLETION_MODES:
        raise ValueError(f"mode must be one of {COMPLETION_MODES}, got {mode!r}")
    rooted = torch.isfinite(partial_mm[:, 0]).all(dim=-1)
    partial = torch.where(rooted[:, None, None], root_center(partial_mm), partial_mm)
    cond = condition_from_3d(partial)
    if mode == "imputation":
        cond = Condition.empty(len(cond), cond.values.shape[1])
    return Request(cond, hypotheses, observed_mm=partial if mode != "conditional" else None)


def denoise_request(noisy_mm: torch.Tensor, t_start: float = DENOISE_T0, method: str = "sample") -> Request:
    """Noisy 3D poses (N, J, 3) mm -> denoising from t_start (Table 7), unconditionally."""
    return Request(Condition.empty(*noisy_mm.shape[:2]), 1, start_mm=root_center(noisy_mm),
                   t_start=t_start, method=method)


def propagate_request(keypoints_px: torch.Tensor, image_size: torch.Tensor, previous_mm: torch.Tensor,
                      t_start: float) -> Request:
    """Estimation warm-started from nearby poses (SDEdit, Meng et al. 2022): the S poses (N, S, J, 3)
    mm of each input, e.g. the previous video frame's hypotheses, perturbed to t_start (Eq. 9) and
    drawn back under the 2D condition of (N, J, 2) px keypoints. A small t_start costs a few network
    evaluations instead of a run from T = 1, and keeps each hypothesis near its predecessor."""
    return Request(condition_from_2d(keypoints_px, image_size), previous_mm.shape[1],
                   start_mm=root_center(previous_mm), t_start=t_start, perturb=True)


def generate_request(count: int, num_joints: int) -> Request:
    """`count` poses from the unconditional prior p(x | empty)."""
    return Request(Condition.empty(count, num_joints))


CENTRAL_SOLVER = "dpm2m"  # Sampler.central: a deterministic solver of the probability-flow ODE


def zero_start(shape, generator) -> torch.Tensor:
    """The starting noise of the central answer: x(T) = 0 (a Coupling's start_noise)."""
    return torch.zeros(shape)


@dataclass(frozen=True)
class Coupling:
    """A request's N inputs drawn together as the frames of one window, in one batch with one generator:
    `guide` wraps the score function s(x, t) (temporal guidance: a model wrapper, as in k-diffusion);
    `start_noise(shape, generator)` gives the standard starting noise of shape (N, S, J, 3) for a start
    from the prior (e.g. correlated along time); `stop_noise_mm` ends the reverse process where its
    noise is that large and returns the posterior mean there (Tweedie) instead of a sample of the
    finer detail."""

    guide: Callable | None = None
    start_noise: Callable | None = None
    stop_noise_mm: float | None = None


class Sampler:
    """A trained network with its SDE and data scale, in the settings' precision: draws requests."""

    def __init__(self, net, sde, data_scale: float, settings: SamplerSettings = PAPER_SAMPLER, *, config):
        self.net, self.sde, self.data_scale, self.settings = net, sde, data_scale, settings
        self.config = config  # the gfpose.config.Config the network was trained with (its parametrisation)
        self.device = next(net.parameters()).device
        self.precision = resolve_precision(settings.precision, self.device)
        self._model = None

    def with_settings(self, **changes) -> "Sampler":
        return Sampler(self.net, self.sde, self.data_scale, replace(self.settings, **changes), config=self.config)

    def to(self, device: torch.device) -> "Sampler":
        return Sampler(self.net.to(device), self.sde, self.data_scale, self.settings, config=self.config)

    def model(self) -> ScoreModel:
        """The score model in the settings' precision, prepared once per Sampler."""
        if self._model is None:
            self._model = self._build_model()
        return self._model

    def _build_model(self) -> ScoreModel:
        net = prepare_network(self.net, self.precision, self.settings.compile)
        dtype = DTYPES[self.precision]
        return ScoreModel.for_config(net, self.config.model, dtype, sde=self.sde)

    def chunk_size(self, hypotheses: int) -> int:
        """Inputs per chunk: S hypotheses each, at most max_batch network rows."""
        return max(1, self.settings.max_batch // hypotheses)

    def start_time_for_noise(self, noise_mm: float) -> float:
        """The denoising start time for noise of `noise_mm` std per coordinate (SubVPSDE.t_for_noise)."""
        return self.sde.t_for_noise(noise_mm * self.data_scale / 1000.0)

    @torch.inference_mode()
    def iter_chunks(self, request: Request, seed: int = 0, chunks: slice = slice(None),
                    coupling: Coupling | None = None):
        """Yield (input slice, poses (n, S, J, 3) mm root-relative) chunk by chunk, bounding memory.

        chunks: which of the chunks to draw, e.g. one rank's share; each chunk's noise depends on its
        index alone, so a split run draws exactly what one process would. With a coupling the
        request is one chunk (its inputs are frames of one window).
        """
        per_chunk = len(request) if coupling is not None else self.chunk_size(request.hypotheses)
        count = len(request)
        for index, start in list(enumerate(range(0, count, per_chunk)))[chunks]:
            rows = slice(start, min(start + per_chunk, count))
            x = self._draw(request, rows, generator(seed, index, device=self.device), coupling or Coupling())
            poses = model_to_poses(x.float(), self.data_scale).reshape(-1, request.hypotheses, *x.shape[1:])
            yield rows, root_center(poses).cpu()

    def run(self, request: Request, seed: int = 0, coupling: Coupling | None = None) -> torch.Tensor:
        """All results of a request, (N, S, J, 3) mm root-relative."""
        return torch.cat([poses for _, poses in self.iter_chunks(request, seed, coupling=coupling)])

    def central(self, request: Request) -> torch.Tensor:
        """(N, J, 3) mm: one deterministic answer per input of a request drawn from the prior (no start
        poses): the probability-flow ODE (Song et al. 2021, the deterministic twin of Eq. 5's reverse SDE;
        DPM-Solver-2M) from x(T) = 0, the centre of the distribution at T = 1, instead of a random start.
        For Gaussian data N(m, v) it lands on m up to alpha(1) sqrt(v) / sigma(1) (0.7% of the prior's
        std for the default SDE); for a pose posterior, near its mode. docs/RESULTS.md, One answer."""
        if request.start_mm is not None:
            raise InputError("central: the request has start poses; the central answer starts from x(T) = 0")
        ode = self.with_settings(name=CENTRAL_SOLVER)
        rows = ode.settings.max_batch
        return torch.cat([ode.run(replace(request, cond=request.cond[i:i + rows], hypotheses=1),
                                  coupling=Coupling(start_noise=zero_start))[:, 0]
                          for i in range(0, len(request), rows)])

    def _draw(self, request: Request, rows: slice, generator, coupling: Coupling) -> torch.Tensor:
        """One chunk, in model units: reverse-time sampling of S draws per input from t_start to EPS (or
        to the coupling's stop), or the posterior mean E[x(0) | x(t_start)] by Tweedie's formula."""
        score_fn = self.model().score_fn(self.condition(request, rows))
        if coupling.guide is not None:
            score_fn = coupling.guide(score_fn)
        noise = None
        if request.start_mm is None and coupling.start_noise is not None:
            shape = (rows.stop - rows.start, request.hypotheses, request.cond.values.shape[1], 3)
            noise = coupling.start_noise(shape, generator).flatten(0, 1)
        x = self.initial_state(request, rows, generator, noise)
        imputation = self.imputation(request, rows)
        stop = coupling.stop_noise_mm is not None
        t_end = self.start_time_for_noise(coupling.stop_noise_mm) if stop else EPS
        sample = request.method == "sample" and t_end < request.t_start
        if sample:
            times = time_grid(self.settings.steps, request.t_start, t_end, self.settings.schedule, self.sde)
            x = get_solver(self.settings.name)(score_fn, self.sde, x, times, generator=generator,
                                               imputation=imputation)
        if not sample or stop:
            t = torch.tensor([t_end if sample else request.t_start], device=self.device)
            x = self.sde.denoised_from_score(x, t, score_fn(x, t))
            x = imputation.finish(x) if imputation is not None else x
        return x

    def condition(self, request: Request, rows: slice):
        """The chunk's condition on the device, each row repeated for its S hypotheses."""
        return request.cond[rows].to(self.device).repeat_interleave(request.hypotheses)

    def initial_state(self, request: Request, rows: slice, generator, noise: torch.Tensor | None = None):
        """x(t_start) of the chunk's S hypotheses per input: N(0, I) at T = 1 (or the given standard
        `noise`), or the start poses at t_start (_start), perturbed when the request says so."""
        if request.start_mm is not None:
            start = self._start(request, rows)
            if request.start_mm.dim() == 3:
                start = start.repeat_interleave(request.hypotheses, 0)
            else:
                start = start.flatten(0, 1)
            if not request.perturb:
                return start
            sigma = self.sde.sigma(torch.tensor(request.t_start)).item()
            return start + sigma * torch.randn(start.shape, generator=generator, device=self.device)
        if noise is not None:
            return noise.to(self.device)
        shape = (len(request.cond[rows]) * request.hypotheses, request.cond.values.shape[1], 3)
        return self.sde.prior_sample(shape, generator=generator, device=self.device)

    def imputation(self, request: Request, rows: slice) -> Imputation | None:
        """The chunk's observed coordinates in model units (App. G imputation), or None."""
        if request.observed_mm is None:
            return None
        observed = request.observed_mm[rows].to(self.device).repeat_interleave(request.hypotheses, 0)
        return Imputation(poses_to_model(torch.nan_to_num(observed), self.data_scale), torch.isfinite(observed))

    def _start(self, request: Request, rows: slice) -> torch.Tensor:
        """x(t0) = alpha(t0) x0 + sigma(t0) z (Eq. 9): the noisy pose in model units scaled by alpha(t0)."""
        start = poses_to_model(request.start_mm[rows].to(self.device), self.data_scale)
        return start * self.sde.alpha(torch.tensor(request.t_start)).item()
