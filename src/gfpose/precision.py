"""The network's precision for sampling, and the one function that prepares a network for it.

fp32: the trained weights; bf16: a bfloat16 copy; int8: the residual blocks' matmuls in int8
(gfpose.quantize, a CPU path, fastest under torch.compile); auto: bf16 where the hardware multiplies
bfloat16 natively (a CUDA GPU with bf16, a CPU with AVX-512 BF16 or AMX, which oneDNN reports), fp32
elsewhere. The choice matters: on the project's AVX-512 BF16 machine bf16 is ~2x fp32, while on an
AVX2-only CPU torch falls back to a scalar bfloat16 matmul some 30x slower than fp32. The SDE
arithmetic around the network always stays float32.
"""

import copy
import warnings

import torch

from gfpose.errors import InputError
from gfpose.quantize import quantize_blocks

PRECISIONS = ("auto", "fp32", "bf16", "int8")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "int8": torch.float32}


def native_bf16(device: torch.device) -> bool:
    """Whether `device` multiplies bfloat16 matrices natively (fast), not by emulation."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    is_supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    return bool(is_supported()) if is_supported is not None else False


def resolve_precision(precision: str, device: torch.device) -> str:
    """'auto' -> 'bf16' or 'fp32' for this device; the others as they are (checked)."""
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "auto":
        return "bf16" if native_bf16(device) else "fp32"
    if precision == "int8" and device.type != "cpu":
        raise InputError("precision int8 is a CPU path (torch._int_mm); use bf16 on a GPU")
    return precision


def prepare_network(net: torch.nn.Module, precision: str, compile: bool = False):
    """The network to call for sampling in `precision` (resolved, not 'auto'): the net itself, a
    bfloat16 copy or an int8 copy; wrapped by torch.compile when asked, with eager fallback."""
    prepared = {"fp32": lambda: net, "bf16": lambda: copy.deepcopy(net).to(torch.bfloat16),
                "int8": lambda: quantize_blocks(net)}[precision]()
    return CompiledWithFallback(prepared) if compile else prepared


class CompiledWithFallback:
    """torch.compile of a network that falls back to the eager network, once and for good, when
    compilation fails (it fails lazily, at the first call: no C++ toolchain, an unsupported op)."""

    def __init__(self, net):
        self.eager = net
        self.compiled = torch.compile(net)

    def __call__(self, *args):
        if self.compiled is not None:
            try:
                return self.compiled(*args)
            except Exception as err:
                warnings.warn(f"torch.compile failed ({type(err).__name__}); using the eager network")
                self.compiled = None
        return self.eager(*args)
