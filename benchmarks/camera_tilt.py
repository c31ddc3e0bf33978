"""Estimation accuracy by camera: tilt (pitch), roll, distance, focal length, subject off the optical axis.

Issue #28 item 4. The shipped mocap estimation model (`PosePrior.pretrained()`, trained with upright
cameras 4-6 m away) and the shipped detector model (trained with `train.wide_cameras` = 0.5 and
`model.joints = "detector"`) lift test poses seen by fixed, seeded virtual cameras that vary one
factor at a time around a default: pitch 0 (level), roll 0, 5 m, the training focal length
(1.145 x width), the subject at the image centre; one combined row puts three together. Each camera
is `gfpose.data.cameras.wide_cameras` with every range of WIDE_CAMERAS pinned to one value (the
azimuth stays uniform and seeded, so every row sees the same poses from the same directions). Each
model gets 2D defined its way (mocap joints; detector joints, with ground truth in the same
definition), rescaled to the training camera's focal length as `gfpose lift --focal-px` does; the
"focal, not rescaled" rows read the 2D as if the training camera took it (a lift without
--focal-px). One `gfpose.evaluate.evaluate` call per cell, S = 20, the default sampler: P1 S=1,
minP1 S=20, P-MPJPE S=1 (mm, averaged per action).

    python benchmarks/camera_tilt.py [--out docs/results/camera_tilt.json]
    python benchmarks/camera_tilt.py --render docs/results/camera_tilt.json
"""

import argparse
import json
import shlex
import sys
import time
from dataclasses import replace
from pathlib import Path
from unittest import mock

import hardware  # benchmarks/ is on sys.path when this script runs
import torch

from gfpose.atomic import atomic_write
from gfpose.data import cameras as cams
from gfpose.data.specs import open_dataset
from gfpose.evaluate import EvalTask, evaluate
from gfpose.joint_definitions import with_joint_definition
from gfpose.prior import PosePrior

ROOT = Path(__file__).resolve().parent.parent
TEST_SETS = {"bundled": ("bundled", 256), "CMU": (str(ROOT / "benchmarks" / "data" / "cmu17.npz"), 8)}
DEFAULT = {"pitch_deg": 0.0, "roll_deg": 0.0, "distance_mm": 5000.0, "off_axis_deg": 0.0,
           "focal_per_width": cams.TRAINING_FOCAL_PER_WIDTH, "rescale": True}
# (factor, value label, change from DEFAULT): one factor at a time.
GRID = [("default", "-", {})]
# pitch -15: looking up (at 5 m the camera is then below the floor, as wide_cameras also allows)
GRID += [("pitch (down)", f"{p}°", {"pitch_deg": float(p)}) for p in (-15, 15, 30, 45, 60)]
GRID += [("roll", f"{r}°", {"roll_deg": float(r)}) for r in (10, 20, 30)]
GRID += [("distance", f"{d / 1000:g} m", {"distance_mm": float(d)}) for d in (1500, 2500, 8000, 10000)]
GRID += [("off axis (yaw and pitch)", "15°", {"off_axis_deg": 15.0})]
GRID += [("focal", f"{f} x width", {"focal_per_width": f}) for f in (0.6, 2.0)]
GRID += [("focal, not rescaled", f"{f} x width", {"focal_per_width": f, "rescale": False}) for f in (0.6, 2.0)]
GRID += [("combined", "pitch 30°, roll 20°, 2.5 m", {"pitch_deg": 30.0, "roll_deg": 20.0, "distance_mm": 2500.0})]
HYPOTHESES = 20
COLUMNS = ("P1 min S=1", f"P1 min S={HYPOTHESES}", "P2 min S=1")
SEED = 0


