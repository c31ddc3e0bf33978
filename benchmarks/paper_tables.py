"""Repeat the paper's experiments on the bundled data and write them as JSON + docs/RESULTS.md.

Each table is a list of rows; each row is one `gfpose.evaluate.evaluate` call, the same code as
`gfpose evaluate ... --json`. Results go to docs/results/<table>.json; docs/RESULTS.md is then
re-rendered from every JSON file (benchmarks/render_results.py), so no number is typed by hand.

    python benchmarks/paper_tables.py --tables t1,t2,t5,t6,t7,t15 --every 64 [--checkpoint MODEL]
    python benchmarks/paper_tables.py --tables t5 --rows 1,2 --every 256   # after a change that touches rows 1-2
    python benchmarks/paper_tables.py --render-only

The tables, with their per-action breakdowns, are also printed; docs/RESULTS.md shows the averages.
"""

import argparse
import json
import time
from pathlib import Path

import hardware  # benchmarks/ is on sys.path when this script runs
import render_results

from gfpose.atomic import atomic_write
from gfpose.data.bandai import load_bundled
from gfpose.data.posefile import load_pose_npz
from gfpose.evaluate import EvalTask, evaluate
from gfpose.metrics import format_table
from gfpose.perturbations import MissingJoints, PoseNoise
from gfpose.prior import PosePrior

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
CMU = ROOT / "benchmarks" / "data" / "cmu17.npz"

# table id -> (title, data, [(row label, EvalTask fields)], columns to report, paper reference)
TABLES = {
    "t1": ("Table 1/3: multi-hypothesis estimation, minMPJPE (mm) over S hypotheses", "bundled", [
        ("GT 2D", dict(task="estimate", hypotheses=200)),
        ("noisy 2D (sigma 5 px, 2% outliers)", dict(task="estimate", hypotheses=200, noise_2d=5.0)),
    ], ["P1 min S=1", "P1 min S=10", "P1 min S=200", "P2 min S=1", "P2 min S=10", "P2 min S=200", "P1 mean over S"],
        "Paper (H3.6M, detected 2D): P1 S=1 51.0, S=10 45.1, S=200 35.6; P2 S=200 30.5; GT 2D P2 S=200 16.9"),
    "t2": ("Table 2: cross-dataset, trained on bundled data, tested on CMU mocap, S = 200", "cmu", [
        ("CMU, GT 2D", dict(task="estimate", hypotheses=200)),
    ], ["PCK150 best", "AUC best", "P1 min S=200", "P1 min S=1"],
        "Paper (trained H3.6M, tested 3DHP): PCK 86.9 overall (GS 88.4, noGS 87.1, outdoor 84.3)"),
    "t5": ("Table 5: completion from partial 2D, minMPJPE P1 (mm), S = 200", "bundled", [
        ("1 joint", dict(task="complete-2d", hypotheses=200, missing=MissingJoints.parse("joints:1"))),
        ("2 joints", dict(task="complete-2d", hypotheses=200, missing=MissingJoints.parse("joints:2"))),
        ("2 legs", dict(task="complete-2d", hypotheses=200, missing=MissingJoints.parse("parts:r_leg,l_leg"))),
        ("2 arms", dict(task="complete-2d", hypotheses=200, missing=MissingJoints.parse("parts:l_arm,r_arm"))),
        ("left leg + left arm", dict(task="complete-2d", hypotheses=200,
                                     missing=MissingJoints.parse("parts:l_leg,l_arm"))),
        ("right leg + right arm", dict(task="complete-2d", hypotheses=200,
                                       missing=MissingJoints.parse("parts:r_leg,r_arm"))),
    ], ["P1 min S=200", "P1 min S=1"], "Paper: 37.8, 39.6, 53.5, 60.0, 54.6, 53.1"),
    "t6": ("Table 6: completion from partial 3D (conditioning + imputation), minMPJPE P1 (mm)", "bundled", [
        ("right leg", dict(task="complete-3d", hypotheses=200, missing=MissingJoints.parse("parts:r_leg"))),
        ("left leg", dict(task="complete-3d", hypotheses=200, missing=MissingJoints.parse("parts:l_leg"))),
        ("left arm", dict(task="complete-3d", hypotheses=200, missing=MissingJoints.parse("parts:l_arm"))),
        ("right arm", dict(task="complete-3d", hypotheses=200, missing=MissingJoints.parse("parts:r_arm"))),
    ], ["P1 min S=1", "P1 min S=200"], "Paper S=1 / S=200: 13.0/5.2, 14.3/5.8, 25.5/9.4, 22.4/8.9"),
    "t7": ("Table 7: denoising, MPJPE (mm) before / after: a reverse-SDE sample or the posterior mean "
           "(Tweedie, one network evaluation), from the paper's t0 or t0 matched to the noise",
           "bundled", [
        (f"{label}, {denoiser}, t0 {t0}", dict(task="denoise", noise_3d=noise, t0=t0, denoiser=denoiser))
        for label, noise, paper_t0 in (
            ("clean", PoseNoise(), 0.05), ("+ N(0, 25 mm^2)", PoseNoise("gaussian", 25), 0.05),
            ("+ N(0, 100 mm^2)", PoseNoise("gaussian", 100), 0.05),
            ("+ N(0, 400 mm^2)", PoseNoise("gaussian", 400), 0.1),
            ("+ U(-25, 25) mm", PoseNoise("uniform", 25), 0.05), ("+ U(-50, 50) mm", PoseNoise("uniform", 50), 0.1),
            ("+ U(-100, 100) mm", PoseNoise("uniform", 100), 0.1))
        for t0, denoiser in ((paper_t0, "sample"), ("auto", "sample"), ("auto", "mean"))
    ], ["P2 before", "P2 after", "P1 before", "P1 after"],
        "Paper (before/after): 0/14.7, 33.1/25.0, 65.5/42.8, 126.0/64.6, 49.1/32.8, 96.2/50.9, 178.2/89.4"),
    "t15": ("Tables 15-17: conditioning vs imputation vs both, minMPJPE P1 (mm), S = 200", "bundled", [
        ("2 legs from 2D, conditional", dict(task="complete-2d", hypotheses=200,
                                             missing=MissingJoints.parse("parts:r_leg,l_leg"))),
        ("right leg from 3D, conditional", dict(task="complete-3d", hypotheses=200,
                                                missing=MissingJoints.parse("parts:r_leg"), mode="conditional")),
        ("right leg from 3D, imputation", dict(task="complete-3d", hypotheses=200,
                                               missing=MissingJoints.parse("parts:r_leg"), mode="imputation")),
        ("right leg from 3D, both", dict(task="complete-3d", hypotheses=200,
                                         missing=MissingJoints.parse("parts:r_leg"), mode="both")),
    ], ["P1 min S=200", "P1 min S=1"], "Paper U3D, right leg from 3D: cond 8.6, imputation 6.1, both 5.6"),
}


