"""Evaluation metrics of Sec. 5.1: MPJPE (Protocols #1 and #2), minMPJPE, PCK@150mm, AUC, tables.

Every metric returns one value per pose (or per input, for hypotheses), never a dataset
mean, so callers can stream chunks and concatenate; `per_action_table` does the averaging.
Poses are ``(..., J, 3)`` millimetres, root (pelvis) at joint 0; batch dimensions broadcast.
"""

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from gfpose.errors import InputError
from gfpose.geometry import bone_vectors, check_pose_pair, check_poses, procrustes_align, root_center

PCK_THRESHOLD = 150.0  # mm, the 3DHP convention (Table 2)
AUC_THRESHOLDS = tuple(range(0, 151, 5))  # mm, 0:5:150 as in the 3DHP evaluation script


def joint_errors(pred: torch.Tensor, gt: torch.Tensor, protocol: int = 1) -> torch.Tensor:
    """Per-joint Euclidean error ``(..., J)`` in mm after root-centring (1) or Procrustes (2)."""
    check_pose_pair(pred, gt, "pred", "gt")
    if protocol == 1:
        return torch.linalg.vector_norm(root_center(pred) - root_center(gt), dim=-1)
    if protocol == 2:
        aligned = procrustes_align(pred, gt)
        return torch.linalg.vector_norm(aligned - gt.to(aligned.dtype), dim=-1)
    raise InputError(f"protocol must be 1 (root-aligned) or 2 (Procrustes-aligned), got {protocol!r}")