def cameras(n: int, seed: int, pitch_deg, roll_deg, distance_mm, off_axis_deg, focal_per_width,
            size=cams.IMAGE_SIZE, target_height: float = 750.0) -> cams.Cameras:
    """`n` seeded cameras aimed at (0, 0, target_height) mm (as fixed_test_cameras): wide_cameras with
    every range pinned to the given value, so only the azimuth is drawn."""
    pinned = {"pitch_deg": (pitch_deg,) * 2, "roll_deg": (roll_deg,) * 2, "distance_mm": (distance_mm,) * 2,
              "off_axis_deg": (off_axis_deg,) * 2}
    targets = torch.tensor([0.0, 0.0, target_height]).expand(n, 3)
    with mock.patch.dict(cams.WIDE_CAMERAS, pinned):
        return cams.wide_cameras(targets, torch.Generator().manual_seed(seed), focal_per_width * size[0], size)


def camera_set(data, joints: str, setting: dict):
    """The world PoseSet `data` seen by the setting's cameras, as a camera-frame PoseSet: ground truth
    and 2D with the joints defined as `joints`, the 2D rescaled to the training camera's focal length."""
    view = cameras(len(data.poses_3d), SEED, **{k: v for k, v in setting.items() if k != "rescale"})
    gt, keypoints = cams.camera_views(with_joint_definition(torch.as_tensor(data.poses_3d), joints), view)
    if setting["rescale"]:
        keypoints = cams.to_training_camera(keypoints, view.size, view.f[:, 0])
    return replace(data, poses_3d=gt.numpy(), keypoints_2d=keypoints.numpy(), image_size=view.size.numpy(),
                   frame_kind="camera")


def run(grid=GRID) -> dict:
    prior = PosePrior.pretrained()
    models = {"mocap": (prior.sampler_for("estimate"), "mocap"),
              "detector": (prior.sampler_for("estimate", joints="detector"), "detector")}
    sets = {label: open_dataset(spec, "test", every) for label, (spec, every) in TEST_SETS.items()}
    rows = []
    for factor, value, change in grid:
        setting = {**DEFAULT, **change}
        for model, (sampler, joints) in models.items():
            for data_label, data in sets.items():
                started = time.time()
                result = evaluate(sampler, camera_set(data, joints, setting), EvalTask("estimate", HYPOTHESES),
                                  progress=False)
                row = {"factor": factor, "value": value, "model": model, "set": data_label, "joints": joints,
                       "camera": setting, "count": result["count"], "sampler": result["sampler"],
                       "metrics": {c: round(result["table"][c]["Avg"], 2) for c in COLUMNS},
                       "wall_seconds": round(time.time() - started, 1)}
                rows.append(row)
                print(f"{factor} {value} {model} {data_label}: {json.dumps(row['metrics'])}", flush=True)
    return {"hypotheses": HYPOTHESES, "test_sets": TEST_SETS, "seed": SEED, "rows": rows,
            "hardware": hardware.describe(), "command": "python " + shlex.join(sys.argv)}


def render(result: dict) -> str:
    """Markdown: one row per camera setting, P1 S=1 / minP1 S=20 / P2 S=1 per (model, set)."""
    pairs = list(dict.fromkeys((r["model"], r["set"]) for r in result["rows"]))
    cells = {(r["factor"], r["value"], r["model"], r["set"]): r["metrics"] for r in result["rows"]}
    lines = ["| factor | value | " + " | ".join(f"{m} {s}" for m, s in pairs) + " |", "|" + "---|" * (len(pairs) + 2)]
    for factor, value in dict.fromkeys((r["factor"], r["value"]) for r in result["rows"]):
        values = [cells.get((factor, value, *pair)) for pair in pairs]
        lines.append(f"| {factor} | {value} | " + " | ".join(
            " / ".join(f"{v[c]:.1f}" for c in COLUMNS) if v else "" for v in values) + " |")
    return (f"{result['hardware']}; made by\n\n    {result['command']}\n\nmm, each cell "
            f"{' / '.join(COLUMNS)} (averaged per action):\n\n" + "\n".join(lines))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "docs" / "results" / "camera_tilt.json"))
    parser.add_argument("--render", default=None, help="print the Markdown of a result JSON and stop")
    args = parser.parse_args(argv)
    if args.render:
        return print(render(json.loads(Path(args.render).read_text())))
    result = run()
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1, ensure_ascii=False)))
    print(render(result))


if __name__ == "__main__":
    main()
