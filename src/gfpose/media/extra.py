"""The optional ``gfpose[video]`` extra: import one of its modules, or say exactly what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from gfpose.errors import InputError

INSTALL = 'pip install "gfpose[video]"'


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (cv2, mediapipe) or raise InputError naming the install command."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise InputError(f"{purpose} needs {module}, part of the video extra; install it with "
                         f"{INSTALL} (Python 3.10-3.12)") from e
