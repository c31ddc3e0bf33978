"""`gfpose demo`: the shipped model on bundled real test poses (a metrics table and pictures), then
on real footage: the committed Pose2Sim clip becomes a 3D track, a BVH and a movie."""

from importlib import resources
from pathlib import Path

import numpy as np
import torch

from gfpose import viz
from gfpose.data.bandai import load_bundled
from gfpose.data.posefile import save_pose_npz
from gfpose.errors import InputError
from gfpose.evaluate import eval_inputs
from gfpose.metrics import format_by_action, hypothesis_errors, per_action_table
from gfpose.prior import PosePrior


def run_demo(out_dir, hypotheses: int = 50, count: int = 64, device: str = "auto") -> dict:
    """Estimate `hypotheses` 3D poses for `count` test poses spread over the test split."""
    out_dir = Path(out_dir)
    test = load_bundled().select_split("test")
    test = test.subset(np.linspace(0, len(test) - 1, count).astype(int))
    inputs = eval_inputs(test)
    prior = PosePrior.pretrained(device)
    settings = prior.sampler.settings
    print(f"gfpose demo: {count} bundled test poses (unseen takes), {hypotheses} hypotheses each, "
          f"sampler {settings.name} x {settings.steps} steps")
    hyps = torch.from_numpy(prior.estimate(inputs.keypoints.numpy(), inputs.image_size.numpy(), hypotheses))
    errors = {p: hypothesis_errors(hyps, inputs.poses, protocol=p) for p in (1, 2)}
    table = per_action_table({
        f"P1 min S={hypotheses}": errors[1].min(1).values, f"P2 min S={hypotheses}": errors[2].min(1).values,
        "P1 S=1": errors[1][:, 0], "P1 mean over S": errors[1].mean(1)}, inputs.actions)
    print(format_by_action(table, title="MPJPE (mm) per action, protocol 1 (P1) and 2 (P2)"))
    out_dir.mkdir(parents=True, exist_ok=True)
    for i in range(min(3, count)):
        viz.save_hypotheses_figure(out_dir / f"hypotheses_{i}.png", inputs.keypoints[i], hyps[i], gt=inputs.poses[i])
    save_pose_npz(out_dir / "demo.npz", hypotheses=hyps.numpy(), keypoints_2d=inputs.keypoints.numpy(),
                  poses_3d_gt=inputs.poses.numpy(), action=inputs.actions)
    print(f"wrote {out_dir}/hypotheses_0..{min(3, count) - 1}.png (input 2D, hypotheses, ground truth in black) "
          f"and {out_dir}/demo.npz")
    lift_clip(prior, out_dir / "footage", hypotheses)
    return table


def lift_clip(prior, out_dir: Path, hypotheses: int) -> None:
    """The committed clip (Pose2Sim demo, camera 1, 40 frames at 30 fps): 2D detection, lifting, outputs."""
    from gfpose.media.lift import lift
    clip = Path(str(resources.files("gfpose") / "assets" / "footage" / "pose2sim_cam01.mp4"))
    print(f"\ngfpose demo: real footage {clip.name} -> 3D ({hypotheses} hypotheses per frame)")
    try:
        result = lift(prior, clip, out_dir, num_hypotheses=hypotheses)
    except InputError as err:  # the video extra is not installed
        print(f"skipped: {err}")
        return
    for note in result.notes:
        print(note)
    print(f"lifted {result.frames} frames in {result.lift_seconds:.1f} s; wrote " +
          ", ".join(str(p) for p in (result.npz, *result.bvh, result.mp4, result.gif) if p is not None))
