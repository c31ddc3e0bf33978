"""The EDM preconditioning (gfpose.parametrisation) against closed forms.

For data x(0) ~ N(0, d^2 I) the marginal of x(t) is N(0, (alpha^2 d^2 + sigma^2) I), whose score is
-x / (alpha^2 d^2 + sigma^2); the optimal denoiser is c_skip x / alpha, so a network that outputs
zeros must give exactly that score. Any network's loss must be its denoising error weighted by
1/s^2 + 1/d^2 (s = sigma / alpha), the paper's weight 1/s^2 plus a constant.
"""

import pytest
import torch

from gfpose.conditions import Condition
from gfpose.config import ModelConfig
from gfpose.parametrisation import EDMPreconditioning, NoisePrediction, ScoreModel
from gfpose.sde import SubVPSDE

D = 2.6


class LinearNet:
    """A fixed random linear map of the (scaled) pose: a stand-in network with no training."""

    def __init__(self, seed: int = 0):
        self.weight = torch.randn(51, 51, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) / 8

    def __call__(self, x, t, values, keep, is_3d, t_index=None):
        return (x.reshape(x.shape[0], -1) @ self.weight).reshape(x.shape)


@pytest.mark.parametrize("t", [1e-3, 0.05, 0.3, 0.7, 1.0])
def test_zero_output_is_the_exact_score_of_gaussian_data(t):
    sde = SubVPSDE()
    model = EDMPreconditioning(lambda x, *rest: torch.zeros_like(x), sde, torch.float64, sigma_data=D)
    x = torch.randn(4, 17, 3, dtype=torch.float64)
    tt = torch.tensor([t], dtype=torch.float64)
    variance = sde.alpha(tt) ** 2 * D**2 + sde.sigma(tt) ** 2
    score = model.score(x, torch.tensor([t]), Condition.empty(4, 17))
    torch.testing.assert_close(score, -x / variance, rtol=1e-5, atol=0)


@pytest.mark.parametrize("sigma_data", [None, D], ids=["noise", "edm"])
def test_loss_is_the_weighted_denoising_error_of_the_score(sigma_data):
    """The loss path and the score path describe one model: loss = ||D - x0||^2 w(t), with
    D = (x + sigma^2 s) / alpha from `score`, w = 1/s^2 (noise, Eq. 10) or 1/s^2 + 1/d^2 (edm)."""
    sde = SubVPSDE()
    model = (NoisePrediction(LinearNet(), sde, torch.float64) if sigma_data is None
             else EDMPreconditioning(LinearNet(), sde, torch.float64, sigma_data))
    gen = torch.Generator().manual_seed(1)
    x0 = 3 * torch.randn(1, 17, 3, generator=gen, dtype=torch.float64)
    z = torch.randn(1, 17, 3, generator=gen, dtype=torch.float64)
    cond = Condition.empty(1, 17)
    for t in (0.01, 0.2, 0.6, 1.0):
        tt = torch.tensor([t], dtype=torch.float64)
        xt = sde.perturb(x0, tt, z)
        denoised = model.denoised(xt, tt, cond)
        level2 = (sde.sigma(tt) / sde.alpha(tt)) ** 2
        weight = 1 / level2 + (0 if sigma_data is None else 1 / sigma_data**2)
        expected = ((denoised - x0) ** 2).sum() * weight
        # rel=1e-5: the score casts t to float32
        assert model.loss(x0, cond, tt, z).item() == pytest.approx(expected.item(), rel=1e-5)


def test_for_config_picks_the_parametrisation():
    net = LinearNet()
    assert type(ScoreModel.for_config(net, ModelConfig(preconditioning="noise"))) is NoisePrediction
    assert ModelConfig().preconditioning == "edm"  # the default (docs/RESULTS.md, "Recipes")
    edm = ScoreModel.for_config(net, ModelConfig(preconditioning="edm", sigma_data=3.0, beta_max=10.0))
    assert type(edm) is EDMPreconditioning and edm.sigma_data == 3.0 and edm.sde.beta_max == 10.0
    with pytest.raises(ValueError, match="preconditioning"):
        ModelConfig(preconditioning="v")


def test_saved_configs_without_the_key_mean_the_paper_parametrisation():
    """Models saved before `preconditioning` existed predicted noise, whatever today's default."""
    from gfpose.config import Config
    assert Config.from_saved({"model": {"hidden": 64}}).model.preconditioning == "noise"
    assert Config.from_saved({"model": {"preconditioning": "edm"}}).model.preconditioning == "edm"
    assert Config.from_dict({"model": {}}).model.preconditioning == "edm"
