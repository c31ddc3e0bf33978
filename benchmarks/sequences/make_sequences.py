"""Make the committed sequence test set: whole test takes at their fixed capture rate.

The bundled set (gfpose.data.bandai) drops frames that barely move, so it is not uniform in time.
This script reads the Bandai BVH takes again, every frame (30 fps), for a subset of the bundled
*test* takes (the same split: the take names come from the bundled file's `split` labels), and adds
the CMU test takes of benchmarks/data/cmu17.npz (24 fps, ordered by `frame`). Poses are world
frame (+z up), root-relative, mm, float32, with the world position of the root (pelvis) of every
frame in `root_mm` (N, 3) (the floor at z = 0 for CMU; Bandai's floor as its capture set it), so
the global path (foot contact, foot skate: gfpose.sequences.contacts) can be rebuilt as
poses_3d + root_mm. Written as a pose npz (gfpose.data.posefile) with the per-frame labels `fps`
and `source` ('bandai' or 'cmu'):

    python benchmarks/sequences/make_sequences.py [--bvh ../shared/data/bandai-namco-motion/bvh.tar.xz]

Subset of the 315 Bandai test takes: every set-1 test take (24: bow, bye, byebye, call, dash,
guide, punch, run, slash, walk and its side/back variants) and the first test take (by name) of
each set-2 content (10). Set-1 takes are long and start and end at rest: a take longer than
MAX_FRAMES keeps its MAX_FRAMES consecutive frames that move most (largest summed joint speed).
"""

from __future__ import annotations

import argparse
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from gfpose.data.bandai import ATTRIBUTION, load_bundled, parse_take_name
from gfpose.data.posefile import load_pose_npz, save_pose_npz
from gfpose.data.rigs import BANDAI_RIG
from gfpose.geometry import root_center

ROOT = Path(__file__).resolve().parents[2]
BANDAI_FPS = 30.0
CMU_FPS = 24.0
MAX_FRAMES = 300  # per take: 10 s at 30 fps


def bandai_test_takes() -> list[str]:
    """The subset of the bundled test takes (module docstring), sorted by name."""
    test = sorted(set(load_bundled().select_split("test").take))
    first_of_set_2 = {}
    for name in test:
        source, content, _ = parse_take_name(Path(name + ".bvh"))
        if source == "dataset-2":
            first_of_set_2.setdefault(content, name)
    return sorted([n for n in test if n.startswith("dataset-1_")] + list(first_of_set_2.values()))


def most_moving_window(poses: np.ndarray, length: int = MAX_FRAMES) -> slice:
    """The `length` consecutive frames of (F, 17, 3) root-relative poses with the largest summed joint speed."""
    if len(poses) <= length:
        return slice(0, len(poses))
    speed = np.linalg.norm(np.diff(poses, axis=0), axis=-1).sum(axis=1)
    start = int(np.argmax(np.convolve(speed, np.ones(length - 1), mode="valid")))
    return slice(start, start + length)


def extract_takes(archive: Path, names: list[str], dest: Path) -> dict[str, Path]:
    """The BVH files of `names` from the archive (or an unpacked folder) -> {name: path}."""
    if archive.is_dir():
        found = {p.stem: p for p in archive.rglob("dataset-*_*.bvh") if p.stem in names}
    else:
        wanted = set(names)
        with tarfile.open(archive) as tar:
            members = [m for m in tar if m.isfile() and Path(m.name).stem in wanted and m.name.endswith(".bvh")]
            tar.extractall(dest, members=members, filter="data")
        found = {Path(m.name).stem: dest / m.name for m in members}
    missing = sorted(set(names) - set(found))
    if missing:
        raise SystemExit(f"{archive}: takes {missing[:5]} not found")
    return found


def cmu_test_takes(path: Path) -> list[tuple[str, str, np.ndarray]]:
    """(take name, action, world poses in frame order) of every CMU test take."""
    cmu = load_pose_npz(path).select_split("test")
    takes = []
    for action, take in sorted(set(zip(cmu.action, cmu.take))):
        rows = np.flatnonzero((cmu.action == action) & (cmu.take == take))
        rows = rows[np.argsort(cmu.frame[rows])]
        takes.append((f"cmu_{action}_{take}", action, cmu.poses_3d[rows]))
    return takes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bvh", type=Path, default=ROOT.parent / "shared/data/bandai-namco-motion/bvh.tar.xz",
                        help="the Bandai BVH archive or its unpacked folder")
    parser.add_argument("--cmu", type=Path, default=ROOT / "benchmarks/data/cmu17.npz")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/data/sequences.npz")
    args = parser.parse_args()

    from gfpose.data.bvh import load_bvh  # bvhio only when converting

    takes = []  # (name, action, source, fps, world poses)
    names = bandai_test_takes()
    with tempfile.TemporaryDirectory() as tmp:
        for name, path in sorted(extract_takes(args.bvh, names, Path(tmp)).items()):
            content = parse_take_name(path)[1]
            world = load_bvh(path, BANDAI_RIG)
            takes.append((name, content, "bandai", BANDAI_FPS, world[most_moving_window(root_center(world))]))
    takes += [(name, action, "cmu", CMU_FPS, poses) for name, action, poses in cmu_test_takes(args.cmu)]

    columns = {"poses_3d": [], "root_mm": [], "take": [], "action": [], "source": [], "fps": [], "frame": []}
    for name, action, source, fps, world in takes:
        count = len(world)
        for key, value in (("poses_3d", root_center(world).astype(np.float32)),
                           ("root_mm", world[:, 0].astype(np.float32)), ("frame", np.arange(count)),
                           ("take", np.full(count, name)), ("action", np.full(count, action)),
                           ("source", np.full(count, source)), ("fps", np.full(count, fps, np.float32))):
            columns[key].append(value)
    data = {k: np.concatenate(v) for k, v in columns.items()}
    count = len(data["frame"])
    save_pose_npz(args.out, **data, subject=np.full(count, "test"), split=np.full(count, "test"), up_axis="z",
                  attribution=ATTRIBUTION + " CMU takes: CMU Graphics Lab Motion Capture Database, mocap.cs.cmu.edu.")
    for source in ("bandai", "cmu"):
        rows = data["source"] == source
        print(f"{source}: {len(set(data['take'][rows]))} takes, {rows.sum()} frames")
    print(f"wrote {args.out} ({args.out.stat().st_size / 2**20:.2f} MB)")


if __name__ == "__main__":
    main()
