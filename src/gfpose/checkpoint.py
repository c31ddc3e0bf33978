"""Checkpoints: model weights + the config that built them in one safetensors file, and the
training state (raw weights, EMA, optimizer, step, RNG) for resuming. All writes are atomic:
a temporary file in the same folder, then os.replace, so the last good file always loads.
"""

import json
import os
import tempfile
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from safetensors import safe_open

from gfpose.config import Config
from gfpose.errors import InputError

FORMAT = "gfpose-1"


def atomic_write(path, write_fn) -> None:
    """Call write_fn(tmp_path) and move the result over `path` only once it is complete."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write_fn(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_model(path, state_dict: dict, config: Config, step: int, dtype=None) -> None:
    """Weights (optionally cast, e.g. to float16) with config and step in the file's metadata."""
    tensors = {k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v).detach().cpu().contiguous()
               for k, v in state_dict.items()}
    metadata = {"format": FORMAT, "config": config.to_json(), "step": str(step)}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=metadata))


def load_model(path):
    """(state_dict in float32, Config, step) from a file written by save_model."""
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
    config = Config.from_dict(json.loads(metadata["config"]))
    state = {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}
    return state, config, int(metadata.get("step", 0))


def save_train_state(path, state: dict) -> None:
    atomic_write(path, lambda tmp: torch.save(state, tmp))


def load_train_state(path) -> dict:
    """The dict written by save_train_state; a truncated or corrupt file raises InputError naming it."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise InputError(f"training state {path}: no such file") from None
    except Exception as err:  # torch raises several types for a damaged zip/pickle
        raise InputError(f"training state {path}: truncated or corrupt ({type(err).__name__}: {err})") from None
