"""Int8 inference for the score network's residual blocks, the four width x width matmuls that
take most of a network evaluation (App. C).

Weights are quantized once, symmetric per output channel; activations on the fly, symmetric per
row; the int32 product (torch._int_mm, the int8 matrix kernel that torchao itself calls) is rescaled
in float32. The group norm after each matmul absorbs most of the rounding: on the shipped model the
network output moves by 0.3 % (bfloat16: 0.3 %). Worth it only under torch.compile, which fuses the
quantization into the neighbouring element-wise work: in benchmarks/sampling.py on two AMD EPYC
cores, int8 + compile draws 4,805 hypotheses/s against 4,042 for bfloat16 + compile, while eager
int8 is slower than eager bfloat16. On the project's earlier (AMX) machine, torchao's int8 dynamic
quantization took 133 ms per 4096-row forward against 74 ms for this module, hence this small module.
"""

import copy

import torch
from torch import nn

INT8_MAX = 127.0


def symmetric_scale(values: torch.Tensor) -> torch.Tensor:
    """Per-row scale mapping each row's largest magnitude to 127, (R, C) -> (R, 1) float32."""
    return values.abs().amax(dim=1, keepdim=True).float().clamp_min(1e-12) / INT8_MAX


class Int8Linear(nn.Module):
    """y = x W^T + b with int8 W (per output channel) and int8 x (per row); float32 out."""

    def __init__(self, linear: nn.Linear):
        super().__init__()
        weight = linear.weight.detach().float()
        scale = symmetric_scale(weight)
        self.register_buffer("weight_t", (weight / scale).round().to(torch.int8).t().contiguous())
        self.register_buffer("weight_scale", scale.reshape(1, -1))
        self.register_buffer("bias", linear.bias.detach().float())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        rows = x.reshape(-1, x.shape[-1])
        scale = symmetric_scale(rows)
        quantized = (rows.float() / scale).round().to(torch.int8)
        y = torch._int_mm(quantized, self.weight_t).float() * scale * self.weight_scale + self.bias
        return y.reshape(*x.shape[:-1], -1)


def quantize_blocks(net: nn.Module) -> nn.Module:
    """A float32 copy of the ScoreNet with every residual block's two matmuls in int8."""
    quantized = copy.deepcopy(net).float()
    for block in quantized.blocks:
        block.linear1 = Int8Linear(block.linear1)
        block.linear2 = Int8Linear(block.linear2)
    return quantized
