"""Training and evaluation data named by a spec string: 'bundled', a pose npz or Human3.6M's
data_3d_h36m.npz, several joined by commas, each optionally repeated N times per epoch (``*N``)."""

from pathlib import Path

from gfpose.errors import InputError

DATA_HELP = ("'bundled', a pose npz, or data_3d_h36m.npz; several joined by commas, each optionally "
             "repeated N times per epoch with *N (e.g. bundled,cmu17.npz*8)")


def _load_one(spec: str, keypoints_2d: str | None):
    from gfpose.data.bandai import load_bundled
    from gfpose.data.h36m import load_h36m
    from gfpose.data.posefile import load_pose_npz
    if spec == "bundled":
        return load_bundled()
    if Path(spec).name.startswith("data_3d_h36m"):
        return load_h36m(spec, keypoints_2d)
    return load_pose_npz(spec)


def open_dataset(spec: str, split: str = "all", every: int = 1, keypoints_2d: str | None = None):
    """The PoseSet of a DATA_HELP spec (several joined by gfpose.data.poseset.concat), restricted to
    `split` ('train', 'test' or 'all') and every `every`-th pose; keypoints_2d: VideoPose3D's 2D for
    Human3.6M."""
    from gfpose.data.poseset import concat
    names, repeats = [], []
    for part in spec.split(","):
        name, star, count = part.partition("*")
        if star and not count.isdigit():
            raise InputError(f"data {part!r}: expected NAME or NAME*N with N a positive integer")
        names.append(name)
        repeats.append(int(count) if star else 1)
    sets = [_load_one(name, keypoints_2d) for name in names]
    data = sets[0] if len(sets) == 1 and repeats[0] == 1 else concat(sets, repeats)
    if split != "all":
        data = data.select_split(split)
    if len(data) == 0:
        raise InputError(f"data {spec!r} has no poses in split {split!r}")
    return data.every(every) if every > 1 else data
