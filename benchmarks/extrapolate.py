"""How many training steps to a target? A log-linear fit of a learning curve, extrapolated.

Over the steps measured so far the held-out metrics of benchmarks/learning_curves.py fall by a
nearly constant amount per doubling of the step count (a straight line against log step, residuals
well under 1 mm), so the fit y = a + b ln(step) over a run's points from --min-step on gives the mm
gained per doubling and the step where the line crosses a target. An extrapolation, not a
measurement: curves flatten eventually, so the crossing is an optimistic estimate of the steps needed.

    python benchmarks/extrapolate.py docs/results/learning_curves.json --run gen_a \
        [--also docs/results/edm_finetune_curves.json:noise_cont:8000] --metric "P1 min S=1=44.9" [--min-step 4000]

--also FILE:RUN:OFFSET adds another file's points of a run that continued this one (its steps + OFFSET).
"""

import argparse
import json
from pathlib import Path

import numpy as np


def curve_points(path: Path, run: str, subset: str, metric: str, offset: int = 0) -> list[tuple[int, float]]:
    result = json.loads(path.read_text())
    if run not in result["runs"]:
        raise SystemExit(f"{path}: no run {run!r}; it has {sorted(result['runs'])}")
    return [(p["step"] + offset, p[subset][metric]) for p in result["runs"][run] if p["step"] + offset > 0]


def log_linear_fit(steps, values) -> tuple[float, float, float]:
    """(a, b, residual sd) of values ~ a + b ln(steps), least squares."""
    x = np.log(np.asarray(steps, dtype=float))
    b, a = np.polyfit(x, np.asarray(values, dtype=float), 1)
    return a, b, float(np.std(values - (a + b * x)))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("curves", type=Path, help="a learning_curves.py JSON")
    parser.add_argument("--run", required=True)
    parser.add_argument("--also", action="append", default=[], metavar="FILE:RUN:OFFSET")
    parser.add_argument("--subset", default="bundled")
    parser.add_argument("--metric", action="append", required=True, metavar="NAME=TARGET",
                        help="a metric of the file and the value to reach, e.g. 'P1 min S=1=44.9'")
    parser.add_argument("--min-step", type=int, default=0)
    args = parser.parse_args(argv)
    for item in args.metric:
        name, _, target = item.rpartition("=")
        points = curve_points(args.curves, args.run, args.subset, name)
        for extra in args.also:
            path, run, offset = extra.rsplit(":", 2)
            points += curve_points(Path(path), run, args.subset, name, int(offset))
        points = sorted(p for p in points if p[0] >= args.min_step)
        if len(points) < 3:
            raise SystemExit(f"{name}: {len(points)} points from step {args.min_step}; a fit needs 3")
        steps, values = zip(*points)
        a, b, residual = log_linear_fit(steps, values)
        crossing = np.exp((float(target) - a) / b) if b < 0 else float("inf")
        print(f"{args.subset} {name}: {len(points)} points, steps {steps[0]:,}-{steps[-1]:,}, last {values[-1]:.1f}; "
              f"{b * np.log(2):+.2f} mm per doubling (residual sd {residual:.2f}); "
              f"reaches {target} at step {crossing:,.0f}")


if __name__ == "__main__":
    main()