def mpjpe(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Protocol #1 MPJPE ``(...)`` mm: mean joint error after aligning the root joints (Sec. 5.1)."""
    return joint_errors(pred, gt, protocol=1).mean(-1)


def p_mpjpe(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Protocol #2 MPJPE ``(...)`` mm: mean joint error after rigid (similarity) alignment (Sec. 5.1)."""
    return joint_errors(pred, gt, protocol=2).mean(-1)


def bone_length_error(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of the 16 bone lengths ``(...)`` mm: whether a prediction keeps the
    subject's proportions, independent of its pose."""
    check_pose_pair(pred, gt, "pred", "gt")
    lengths = [torch.linalg.vector_norm(bone_vectors(x)[..., 1:, :], dim=-1) for x in (pred, gt)]
    return (lengths[0] - lengths[1]).abs().mean(-1)


def _check_hypotheses(hyps, gt) -> torch.Tensor:
    """Validate ``hyps (N, S, J, 3)`` against ``gt (N, J, 3)``; return gt as ``(N, 1, J, 3)``."""
    check_poses(hyps, "hypotheses")
    check_poses(gt, "gt")
    if hyps.ndim != 4 or gt.ndim != 3 or hyps.shape[0] != gt.shape[0] or hyps.shape[2:] != gt.shape[1:]:
        raise InputError(f"hypotheses must be (N, S, J, 3) and gt (N, J, 3) with equal N and J, "
                         f"got {tuple(hyps.shape)} and {tuple(gt.shape)}")
    return gt.unsqueeze(1)


def hypothesis_errors(hyps: torch.Tensor, gt: torch.Tensor, protocol: int = 1) -> torch.Tensor:
    """MPJPE of every hypothesis, ``(N, S)`` mm, under Protocol #1 or #2."""
    return joint_errors(hyps, _check_hypotheses(hyps, gt), protocol).mean(-1)


def min_mpjpe(hyps: torch.Tensor, gt: torch.Tensor, protocol: int = 1) -> torch.Tensor:
    """minMPJPE ``(N,)``: error of the best of S hypotheses per input (Sec. 5.1, Table 1)."""
    return hypothesis_errors(hyps, gt, protocol).amin(-1)


def mean_mpjpe(hyps: torch.Tensor, gt: torch.Tensor, protocol: int = 1) -> torch.Tensor:
    """Mean MPJPE over the S hypotheses of each input, ``(N,)`` mm."""
    return hypothesis_errors(hyps, gt, protocol).mean(-1)


def best_hypothesis(hyps: torch.Tensor, gt: torch.Tensor, protocol: int = 1) -> torch.Tensor:
    """The hypothesis with the lowest MPJPE under ``protocol`` for each input: ``(N, J, 3)``."""
    best = hypothesis_errors(hyps, gt, protocol).argmin(-1)
    return hyps[torch.arange(hyps.shape[0], device=hyps.device), best]


def pck(pred: torch.Tensor, gt: torch.Tensor, threshold: float = PCK_THRESHOLD,
        joints: Sequence[int] | None = None) -> torch.Tensor:
    """Share of joints with root-centred error below ``threshold`` mm, ``(...)`` in [0, 1].

    3DHP convention (Table 2): strict ``error < threshold``, as in the official evaluation
    script. ``joints`` selects the joints counted (default all J, root included: it is
    always correct after root-centring; the official script counts 14 of its 17 joints).
    """
    err = joint_errors(pred, gt, protocol=1)
    if joints is not None:
        err = err[..., list(joints)]
    return (err < threshold).to(err.dtype).mean(-1)


def auc(pred: torch.Tensor, gt: torch.Tensor, thresholds: Sequence[float] = AUC_THRESHOLDS,
        joints: Sequence[int] | None = None) -> torch.Tensor:
    """Area under the PCK curve ``(...)`` in [0, 1]: mean PCK over ``thresholds`` (0:5:150 mm).

    As in the 3DHP script the threshold 0 counts too, so a perfect prediction scores 30/31.
    """
    err = joint_errors(pred, gt, protocol=1)
    if joints is not None:
        err = err[..., list(joints)]
    t = torch.as_tensor(thresholds, dtype=err.dtype, device=err.device)
    if t.ndim != 1 or t.numel() == 0:
        raise InputError(f"thresholds must be a non-empty 1-D sequence of mm values, got shape {tuple(t.shape)}")
    return (err.unsqueeze(-1) < t).to(err.dtype).mean((-2, -1))


def pck_best(hyps: torch.Tensor, gt: torch.Tensor, threshold: float = PCK_THRESHOLD,
             joints: Sequence[int] | None = None) -> torch.Tensor:
    """PCK ``(N,)`` of the best hypothesis, chosen by Protocol #1 MPJPE as in multi-hypothesis 3DHP work."""
    return pck(best_hypothesis(hyps, gt), gt, threshold, joints)


def auc_best(hyps: torch.Tensor, gt: torch.Tensor, thresholds: Sequence[float] = AUC_THRESHOLDS,
             joints: Sequence[int] | None = None) -> torch.Tensor:
    """AUC ``(N,)`` of the best hypothesis, chosen by Protocol #1 MPJPE (see `pck_best`)."""
    return auc(best_hypothesis(hyps, gt), gt, thresholds, joints)


def _to_numpy(values) -> np.ndarray:
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    return np.asarray(values)


def per_action_table(values: Mapping[str, object], actions) -> dict[str, dict[str, float]]:
    """Per-action means of per-sample metrics, plus 'Avg' = mean of the per-action means (Table 1).

    ``values`` maps a row name (e.g. "P1", "P2") to per-sample values ``(N,)`` (numpy or torch);
    ``actions`` holds the N action names. Actions are sorted by name; returns
    ``{row: {action: mean, ..., "Avg": mean over actions}}``.
    """
    acts = _to_numpy(actions).astype(str)
    if acts.ndim != 1:
        raise InputError(f"actions must be a 1-D sequence of names, got shape {acts.shape}")
    names = sorted(set(acts.tolist()))
    table = {}
    for row, vals in values.items():
        v = _to_numpy(vals).astype(np.float64)
        if v.shape != acts.shape:
            raise InputError(f"values[{row!r}] must have shape {acts.shape} (one per action label), got {v.shape}")
        means = {a: float(v[acts == a].mean()) for a in names}
        means["Avg"] = float(np.mean(list(means.values()))) if names else float("nan")
        table[row] = means
    return table


def format_table(rows: Mapping[str, Mapping[str, float]], title: str = "", digits: int = 1,
                 col_width: int = 6) -> str:
    """Fixed-width text table: one line per row, actions as columns (names cut to ``col_width``), Avg last."""
    cols = [c for c in dict.fromkeys(c for r in rows.values() for c in r) if c != "Avg"]
    if any("Avg" in r for r in rows.values()):
        cols.append("Avg")
    cells = {name: [f"{r[c]:.{digits}f}" if c in r else "-" for c in cols] for name, r in rows.items()}
    width = max([col_width, *(len(x) for line in cells.values() for x in line)])
    first = max(len(name) for name in rows)
    lines = [title] if title else []
    lines += ["".ljust(first) + "".join(" " + c[:col_width].rjust(width) for c in cols)]
    lines += [name.ljust(first) + "".join(" " + x.rjust(width) for x in line) for name, line in cells.items()]
    return "\n".join(lines)


def format_by_action(table: Mapping[str, Mapping[str, float]], title: str = "", digits: int = 1) -> str:
    """A per_action_table printed with actions as rows (full names) and metrics as columns."""
    actions = dict.fromkeys(a for values in table.values() for a in values if a != "Avg")
    rows = {a: {metric: values[a] for metric, values in table.items() if a in values} for a in [*actions, "Avg"]}
    return format_table(rows, title=title, digits=digits, col_width=max(6, *(len(m) for m in table)))
