"""One line naming the machine a benchmark ran on, for its JSON and the report.

Speed depends on the CPU's matrix units (on an AMD EPYC with AVX-512 BF16 the network ran 3.7x
faster in bfloat16 than in float32), so the model name and those flags are recorded, not just the
architecture.
"""

import platform
from pathlib import Path

import torch

MATRIX_FLAGS = ("amx_bf16", "amx_int8", "avx512_bf16", "avx512_vnni", "avx2")


def cpu_model_and_flags() -> tuple[str, set[str]]:
    """The CPU's model name (with its family and model numbers, which tell apart the generations a
    virtual machine's bare "AMD EPYC" hides) and feature flags from /proc/cpuinfo; the architecture
    and no flags off Linux."""
    name, flags, numbers = platform.machine(), set(), {}
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and name == platform.machine():
                name = value.strip()
            elif key in ("cpu family", "model") and key not in numbers:
                numbers[key] = value.strip()
            elif key == "flags":
                flags = set(value.split())
    if len(numbers) == 2:
        name += f" family {numbers['cpu family']} model {numbers['model']}"
    return name, flags


def native_int8() -> bool:
    """Whether this CPU multiplies int8 matrices natively (AVX-512 VNNI or AMX); on AVX2 alone torch's
    int8 matmul (gfpose.quantize) measured some 60x slower than float32."""
    return bool({"avx512_vnni", "amx_int8"} & cpu_model_and_flags()[1])


def describe() -> str:
    """e.g. 'AMD EPYC (avx512_bf16, avx512_vnni, avx2), 2 threads'; the architecture alone off Linux."""
    name, flags = cpu_model_and_flags()
    present = ", ".join(flag for flag in MATRIX_FLAGS if flag in flags)
    return f"{name}{f' ({present})' if present else ''}, {torch.get_num_threads()} threads"