CMU_EVERY = 16  # 508 of the 8,076 CMU poses


def dataset(name: str, every: int):
    if name == "cmu":
        return load_pose_npz(CMU).every(every)
    data = load_bundled().select_split("test")
    return data.every(every) if every > 1 else data


def run_table(prior, table_id: str, every: int, checkpoint: str, only_rows=None) -> dict:
    """Every row of a table, or with only_rows (1-based numbers) those rows, the others kept from
    the table's JSON (which must have the same inputs)."""
    title, data_name, rows, columns, paper = TABLES[table_id]
    every = CMU_EVERY if data_name == "cmu" else every  # the CMU table always takes the same subset
    data = dataset(data_name, every)
    previous = json.loads((RESULTS / f"{table_id}.json").read_text()) if only_rows else None
    if previous is not None and (previous["every"], previous["inputs"]) != (every, len(data)):
        raise SystemExit(f"--rows: {table_id}.json has every {previous['every']} ({previous['inputs']} inputs), not "
                         f"--every {every}; rerun the whole table")
    results = []
    for number, (label, kwargs) in enumerate(rows, start=1):
        if only_rows and number not in only_rows:
            results.append(previous["rows"][number - 1])
            continue
        started = time.time()
        spec = EvalTask(**kwargs)
        result = evaluate(prior.sampler_for(spec.task), data, spec, progress=False)
        result.update(label=label, wall_seconds=round(time.time() - started, 1))
        if kwargs.get("t0") == "auto":  # the start time evaluate chose from the noise level
            result["label"] = f"{label} = {result['t0']:.3f}"
        results.append(result)
        averages = {c: round(result["table"][c]["Avg"], 1) for c in columns if c in result["table"]}
        print(f"{table_id} {label}: {json.dumps(averages)}", flush=True)
    settings = prior.sampler.settings
    command = (f"python benchmarks/paper_tables.py --tables {table_id} --every {every}"
               + (f" --checkpoint {checkpoint}" if checkpoint else ""))
    reruns = []
    if only_rows:
        reruns = [rerun for rerun in previous.get("reruns", []) if rerun["rows"] != sorted(only_rows)]  # superseded
        reruns += [{"rows": sorted(only_rows), "date": time.strftime("%Y-%m-%d"),
                    "command": f"{command} --rows {','.join(map(str, sorted(only_rows)))}"}]
        command = previous["command"]
    return {"id": table_id, "title": title, "data": data_name, "every": every, "inputs": len(data),
            "columns": columns, "paper": paper, "rows": results, "command": command, "reruns": reruns,
            "sampler": {"name": settings.name, "steps": settings.steps, "schedule": settings.schedule,
                        "precision": settings.precision},
            "hardware": hardware.describe()}


