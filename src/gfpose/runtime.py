"""Devices and processes: `--device auto`, torch.distributed set-up under torchrun, and splitting
rows of work (inputs to evaluate or sample) across ranks and gathering the results back."""

import os

import numpy as np
import torch
import torch.distributed as dist

from gfpose.errors import InputError


def resolve_device(name: str = "auto") -> torch.device:
    """'auto' picks CUDA when present, else CPU; an unavailable CUDA request is a clear error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        raise InputError(f"device {name!r}: not a device; expected auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {name!r} requested but CUDA is not available; use --device cpu or auto")
    return device


def launched_ranks() -> tuple[int, int]:
    """(rank, world_size) that torchrun launched this process with (RANK, WORLD_SIZE), known before
    any process group exists: used to decide whether to join one. (0, 1) for a plain process.
    See :func:`group_ranks` for the group that collective operations actually run over."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def init_distributed(device: torch.device) -> tuple[int, int]:
    """Join the torchrun process group (NCCL on GPU, gloo on CPU) if there is more than one rank."""
    rank, size = launched_ranks()
    if size > 1 and not dist.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return rank, size


def close_distributed() -> None:
    """Wait for every rank, then leave the process group: a process that exits while still in a
    gloo group can abort ("terminate called without an active exception") and fail the launch."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def local_device(device: torch.device) -> torch.device:
    """On a multi-GPU run each rank uses the GPU of its LOCAL_RANK."""
    if device.type == "cuda" and launched_ranks()[1] > 1:
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return device


def batch_mean(rank_mean: torch.Tensor, count: int, total: int) -> float:
    """The whole batch's mean from each rank's mean over its `count` of `total` items; every rank
    must call it (an all-reduce under torchrun), a single process gets its own value back."""
    if not (dist.is_available() and dist.is_initialized()):
        return rank_mean.item()
    weighted = rank_mean.detach().float() * count
    dist.all_reduce(weighted)
    return weighted.item() / total


def rank_slice(n: int, rank: int, size: int) -> slice:
    """Contiguous share of n items for one rank (the first n % size ranks take one more)."""
    base, extra = divmod(n, size)
    start = rank * base + min(rank, extra)
    return slice(start, start + base + (rank < extra))


def group_ranks() -> tuple[int, int]:
    """(rank, world_size) of the initialised process group, whatever started it (torchrun or
    init_process_group called by hand); (0, 1) before one is joined, even under torchrun. Splitting
    and gathering rows use this one, so that they match the collectives they run."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def local_rows(n: int) -> slice:
    """This rank's contiguous share of n rows (all of them in a single process)."""
    return rank_slice(n, *group_ranks())


def gather_row_arrays(arrays: dict) -> dict:
    """{name: (n, ...) numpy array} of every rank, rows concatenated in rank order, on every rank.

    A rank with no rows may pass {}: names come from the ranks that have them.
    """
    size = group_ranks()[1]
    if size == 1:
        return arrays
    shares = [None] * size
    dist.all_gather_object(shares, arrays)
    names = dict.fromkeys(name for share in shares for name in share)
    return {name: np.concatenate([share[name] for share in shares if name in share]) for name in names}
