"""Checkpoints: model weights + the config that built them in one safetensors file, and the
training state (raw weights, EMA, optimizer, step) for resuming. Both are written by
:func:`gfpose.atomic.atomic_write`, so the last good file always loads, even after a SIGKILL or a
power cut mid-write.
"""

import json
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from gfpose.atomic import atomic_write
from gfpose.config import Config
from gfpose.errors import InputError

FORMAT = "gfpose-1"
TRAIN_STATE_KEYS = ("config", "step", "model", "ema", "optimizer")


def save_model(path, state_dict: dict, config: Config, step: int, dtype=None) -> None:
    """Weights (optionally cast, e.g. to float16) with config and step in the file's metadata."""
    tensors = {k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v).detach().cpu().contiguous()
               for k, v in state_dict.items()}
    metadata = {"format": FORMAT, "config": config.to_json(), "step": str(step)}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))


def load_model(path):
    """(state_dict in float32, Config, step) from a file written by save_model.

    A missing, truncated or corrupt file, or one with non-finite weights, raises InputError naming it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"checkpoint {path}: no such file")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise InputError(f"checkpoint {path}: not a readable safetensors file, truncated or corrupt ({err})") from None
    if metadata.get("format") != FORMAT or "config" not in metadata:
        raise InputError(f"checkpoint {path}: no gfpose config in its metadata (format {metadata.get('format')!r})")
    try:
        config, step = Config.from_saved(json.loads(metadata["config"])), int(metadata.get("step", 0))
    except (ValueError, TypeError) as err:
        raise InputError(f"checkpoint {path}: corrupt config or step in its metadata ({err})") from None
    _check_finite(tensors, f"checkpoint {path}")
    state = {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}
    return state, config, step


def save_train_state(path, state: dict) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_train_state(path) -> dict:
    """The dict written by save_train_state; a truncated or corrupt file raises InputError naming it."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError(f"training state {path}: no such file") from None
    except Exception as err:  # torch raises several types for a damaged zip/pickle
        raise InputError(f"training state {path}: truncated or corrupt ({type(err).__name__}: {err})") from None
    if not isinstance(state, dict) or not set(TRAIN_STATE_KEYS) <= set(state):
        found = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise InputError(f"training state {path}: expected a dict with keys {list(TRAIN_STATE_KEYS)}, found {found}")
    _check_finite(state["model"], f"training state {path}")
    return state


def _check_finite(tensors: dict, name: str) -> None:
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise InputError(f"{name}: NaN or inf in weights {bad[:3]} (corrupt file or diverged training)")
