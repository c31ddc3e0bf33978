"""Do the estimated poses take their proportions from the 2D evidence or from the training skeleton?

Per bone and test set: the true length (mean over the test poses), the mean length of the model's
estimates (S hypotheses per input, GT 2D through the fixed virtual test cameras, default sampler),
their mean absolute difference (the "bone error" of the other tables, per bone), and where the test
skeleton differs from the bundled training skeleton by more than 10 mm, the share of that difference
the estimates follow: (estimate - training) / (truth - training), 1 when the output takes the test
subject's proportions, 0 when it keeps the training skeleton's. The test sets are those of
benchmarks/cross_dataset.py; "bundled as H36M" changes nothing but the bone lengths, so there the
share isolates proportions from motion.

One image cannot tell a large person far away from a small one near (the depth-size ambiguity), so
the absolute share also measures whether the output guesses the subject's overall size. The
proportions share ("followed_proportion") takes that out: each skeleton's lengths (true, estimated,
training) are divided by its own summed bone length and multiplied by the training skeleton's, and
the share is computed as above on those, for bones whose scaled lengths differ by more than 10 mm.

    python benchmarks/bone_lengths.py [--model shipped] [--hypotheses 4] [--out docs/results/bone_lengths.json]
"""

import argparse
import json
import shlex
import sys
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs
import torch
from cross_dataset import TEST_SETS, load_sampler, open_test_set

from gfpose.atomic import atomic_write
from gfpose.data.bandai import load_bundled
from gfpose.evaluate import eval_inputs
from gfpose.geometry import bone_vectors
from gfpose.joint_definitions import with_joint_definition
from gfpose.skeleton import H36M_JOINTS
from gfpose.tasks import estimate_request

ROOT = Path(__file__).resolve().parent.parent
DIFFERENT_MM = 10.0  # a test bone this much longer or shorter than the training skeleton's counts as different


def bone_lengths(poses: torch.Tensor) -> torch.Tensor:
    """(..., 17, 3) -> (..., 16) lengths of the bones into joints 1..16 (gfpose.skeleton.PARENTS)."""
    return torch.linalg.vector_norm(bone_vectors(poses.float())[..., 1:, :], dim=-1)


def bone_table(estimates: torch.Tensor, truth: torch.Tensor, training: torch.Tensor) -> dict:
    """estimates (N, S, 16), truth (N, 16), training (16,) mm -> one row per bone."""
    rows = {}
    for bone, name in enumerate(H36M_JOINTS[1:]):
        true, estimated = truth[:, bone].mean().item(), estimates[..., bone].mean().item()
        offset = true - training[bone].item()
        rows[name] = {"true": true, "estimated": estimated, "training": training[bone].item(),
                      "error": (estimates[..., bone] - truth[:, bone, None]).abs().mean().item(),
                      "followed": (estimated - training[bone].item()) / offset if abs(offset) > DIFFERENT_MM else None}
    return rows


def add_proportion_shares(rows: dict) -> dict:
    """bone_table rows with "followed_proportion": the share followed of the skeletons' proportions,
    every length scaled to the training skeleton's summed bone length (see the module docstring)."""
    totals = {key: sum(row[key] for row in rows.values()) for key in ("true", "estimated", "training")}
    scaled = {name: {key: row[key] * totals["training"] / totals[key] for key in totals} for name, row in rows.items()}
    return {name: {**row, "followed_proportion": (
                (scaled[name]["estimated"] - row["training"]) / (scaled[name]["true"] - row["training"])
                if abs(scaled[name]["true"] - row["training"]) > DIFFERENT_MM else None)}
            for name, row in rows.items()}


def run(model: str, sets: dict, hypotheses: int) -> dict:
    sampler = load_sampler(model)
    joints = sampler.config.model.joints  # the estimates' joint definition: the truth and training in it too
    bundled = torch.as_tensor(load_bundled().select_split("train").poses_3d, dtype=torch.float32)
    training = bone_lengths(with_joint_definition(bundled, joints)).mean(dim=0)
    result = {"model": model, "hypotheses": hypotheses, "sets": {}, "hardware": hardware.describe(),
              "command": "python " + shlex.join(sys.argv)}
    for label, (spec, every) in sets.items():
        inputs = eval_inputs(open_test_set(label, spec, every), joints=joints)
        hyps = sampler.run(estimate_request(inputs.keypoints, inputs.image_size, hypotheses))
        rows = add_proportion_shares(bone_table(bone_lengths(hyps), bone_lengths(torch.as_tensor(inputs.poses)),
                                                training))
        result["sets"][label] = {"inputs": len(inputs.poses), "bones": rows}
        print(label, json.dumps({name: round(row["error"], 1) for name, row in rows.items()}), flush=True)
    return result


def render(result: dict) -> str:
    """Markdown: per bone, each set's true / estimated length, error and share followed."""
    sets = list(result["sets"])
    head = ("| bone | training | " + " | ".join(f"{s}: true | estimated | error | followed (lengths / proportions)"
                                               for s in sets) + " |")
    lines = [head, "|" + "---|" * (2 + 4 * len(sets))]
    for bone in H36M_JOINTS[1:]:
        cells = []
        for label in sets:
            row = result["sets"][label]["bones"][bone]
            followed = " / ".join("-" if row.get(key) is None else f"{row[key]:.2f}"
                                  for key in ("followed", "followed_proportion"))
            cells.append(f"{row['true']:.0f} | {row['estimated']:.0f} | {row['error']:.1f} | {followed}")
        training = result["sets"][sets[0]]["bones"][bone]["training"]
        lines.append(f"| {bone} | {training:.0f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="shipped", help="'shipped' or a model file")
    parser.add_argument("--hypotheses", type=int, default=4, help="hypotheses per input")
    parser.add_argument("--sets", default=",".join(TEST_SETS), help=f"of: {', '.join(TEST_SETS)}")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "results" / "bone_lengths.json")
    parser.add_argument("--render", type=Path, default=None, help="print the Markdown of a result JSON and stop")
    args = parser.parse_args(argv)
    if args.render:
        print(render(json.loads(args.render.read_text())))
        return
    unknown = set(args.sets.split(",")) - set(TEST_SETS)
    if unknown:
        raise SystemExit(f"--sets: unknown {sorted(unknown)}; choose from {list(TEST_SETS)}")
    result = run(args.model, {label: TEST_SETS[label] for label in args.sets.split(",")}, args.hypotheses)
    atomic_write(args.out, lambda tmp: Path(tmp).write_text(json.dumps(result, indent=1)))
    print(render(result))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