def machine(bench: dict) -> str:
    """The benchmark's hardware line; results from before it was recorded name the thread count only."""
    return bench.get("hardware") or f"{bench['threads']} CPU threads"


def render_sampling(path: Path) -> str:
    """The sampler benchmark (benchmarks/sampling.py --json) as a fixed-width block."""
    from sampling import format_rows  # benchmarks/ is on sys.path when this script runs
    bench = json.loads(path.read_text())
    reference = bench["rows"][0]
    rows = format_rows(bench["rows"], bench["inputs"], bench["hypotheses"], bench["single_inputs"], machine(bench))
    return (f"### Tables 9 and 17 analogue: samplers, steps, precision (speed vs accuracy)\n\n"
            f"{bench['inputs']} inputs x {bench['hypotheses']} hypotheses per row (fewer than the other tables: the "
            f"reference row, Alg. 1 with {reference['steps']} steps, draws {reference['hyp_per_s']:.0f} hypotheses/s, "
            f"{reference['seconds'] / 60:.0f} minutes for this row alone), plus {bench['single_inputs']} inputs x 1 "
            f"hypothesis for MPJPE at S = 1.\n\n`{bench['command']}`\n\n```\n{rows}\n```\n")


LIFTER_TABLES = {
    4: ("Table 4: score model (P, one hypothesis; and the mean of 50) vs deterministic lifter with the same "
        "backbone (D), MPJPE P1 (mm)",
        "Paper (H3.6M; columns GT, DT, GT+N(0,25), DT+N(0,25)): P(GT) 35.6, 55.7, 72.2, 81.2; "
        "D(GT) 41.9, 61.6, 77.9, 89.2; P(DT) 38.9, 51.0, 61.1, 69.0; D(DT) 46.9, 57.0, 64.4, 72.1"),
    8: ("Table 8: generated poses as training data for a deterministic lifter, MPJPE P1 (mm) on GT 2D",
        "Paper (H3.6M): real 2,438: 66.1; + 1,219 generated 62.0; + 2,438: 60.0; + 177,200: 58.1; "
        "generated 177,200 alone: 58.1; real 1,559,752: 54.3; + 177,200 generated: 53.4"),
}


def render_network_size(path: Path) -> str:
    """The network-size benchmark (benchmarks/network_size.py --json) as a fixed-width block."""
    from network_size import format_rows
    bench = json.loads(path.read_text())
    rows = format_rows(bench["rows"], bench["inputs"], bench["hypotheses"], bench["single_inputs"], machine(bench))
    return (f"### Table 9, network size: width and depth at equal training steps\n\n`{bench['command']}`\n\n```\n"
            f"{rows}\n```\n\nPaper (H3.6M, 1k sampling steps, minMPJPE P1 / samples per second on a 2080Ti): 2 x 512 "
            f"44.3 / 461, 2 x 1024 35.6 / 240, 2 x 2048 37.6 / 79, 2 x 4096 37.5 / 35, 3 x 1024 37.2 / 154, "
            f"4 x 1024 37.1 / 123\n")


def render_lifter_table(path: Path) -> str:
    """A benchmarks/lifter_tables.py result as a Markdown table."""
    result = json.loads(path.read_text())
    title, paper = LIFTER_TABLES[result["table"]]
    columns = list(next(iter(result["rows"].values())))
    lines = ["| model | " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 1)]
    lines += [f"| {name} | " + " | ".join(f"{row[c]:.1f}" for c in columns) + " |"
              for name, row in result["rows"].items()]
    s = result["sampler"]
    reused = f" (D rows from `{result['lifters_from']}`)" if "lifters_from" in result else ""
    return (f"### {title}\n\n{result['inputs']} inputs (bundled test split, every {result['every']}th pose of each "
            f"take); lifters trained {result['steps']} steps each; P sampled with {s['name']} x {s['steps']} steps; "
            f"{result['hardware']}; wall time {result['seconds']:.0f} s.\n\n`{result['command']}`{reused}\n\n"
            + "\n".join(lines) + f"\n\n{paper}\n")


