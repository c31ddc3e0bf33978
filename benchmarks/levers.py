"""What each lever of the detector recipe does alone (issue 28): the recipe (`--config detector`) trained
10,000 steps from the mocap estimation model (the last 2,000 decayed), once whole and once without each
lever, every run scored on the real footage (benchmarks/footage/monocular_vs_reference.py, both clips),
GT 2D (benchmarks/cross_dataset.py: the bundled test takes and the HDM05 test actors, S = 50) and
bone lengths (benchmarks/bone_lengths.py, "bundled as H36M"). Without the derived-joint lever
(model.joints = mocap) the model reads a detector's 2D as if its hips, thorax and head sat where the
mocap rigs put them, and is scored on its own joints' GT 2D.

    python benchmarks/levers.py                 # print the training and scoring commands of every run
    python benchmarks/levers.py --collect runs  # runs/eval/lever_<name>_*.json -> docs/results/levers.json
                                                # (runs without scoring JSONs keep their figures there)
"""

import argparse
import json
import shlex
import statistics
from pathlib import Path

from gfpose.atomic import atomic_write

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("--set", "train.steps=10000", "--set", "train.decay_steps=2000")
LEVERS = {
    "full": ((), "whole recipe"),
    "no_wide_cameras": (("--set", "train.wide_cameras=0"), "upright cameras"),
    "no_skeleton_augment": (("--set", "train.skeleton_augment=0", "--set", "train.mirror=0"),
                            "no new proportions"),
    "no_new_data": (("--data", "bundled,benchmarks/data/cmu17.npz*8"), "no HDM05 / CMU BVH"),
    "mocap_joints": (("--set", "model.joints=mocap"), "mocap joints"),
}
HYPOTHESES = 50
FLOOR_ACTIONS = ("depositFloorR", "lieDownFloor", "squat1Reps")


def commands(name: str, runs: Path) -> list[str]:
    """The training command of one lever run and the scoring commands of its model."""
    overrides, _ = LEVERS[name]
    model, out = runs / f"lever_{name}" / "model.safetensors", runs / "eval" / f"lever_{name}"
    return [shlex.join(["gfpose", "train", "--config", "detector", "--out", str(runs / f"lever_{name}"), *STEPS,
                        *overrides]),
            f"python benchmarks/footage/monocular_vs_reference.py --detector {model} --json {out}_one.json",
            f"python benchmarks/footage/monocular_vs_reference.py --src ../shared/data/pose2sim-demo-multiperson "
            f"--detector {model} --json {out}_mp.json",
            f"cd benchmarks && python cross_dataset.py --sets bundled,HDM05 --model lever_{name}=../{model} "
            f"--hypotheses {HYPOTHESES} --out ../{out}_cross.json",
            f"cd benchmarks && python bone_lengths.py --model ../{model} --sets 'bundled as H36M' "
            f"--out ../{out}_bones.json"]


def footage_row(report: dict) -> dict:
    """4-camera averages, all joints: P-MPJPE and scaled MPJPE of one hypothesis and of the track."""
    a = report["errors"]["average"]["all_joints"]
    return {key: a[key] for key in ("p_mpjpe_s1", "mpjpe_scaled_s1", "p_mpjpe_track", "mpjpe_scaled_track")}


def collect(name: str, runs: Path) -> dict:
    """One run's figures from its scoring JSONs."""
    prefix = runs / "eval" / f"lever_{name}"

    def load(suffix: str) -> dict:
        return json.loads(Path(f"{prefix}_{suffix}.json").read_text())

    cells = {c["data"]: c["table"] for c in load("cross")["cells"]}
    bones = load("bones")["sets"]["bundled as H36M"]["bones"]
    people = load("mp")["people"]
    return {
        "what": LEVERS[name][1], "commands": commands(name, runs),
        "first_clip": footage_row(load("one")),
        "two_person_clip": {key: statistics.mean(footage_row(p)[key] for p in people.values())
                            for key in footage_row(next(iter(people.values())))},
        **{label: {"p1_s1": cells[label]["P1 min S=1"]["Avg"],
                   f"min_p1_s{HYPOTHESES}": cells[label][f"P1 min S={HYPOTHESES}"]["Avg"]}
           for label in ("bundled", "HDM05")},
        "floor_min_p1": {action: cells["HDM05"][f"P1 min S={HYPOTHESES}"][action] for action in FLOOR_ACTIONS},
        "bones_followed": statistics.median(b["followed"] for b in bones.values() if b["followed"] is not None),
        "proportions_followed": statistics.median(b["followed_proportion"] for b in bones.values()
                                                  if b["followed_proportion"] is not None),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--collect", type=Path, default=None, help="the runs folder whose eval/ holds the JSONs")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "levers.json")
    args = parser.parse_args(argv)
    if args.collect is None:
        for name in LEVERS:
            print("\n".join(commands(name, Path("runs"))) + "\n")
        return
    kept = json.loads(args.out.read_text())["runs"] if args.out.is_file() else {}
    scored = {name for name in LEVERS if (args.collect / "eval" / f"lever_{name}_bones.json").is_file()}
    if missing := set(LEVERS) - scored - set(kept):
        raise SystemExit(f"no scoring JSONs under {args.collect / 'eval'} and no figures in {args.out} for "
                         f"{sorted(missing)}")
    result = {"steps": 10000, "hypotheses": HYPOTHESES,
              "runs": {name: collect(name, args.collect) if name in scored else kept[name] for name in LEVERS}}
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
