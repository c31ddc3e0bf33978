"""The score network's fast paths compute the same function as the plain modules."""

import torch
from torch import nn

from gfpose.config import ModelConfig
from gfpose.network import ScoreNet, dropout, group_norm


def test_group_norm_equals_torch_group_norm():
    torch.manual_seed(0)
    norm = nn.GroupNorm(8, 64)
    nn.init.normal_(norm.weight)
    nn.init.normal_(norm.bias)
    h = torch.randn(32, 64) * 3 + 1
    assert torch.allclose(group_norm(h, norm), norm(h), atol=1e-5)


def test_shared_time_equals_per_row_time():
    """A (1,) time folds the time term into a bias; the same time given per row adds it per row."""
    torch.manual_seed(0)
    net = ScoreNet(ModelConfig(hidden=128, blocks=2, groups=8, dropout=0.0, time_embed_dim=32)).eval()
    x, cond = torch.randn(10, 17, 3), torch.randn(10, 17, 3)
    keep, is_3d = torch.rand(10, 17) > 0.3, torch.rand(10) > 0.5
    t = torch.tensor([0.37])
    shared = net(x, t, cond, keep, is_3d)
    per_row = net(x, t.expand(10), cond, keep, is_3d)
    assert torch.allclose(shared, per_row, atol=1e-5)


def test_cpu_dropout_is_bernoulli_with_inverted_scaling():
    """Each unit is kept with probability 1 - p (binomial bounds, every one of the four units a 64-bit
    draw feeds, so the last unit's missing top bit does not bias it), kept units are scaled by
    1 / (1 - p), the gradient is the same mask, and outside training it is the identity."""
    torch.manual_seed(0)
    p, rows = 0.1, 20_000
    h = torch.ones(rows, 64, requires_grad=True)
    out = dropout(h, p, training=True)
    kept = out != 0
    assert torch.allclose(out[kept], torch.full_like(out[kept], 1 / (1 - p)))
    n = kept.numel() // 4
    for lane in range(4):  # unit i takes bits 16 (i % 4) .. 16 (i % 4) + 14 of its draw
        rate = kept.reshape(-1)[lane::4].float().mean().item()
        assert abs(rate - (1 - p)) < 5 * (p * (1 - p) / n) ** 0.5
    out.sum().backward()
    assert torch.equal(h.grad, out.detach())
    x = torch.randn(5, 7)
    assert torch.equal(dropout(x, p, training=False), x)
    assert dropout(x.to(torch.bfloat16), p, training=True).dtype == torch.bfloat16