def render(results_dir: Path = RESULTS) -> str:
    """Markdown for every table JSON present, with per-action blocks (printed; docs/RESULTS.md has its own
    compact tables from benchmarks/render_results.py)."""
    parts = [render_sampling(results_dir / "sampling.json")] if (results_dir / "sampling.json").exists() else []
    if (results_dir / "network_size.json").exists():
        parts.append(render_network_size(results_dir / "network_size.json"))
    parts += [render_lifter_table(path) for path in sorted(results_dir.glob("lifter_t*.json"))]
    tables = [path for path in results_dir.glob("t*.json") if path.stem[1:].isdigit()]  # not training_speed.json
    for path in sorted(tables, key=lambda p: int(p.stem[1:])):
        table = json.loads(path.read_text())
        total = sum(r["wall_seconds"] for r in table["rows"])
        s = table["sampler"]
        subset = (f"CMU, every {CMU_EVERY}th pose of each take" if table["data"] == "cmu"
                  else f"bundled test split, every {table['every']}th pose of each take")
        parts.append(f"### {table['title']}\n\n{table['inputs']} inputs ({subset}); sampler {s['name']} x "
                     f"{s['steps']} steps ({s['schedule']}, {s['precision']}); {table['hardware']}; "
                     f"wall time {total:.0f} s.\n\n"
                     f"`{table['command']}`\n")
        for rerun in table.get("reruns", []):
            label = "Row" if len(rerun['rows']) == 1 else "Rows"
            parts.append(f"{label} {', '.join(map(str, rerun['rows']))} rerun on {rerun['date']}: "
                         f"`{rerun['command']}`\n")
        header = "| row | " + " | ".join(table["columns"]) + " |"
        lines = [header, "|" + "---|" * (len(table["columns"]) + 1)]
        for row in table["rows"]:
            cells = [f"{row['table'][c]['Avg']:.1f}" if c in row["table"] else "-" for c in table["columns"]]
            lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines) + f"\n\n{table['paper']}\n")
        for column in PER_ACTION.get(table["id"], ()):
            # actions as rows so their full names fit; one column per table row
            actions = {action: {f"({i + 1})": row["table"][column][action] for i, row in enumerate(table["rows"])}
                       for action in table["rows"][0]["table"][column]}
            legend = ", ".join(f"({i + 1}) {row['label']}" for i, row in enumerate(table["rows"]))
            parts.append(f"Per action, {column}; {legend}:\n\n```\n{format_table(actions)}\n```\n")
    return "\n".join(parts)


# Tables shown per action as well (the paper's Tables 1 and 2 are per action / per scene).
PER_ACTION = {"t1": ("P1 min S=200", "P2 min S=200", "P1 min S=10", "P1 min S=1"), "t2": ("PCK150 best",)}

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--every", type=int, default=64, help="evaluate every k-th test pose of each take")
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--sampler", default=None)
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--rows", default=None, help="with one table: rerun only these rows (1-based, e.g. 1,2), "
                        "keeping the others from its JSON")
    parser.add_argument("--render-only", action="store_true")
    args = parser.parse_args()
    only_rows = {int(n) for n in args.rows.split(",")} if args.rows else None
    if only_rows and "," in args.tables:
        parser.error("--rows needs a single table in --tables")
    if not args.render_only:
        prior = PosePrior.load(args.checkpoint) if args.checkpoint else PosePrior.pretrained()
        changes = {k: v for k, v in (("name", args.sampler), ("steps", args.steps)) if v is not None}
        prior = prior.with_sampler(**changes) if changes else prior
        RESULTS.mkdir(parents=True, exist_ok=True)
        for table_id in args.tables.split(","):
            table = run_table(prior, table_id, args.every, args.checkpoint, only_rows)
            atomic_write(RESULTS / f"{table_id}.json", lambda tmp: Path(tmp).write_text(json.dumps(table, indent=1)))
    print(render())
    render_results.main([])  # every table of docs/RESULTS.md, the claims included


if __name__ == "__main__":
    main()
