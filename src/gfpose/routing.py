"""Two trained models behind one Sampler: each row goes to the model trained for its kind of gap.

The paper trains one model per task (Sec. 5.2): HPJ-010 for estimation, which only ever sees 2D
conditions with whole body parts hidden; the unified model (App. F, U3D) also sees single joints
hidden, 3D conditions and the empty one. A 2D condition whose gaps are whole parts (or none) goes to
the estimation model; every other row (a cut part, e.g. one occluded wrist; 3D; empty) to the
unified one. Both models share the SDE and the data scale, so the rows' scores form one field and
every sampler, imputation and temporal guidance works unchanged.
"""

import torch

from gfpose.conditions import Condition
from gfpose.errors import InputError
from gfpose.masking import gaps_are_whole_parts
from gfpose.tasks import Sampler


def routes_to_estimation(cond: Condition) -> torch.Tensor:
    """(B,) bool: the rows the estimation model was trained for (2D, whole parts hidden at most)."""
    return ~cond.is_3d & gaps_are_whole_parts(cond.keep)


class RoutedScoreModel:
    """The score of each row from the estimation model or the unified one (routes_to_estimation)."""

    def __init__(self, estimation, unified):
        self.estimation, self.unified, self.sde = estimation, unified, unified.sde

    def score(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        return self.score_fn(cond)(x, t)

    def denoised(self, x: torch.Tensor, t: torch.Tensor, cond: Condition) -> torch.Tensor:
        """The posterior mean E[x(0) | x(t) = x, c] (Tweedie) from the routed score."""
        t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
        return self.sde.denoised_from_score(x, t, self.score(x, t, cond))

    def score_fn(self, cond: Condition):
        """s(x, t) for the samplers, the condition bound and its rows routed once."""
        to_estimation = routes_to_estimation(cond)
        if to_estimation.all() or not to_estimation.any():
            return (self.estimation if to_estimation.all() else self.unified).score_fn(cond)
        shares = [(model, rows, cond[rows]) for model, rows in ((self.estimation, to_estimation),
                                                                 (self.unified, ~to_estimation))]

        def score(x, t):
            t = torch.as_tensor(t, device=x.device, dtype=torch.float32).reshape(-1)
            out = torch.empty_like(x)
            for model, rows, share in shares:
                out[rows] = model.score(x[rows], t if len(t) == 1 else t[rows], share)
            return out
        return score


class RoutedSampler(Sampler):
    """A Sampler whose score model routes rows between an estimation and a unified model."""

    def __init__(self, estimation: Sampler, unified: Sampler):
        if (estimation.sde.beta_min, estimation.sde.beta_max, estimation.data_scale) != \
                (unified.sde.beta_min, unified.sde.beta_max, unified.data_scale):
            raise InputError("the estimation and unified models must share the SDE (beta_min, beta_max) "
                             "and the data scale to be sampled together")
        super().__init__(unified.net, unified.sde, unified.data_scale, unified.settings, config=unified.config)
        self.estimation, self.unified = estimation, unified

    def with_settings(self, **changes) -> "RoutedSampler":
        return RoutedSampler(self.estimation.with_settings(**changes), self.unified.with_settings(**changes))

    def to(self, device: torch.device) -> "RoutedSampler":
        return RoutedSampler(self.estimation.to(device), self.unified.to(device))

    def _build_model(self) -> RoutedScoreModel:
        return RoutedScoreModel(self.estimation.model(), self.unified.model())
