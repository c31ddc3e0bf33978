"""PoseSet: a validated table of 3D poses (mm) with per-frame labels, one row per frame or view."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

from gfpose.errors import InputError
from gfpose.skeleton import NUM_JOINTS
from gfpose.validation import check_millimetres

SPLITS = ("train", "test")
EVERY_SPLIT = "all"  # the split of a row without a split label: it is in train and test alike
FRAME_KINDS = ("world", "camera")
_LABELS = ("action", "subject", "take", "split")


@dataclass
class PoseSet:
    """3D poses ``(N, 17, 3)`` float32 mm with labels ``(N,)``; ``split`` is ``'train'``, ``'test'``
    or ``'all'`` (a row in both, as in a file without split labels).

    ``frame_kind`` is ``'world'`` (+z up, any placement; cameras are placed virtually later) or
    ``'camera'`` (root-relative camera-frame poses, with ``keypoints_2d`` ``(N, 17, 2)`` px and
    ``image_size`` ``(N, 2)`` (w, h) px). ``extra`` holds further per-frame labels (e.g. style).
    Missing joints are NaN; a pose with every joint missing is an error.
    """

    poses_3d: np.ndarray
    action: np.ndarray
    subject: np.ndarray
    take: np.ndarray
    frame: np.ndarray
    split: np.ndarray
    keypoints_2d: np.ndarray | None = None
    image_size: np.ndarray | None = None
    frame_kind: str = "world"
    extra: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self):
        p = np.asarray(self.poses_3d, dtype=np.float32)
        if p.ndim != 3 or p.shape[1:] != (NUM_JOINTS, 3):
            raise InputError(f"poses_3d has shape {p.shape}; expected (N, {NUM_JOINTS}, 3) in mm")
        n = len(p)
        if np.isinf(p).any():
            raise InputError("poses_3d contains inf; expected finite mm (NaN only for missing joints)")
        empty = np.isnan(p).all(axis=(1, 2))
        if empty.any():
            raise InputError(f"poses_3d: {int(empty.sum())} of {n} poses are all NaN "
                             f"(first at row {int(np.argmax(empty))}); expected at least one joint each")
        check_millimetres(p, "poses_3d")
        self.poses_3d = p
        for name in _LABELS:
            setattr(self, name, self._column(name, getattr(self, name), n).astype(str))
        self.frame = self._column("frame", self.frame, n, np.int64)
        self.extra = {k: self._column(k, v, n) for k, v in self.extra.items()}
        bad = sorted(set(self.split) - {*SPLITS, EVERY_SPLIT})
        if bad:
            raise InputError(f"split has values {bad}; expected only {(*SPLITS, EVERY_SPLIT)}")
        if self.frame_kind not in FRAME_KINDS:
            raise InputError(f"frame_kind is {self.frame_kind!r}; expected one of {FRAME_KINDS}")
        if self.keypoints_2d is not None:
            self.keypoints_2d = np.asarray(self.keypoints_2d, dtype=np.float32)
            if self.keypoints_2d.shape != (n, NUM_JOINTS, 2):
                raise InputError(f"keypoints_2d has shape {self.keypoints_2d.shape}; "
                                 f"expected ({n}, {NUM_JOINTS}, 2) px")
        if self.image_size is not None:
            self.image_size = np.asarray(self.image_size, dtype=np.float32)
            if self.image_size.shape != (n, 2) or not (self.image_size > 0).all():
                raise InputError(f"image_size has shape {self.image_size.shape}; "
                                 f"expected ({n}, 2) positive (w, h) px")
        if self.frame_kind == "camera" and (self.keypoints_2d is None or self.image_size is None):
            raise InputError("frame_kind 'camera' needs keypoints_2d (N, 17, 2) and image_size (N, 2)")

    @staticmethod
    def _column(name: str, values, n: int, dtype=None) -> np.ndarray:
        a = np.asarray(values)
        if a.shape != (n,):
            raise InputError(f"{name} has shape {a.shape}; expected ({n},), one per pose")
        try:
            return a if dtype is None else a.astype(dtype)
        except (TypeError, ValueError, OverflowError):
            raise InputError(f"{name} holds {a[0]!r}; expected {np.dtype(dtype).name} values") from None

    def __len__(self) -> int:
        return len(self.poses_3d)

    def subset(self, index) -> PoseSet:
        """Rows picked by an index array, slice or boolean mask ``(N,)``."""
        if isinstance(index, np.ndarray) and index.dtype == bool and index.shape != (len(self),):
            raise InputError(f"subset mask has shape {index.shape}; expected ({len(self)},)")
        picked = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "extra":
                value = {k: v[index] for k, v in value.items()}
            elif isinstance(value, np.ndarray):
                value = value[index]
            picked[f.name] = value
        return PoseSet(**picked)

    def select_split(self, name: str) -> PoseSet:
        """Rows of split ``'train'`` or ``'test'``, together with the rows of split ``'all'``."""
        if name not in SPLITS:
            raise InputError(f"split {name!r} unknown; expected one of {SPLITS}")
        return self.subset((self.split == name) | (self.split == EVERY_SPLIT))

    def every(self, k: int) -> PoseSet:
        """Every k-th row of each take (rows 0, k, 2k, ... in stored order within a take)."""
        if int(k) != k or k < 1:
            raise InputError(f"every(k): k is {k!r}; expected a positive integer")
        _, take_id = np.unique(self.take, return_inverse=True)
        order = np.argsort(take_id, kind="stable")
        counts = np.bincount(take_id)
        rank = np.empty(len(self), dtype=np.int64)
        rank[order] = np.arange(len(self)) - np.repeat(np.cumsum(counts) - counts, counts)
        return self.subset(rank % int(k) == 0)


def concat(sets: list[PoseSet], repeats: list[int] | None = None) -> PoseSet:
    """One PoseSet of several (same frame kind), each ``repeats[i]`` times (default once): a small
    set repeated is drawn that much more often in training. Extra labels common to all are kept."""
    repeats = repeats or [1] * len(sets)
    kinds = {s.frame_kind for s in sets}
    if len(kinds) != 1:
        raise InputError(f"cannot combine pose sets of frame kinds {sorted(kinds)}; use world-frame sets only "
                         "or camera-frame sets only")
    if any(int(r) != r or r < 1 for r in repeats):
        raise InputError(f"repeats {repeats}: expected positive integers")
    index = [np.tile(np.arange(len(s)), int(r)) for s, r in zip(sets, repeats)]
    parts = [s.subset(i) for s, i in zip(sets, index)]
    columns = {f.name: np.concatenate([getattr(p, f.name) for p in parts])
               for f in fields(PoseSet) if isinstance(getattr(parts[0], f.name), np.ndarray)}
    shared = set.intersection(*(set(p.extra) for p in parts))
    return PoseSet(**columns, frame_kind=kinds.pop(),
                   extra={k: np.concatenate([p.extra[k] for p in parts]) for k in sorted(shared)})
