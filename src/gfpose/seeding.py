"""Seeded random streams: every random draw in gfpose comes from a generator made here from a user
seed and counters (chunk index, training step, stream), so runs repeat exactly and split runs
(DDP ranks, resumed training) draw what one uninterrupted process would. The words are mixed by
numpy's SeedSequence, so nearby seeds and counters give independent streams."""

import numpy as np
import torch


def _mixed(words) -> int:
    """64 bits mixed from the integers `words`."""
    return int(np.random.SeedSequence([int(w) for w in words]).generate_state(1, np.uint64)[0])


def derived_seed(*words: int) -> int:
    """A 63-bit seed from the integers `words` (seed first, then counters): one user seed per counter."""
    return _mixed(words) >> 1


def generator(*words: int, device=None) -> torch.Generator:
    """A torch generator on `device` seeded from the integers `words` (seed first, then counters)."""
    return torch.Generator(device=device).manual_seed(_mixed(words))

