"""Int8 residual blocks: exact where the numbers are representable, close to float32 elsewhere."""

import pytest
import torch
from torch import nn

from gfpose.config import ModelConfig
from gfpose.network import ScoreNet
from gfpose.quantize import Int8Linear, quantize_blocks
from gfpose.tasks import SamplerSettings


def test_int8_linear_is_exact_on_representable_values():
    """Integer weights and inputs whose rows each reach +-127 quantize with scale 1: the int32
    product is then the exact matrix product, a hand-checkable closed form."""
    torch.manual_seed(0)
    linear = nn.Linear(16, 8)
    weight = torch.randint(-100, 101, (8, 16)).float()
    weight[:, 0] = 127.0
    linear.weight.data.copy_(weight)
    x = torch.randint(-100, 101, (5, 16)).float()
    x[:, 3] = -127.0
    expected = x.double() @ weight.double().t() + linear.bias.detach().double()
    assert torch.allclose(Int8Linear(linear)(x).double(), expected, atol=1e-4)


def test_quantized_network_stays_close_to_float32():
    """Rounding to 1/254 of each row's range: the output moves by about a percent, not more."""
    torch.manual_seed(0)
    net = ScoreNet(ModelConfig(hidden=256, blocks=2, groups=8, dropout=0.0, time_embed_dim=32)).eval()
    x, cond = torch.randn(64, 17, 3), torch.randn(64, 17, 3)
    keep, is_3d = torch.rand(64, 17) > 0.3, torch.rand(64) > 0.5
    t = torch.tensor([0.3])
    with torch.inference_mode():
        reference = net(x, t, cond, keep, is_3d)
        quantized = quantize_blocks(net)(x, t, cond, keep, is_3d)
    relative = (quantized - reference).norm() / reference.norm()
    assert relative < 0.02
    assert isinstance(net.blocks[0].linear1, nn.Linear)  # the original is left as it was


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match="precision"):
        SamplerSettings(precision="fp16")
