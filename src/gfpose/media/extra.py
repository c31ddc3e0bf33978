"""The optional ``gfpose[video]`` extra: import one of its modules, or say exactly what to install;
keep mediapipe's native chatter off the terminal."""

from __future__ import annotations

import ctypes
import importlib
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from types import ModuleType

from gfpose.errors import InputError

INSTALL = 'pip install "gfpose[video]"'
# mediapipe's C++ info and warning lines: glog/absl "I0000 ..." and "W0000 ...", TensorFlow Lite's "INFO: ...",
# and absl's note that it was never initialised. Errors ("E", "F" lines) do not match.
NATIVE_CHATTER = re.compile(rb"[IW]\d{4} |INFO: |WARNING: All log messages before absl::InitializeLog\(\)")


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (cv2, mediapipe) or raise InputError naming the install command."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise InputError(f"{purpose} needs {module}, part of the video extra; install it with "
                         f"{INSTALL} (Python 3.10-3.12)") from e


def _flush_c_stdio() -> None:
    """fflush(NULL): write out every C stdio buffer (where the C library can be found)."""
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


@contextmanager
def quiet_native_logs():
    """Hold what native code writes to the process's stderr (fd 2) in the block, then pass it on
    without NATIVE_CHATTER lines; yields a text stream to the terminal's stderr for progress bars.
    Hold the whole detection, not each call: mediapipe's graph threads log when they please.
    mediapipe 0.10.21's C++ logging heeds neither GLOG_minloglevel, TF_CPP_MIN_LOG_LEVEL nor absl's
    verbosity (google-ai-edge/mediapipe#5737), hence the filter."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held, open(saved, "w", buffering=1, closefd=False) as console:
        os.dup2(held.fileno(), 2)
        try:
            yield console
        finally:
            sys.stderr.flush()
            _flush_c_stdio()  # C code's buffered stderr lands in the hold
            console.flush()
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            kept = b"".join(line for line in held if not NATIVE_CHATTER.match(line))
            with open(2, "wb", closefd=False) as stderr:
                stderr.write(kept)
