"""Fill the tables of docs/RESULTS.md from the JSON results in docs/results/.

Every table in docs/RESULTS.md sits between `<!-- table:NAME -->` and `<!-- /table -->`; this script
replaces what is between the markers with RENDERERS[NAME] of the JSON files, so no number in a table
is typed by hand. It samples nothing: the benchmarks that write the JSON are named in each table.

    python benchmarks/render_results.py           # rewrite docs/RESULTS.md
    python benchmarks/render_results.py --check   # exit 1 if it is out of date or has a line over 120

`python benchmarks/paper_tables.py` (and its `--render-only`) ends by calling this.
"""

import argparse
import json
import re
import statistics
import sys
import textwrap
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "results"
REPORT = ROOT / "docs" / "RESULTS.md"
MAX_LINE = 120
BLOCK = re.compile(r"(<!-- table:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /table -->)", re.S)


@cache
def load(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text())


def wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, MAX_LINE, subsequent_indent=indent, break_long_words=False, break_on_hyphens=False)


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell if isinstance(cell, str) else f"{cell:.1f}" for cell in row) + " |"
              for row in rows]
    return "\n".join(lines)


def ordinal(n: int) -> str:
    return f"{n}{'th' if n % 100 in (11, 12, 13) else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def avg(cell: dict, column: str) -> float:
    return cell["table"][column]["Avg"]


def cells(name: str, model: str | None = None, data: str | None = None) -> list[dict]:
    return [c for c in load(name)["cells"] if model in (None, c["model"]) and data in (None, c["data"])]


def cell(name: str, model: str, data: str) -> dict:
    found = cells(name, model, data)
    if len(found) != 1:
        raise SystemExit(f"{name}.json: {len(found)} cells for model {model!r} on {data!r}")
    return found[0]


def verdict(met: bool) -> str:
    return "met" if met else "**missed**"


def source(*names: str) -> str:
    return "JSON: " + ", ".join(f"`docs/results/{n}.json`" for n in names)


# --- Estimation: the paper's tables -------------------------------------------------------------

def paper_table(table_id: str) -> str:
    t = load(table_id)
    s = t["sampler"]
    subset = (f"CMU test takes, every {ordinal(t['every'])} pose" if t["data"] == "cmu"
              else f"bundled test split, every {ordinal(t['every'])} pose of each take")
    reruns = "".join(f"; rows {', '.join(map(str, r['rows']))} rerun {r['date']}" for r in t.get("reruns", []))
    lines = [wrap(f"**{t['title']}** {t['inputs']} inputs ({subset}); {s['name']} x {s['steps']}; "
                  f"{t['hardware']}. `{t['command']}`{reruns}."), ""]
    rows = [[r["label"]] + [r["table"][c]["Avg"] if c in r["table"] else "-" for c in t["columns"]]
            for r in t["rows"]]
    return "\n".join(lines) + "\n" + table(["row"] + t["columns"], rows) + "\n\n" + wrap(t["paper"] + ".")


def denoising() -> str:
    """Table 7 pivoted: one row per noise, the three denoisers side by side (P1 after, mm)."""
    t = load("t7")
    by_noise: dict[str, dict] = {}
    for r in t["rows"]:
        noise, how, t0 = r["label"].rsplit(", ", 2)
        by_noise.setdefault(noise, {})[f"{how}, {'paper' if 'auto' not in t0 else 'matched'}"] = r
        if "auto" in t0:
            by_noise[noise]["t0"] = t0.split("= ")[1]
    rows = []
    for noise, r in by_noise.items():
        paper, matched, mean = r["sample, paper"], r["sample, matched"], r["mean, matched"]
        rows.append([noise, r["t0"], avg(paper, "P1 before"), avg(paper, "P1 after"), avg(matched, "P1 after"),
                     avg(mean, "P1 after"), avg(paper, "P2 before"), avg(mean, "P2 after")])
    s = t["sampler"]
    head = wrap(f"{t['inputs']} inputs (bundled test split, every {ordinal(t['every'])} pose of each take); the "
                f"reverse SDE from the paper's t0 (0.05, or 0.1 for the three strongest noises) or from t0 matched to "
                f"the noise, or the posterior mean at the matched t0 (Tweedie, one network evaluation); "
                f"{s['name']} x {s['steps']}; {t['hardware']}. `{t['command']}`.")
    return head + "\n\n" + table(["noise", "matched t0", "P1 before", "sample, paper t0", "sample, matched t0",
                                   "mean, matched t0", "P2 before", "P2 mean"], rows) + "\n\n" + wrap(t["paper"] + ".")


def lifter_table(number: int) -> str:
    t = load(f"lifter_t{number}")
    columns = list(next(iter(t["rows"].values())))
    reused = " (D rows: `lifters_from` in the JSON)" if "lifters_from" in t else ""
    head = wrap(f"{t['inputs']} inputs (every {ordinal(t['every'])} bundled test pose); lifters trained "
                f"{t['steps']} steps; {t['hardware']}; `lifter_t{number}.json`{reused}.")
    rows = [[name] + [row[c] for c in columns] for name, row in t["rows"].items()]
    return head + "\n\n" + table(["model"] + columns, rows)


PAPER_LIFTERS = {4: "Paper (H3.6M; GT, DT, GT+N(0,25), DT+N(0,25)): P(GT) 35.6, 55.7, 72.2, 81.2; D(GT) 41.9, 61.6, "
                    "77.9, 89.2; P(DT) 38.9, 51.0, 61.1, 69.0; D(DT) 46.9, 57.0, 64.4, 72.1.",
                 8: "Paper (H3.6M): real 2,438: 66.1; + 2,438 generated 60.0; + 177,200: 58.1; generated alone: "
                    "58.1; real 1,559,752: 54.3; + 177,200 generated: 53.4."}


def render_lifter(number: int):
    return lambda: lifter_table(number) + "\n\n" + wrap(PAPER_LIFTERS[number])


def estimation_targets() -> str:
    """The converged-prior issue's targets, each computed from the JSON that measures it."""
    t4 = load("lifter_t4")["rows"]
    p1, mean50, twin = t4["P (GT)"]["GT"], t4["P (GT), mean of 50"]["GT"], t4["D (GT)"]["GT"]
    shipped = cell("cross_dataset", SHIPPED_MOCAP, "bundled")
    min1, min2 = avg(shipped, "P1 min S=200"), avg(shipped, "P2 min S=200")
    filed, now = filed_and_current_step_ms()
    quick = cell("from_scratch_24min", "scratch-fast@3800", "bundled")
    check = load("sampling_shipped")
    ref, default = check["rows"][0], check["rows"][-1]
    close = (default["minP1"] - ref["minP1"] <= 1.0
             and all(default[k + "_diff"] <= 2 * default[k + "_diff_se"] for k in ("P1_S1", "meanP1")))
    rows = [
        ["P1 of one hypothesis <= 1.5 x the deterministic twin's (Table 4, GT)",
         f"{p1:.1f} against {twin:.1f} mm, {p1 / twin:.2f}x", verdict(p1 <= 1.5 * twin)],
        ["P1 of the mean of 50 hypotheses <= the twin's + 5 mm (Table 4)", f"{mean50:.1f} against {twin:.1f} mm",
         verdict(mean50 <= twin + 5)],
        ["minP1 <= 30, minP2 <= 22 mm at S = 200 (317 inputs, `cross_dataset.json`)",
         f"{min1:.1f} and {min2:.1f} mm", verdict(min1 <= 30 and min2 <= 22)],
        ["training throughput >= 2x the step as filed (Training speed)", f"{filed:.0f} -> {now:.0f} ms a step, "
         f"{filed / now:.2f}x", verdict(filed / now >= 2)],
        ["minP2 <= 30 mm at S = 200 after 25 minutes from scratch (Recipes)",
         f"{avg(quick, 'P2 min S=200'):.1f} mm (`--config quick`)", verdict(avg(quick, "P2 min S=200") <= 30)],
        ["few-step default within 1 mm of Alg. 1 (Sampling)", f"best of {check['hypotheses']} {default['minP1']:.1f}"
         f" against {ref['minP1']:.1f} mm", verdict(close)],
        ["the paper's 950,000 x 1,000 poses on a GPU, shipped", "`--config gpu` exists; no GPU run", "**not done**"],
    ]
    return table(["target", "measured", ""], rows)


# --- Sampling ------------------------------------------------------------------------------------

def sampler_row(r: dict) -> list:
    diff = f"{r['P1_S1_diff']:+.1f} +- {r['P1_S1_diff_se']:.1f}"
    mean = f"{r['meanP1_diff']:+.1f} +- {r['meanP1_diff_se']:.1f}"
    name = f"{r['sampler']} x {r['steps']}" + ("" if r["schedule"] == "quadratic" else f" ({r['schedule']})")
    return [name, r["precision"], f"{r['nfe']}", r["minP1"], r["minP2"], r["P1_S1"], diff, mean,
            f"{r['hyp_per_s']:,.0f}"]


SAMPLER_HEADER = ["sampler", "precision", "NFE", "minP1", "minP2", "P1 S=1", "vs Alg. 1", "mean P1 vs Alg. 1",
                  "hyp/s"]


def sampling() -> str:
    s = load("sampling")
    head = wrap(f"{s['inputs']} bundled test inputs x {s['hypotheses']} hypotheses per row, plus "
                f"{s['single_inputs']} inputs x 1 for P1 at S = 1; differences paired against the first row "
                f"(Alg. 1), +- one standard error; {s['hardware']}. `{s['command']}`.")
    return head + "\n\n" + table(SAMPLER_HEADER, [sampler_row(r) for r in s["rows"]])


def sampler_checks() -> str:
    rows = []
    for name, model in (("sampling_shipped", "estimation"), ("sampling_u3d", "unified")):
        for r in load(name)["rows"]:
            rows.append([model] + sampler_row(r))
    s = load("sampling_shipped")
    head = wrap(f"{s['inputs']} inputs x {s['hypotheses']} hypotheses ({s['single_inputs']} x 1 for S = 1), each "
                f"shipped model alone; {source('sampling_shipped', 'sampling_u3d')}, commands inside.")
    return head + "\n\n" + table(["model"] + SAMPLER_HEADER, rows)


def network_size() -> str:
    s = load("network_size")
    rows = [[f"{r['blocks']} x {r['hidden']}", r["params_m"], f"{r['train_step']:,}", r["final_loss"], r["minP1"],
             r["minP2"], r["P1_S1"], f"{r['hyp_per_s']:,.0f}"] for r in s["rows"]]
    head = wrap(f"{s['inputs']} inputs x {s['hypotheses']} hypotheses; {s['rows'][0]['sampler']} x "
                f"{s['rows'][0]['steps']} ({s['rows'][0]['precision']}); {s['hardware']}; "
                "`python benchmarks/network_size.py MODEL... --json`, `network_size.json`.")
    paper = wrap("Paper (H3.6M, 1k steps, minP1 / samples per second on a 2080Ti): 2 x 512 44.3 / 461, "
                 "2 x 1024 35.6 / 240, 2 x 2048 37.6 / 79, 2 x 4096 37.5 / 35, 3 x 1024 37.2 / 154, "
                 "4 x 1024 37.1 / 123.")
    return head + "\n\n" + table(["blocks x width", "params M", "steps", "loss", "minP1", "minP2", "P1 S=1",
                                  "hyp/s"], rows) + "\n\n" + paper


# --- Generalisation ------------------------------------------------------------------------------

SHIPPED_MOCAP = "resume@27000"  # the shipped mocap estimation model's label in cross_dataset.json


def cross_dataset() -> str:
    rows = []
    for name, model, label in (("cross_dataset", SHIPPED_MOCAP, "mocap estimation"),
                               ("cross_dataset_detector", "detector", "detector")):
        for c in cells(name, model):
            rows.append([label, c["data"], f"{c['count']}", avg(c, "P1 min S=1"), avg(c, "P1 min S=200"),
                         avg(c, "P2 min S=200"), avg(c, "P1 of mean pose"), avg(c, "bone error S=1"),
                         avg(c, "PCK150 best")])
    head = wrap("GT 2D, S = 200; each model against ground truth in its own joint definition; "
                f"{source('cross_dataset', 'cross_dataset_detector')} (commands inside; "
                "`cd benchmarks && python cross_dataset.py --render FILE` prints every cell and per-action tables).")
    return head + "\n\n" + table(["model", "test set", "inputs", "P1 S=1", "minP1", "minP2", "P1 mean pose",
                                  "bone error", "PCK150"], rows)


FLOOR_ACTIONS = {"depositFloorR": "deposit on the floor", "lieDownFloor": "lie down", "squat1Reps": "squat"}


def floor_poses() -> str:
    detector, mocap = cell("cross_dataset_detector", "detector", "HDM05"), load("hdm05_shipped_every16")
    central = load("central_answer")["cells"]["detector"]["HDM05"]["table"]["P1 central"]
    rows = []
    for action, label in FLOOR_ACTIONS.items():
        d1, d200 = (detector["table"][c][action] for c in ("P1 min S=1", "P1 min S=200"))
        m1, m200 = (mocap["table"][c][action] for c in ("P1 min S=1", "P1 min S=200"))
        rows.append([label, m1, m200, d1, central[action], d200,
                     verdict(d200 <= 40) + " / " + verdict(d1 <= 80) + " / " + verdict(central[action] <= 80)])
    head = wrap(f"HDM05 test actors, GT 2D. Mocap estimation model: every {ordinal(mocap['every'])} pose, "
                f"`gfpose evaluate --data {mocap['data']} --every {mocap['every']} --hypotheses 200` "
                f"(`hdm05_shipped_every16.json`); detector model: every {ordinal(detector['every'])} pose "
                "(`cross_dataset_detector.json`); its central answer (One answer, `central_answer.json`). Targets: "
                "minP1 <= 40 mm, one hypothesis (a random one / the central answer) <= 80 mm.")
    return head + "\n\n" + table(["action", "mocap S=1", "mocap minP1", "detector S=1", "central", "minP1",
                                  "targets minP1 / S=1 / central"], rows)


def central_answer() -> str:
    r = load("central_answer")
    rows = []
    for model, sets in r["cells"].items():
        for label, c in sets.items():
            t, sec = c["table"], c["seconds"]
            rows.append([model, label, str(c["inputs"]), f"{t['P1 draw']['Avg']:.1f} / {t['P2 draw']['Avg']:.1f}",
                         f"{t['P1 central']['Avg']:.1f} / {t['P2 central']['Avg']:.1f}",
                         f"{sec['draw']:.1f} / {sec['central']:.1f}"])
    head = wrap("GT 2D through the fixed test cameras, the sets of the cross-dataset table (each model's own joint "
                "definition); P1 / P2 averaged over actions as in Table 1; one random hypothesis (seed "
                f"{r['seed']}) against the central answer; seconds on this run's machine; " + source("central_answer")
                + ".")
    return head + "\n\n" + table(["model", "set", "inputs", "one hypothesis", "central answer", "seconds"], rows)


def generalisation_targets() -> str:
    before, now = (cell("cross_dataset", m, "CMU") for m in ("shipped", SHIPPED_MOCAP))
    rows = []
    for text, column, goal in (("CMU minP1 at S = 200 <= 50 mm", "P1 min S=200", lambda b, n: n <= 50),
                               ("CMU P1 of one hypothesis <= 80 mm", "P1 min S=1", lambda b, n: n <= 80),
                               ("CMU bone error at most half of before", "bone error S=1", lambda b, n: n <= b / 2)):
        b, n = avg(before, column), avg(now, column)
        rows.append([text, b, n, verdict(goal(b, n))])
    rows.append(["bundled minP1 within 2 mm of the same recipe without augmentation",
                 "-", "-", "met by not shipping augmentation"])
    return table(["target (generalisation issue)", "before (1,750 steps)", "shipped", ""], rows)


AUGMENT_MODELS = {"control@5k": "control (A)", "aug@5k": "skeleton augmentation (B)",
                  "recomb@5k": "limb recombination (C)"}
AUGMENT_SETS = (("bundled", "cross_skeleton"), ("bundled as H36M", "cross_skeleton"), ("CMU", "cross_augment_cmu"))


def augmentation() -> str:
    rows = []
    for data, name in AUGMENT_SETS:
        for model, label in AUGMENT_MODELS.items():
            c = cell(name, model, data)
            rows.append([data, label, avg(c, "P1 min S=1"), avg(c, "P1 min S=20"), avg(c, "P1 of mean pose"),
                         avg(c, "bone error S=1")])
    head = wrap("Three runs from the same 1,750-step state, 3,250 steps each, compared at step 5,000; S = 20; "
                f"{source('cross_skeleton', 'cross_augment_cmu')} (commands inside).")
    return head + "\n\n" + table(["test set", "run", "P1 S=1", "best of 20", "P1 mean pose", "bone error"], rows)


BONE_RESULTS = {"bone_lengths_control_5000": "control A, step 5,000",
                "bone_lengths_augmented_5000": "augmented B, step 5,000",
                "bone_lengths": "mocap estimation, 7,750 steps", "bone_lengths_edm": "mocap estimation, 14,750 steps",
                "bone_lengths_detector": "detector model"}


def median_share(bones: dict, key: str) -> float | None:
    """Median over bones of a share followed ("followed" or "followed_proportion"), None where no bone has one."""
    shares = [b[key] for b in bones.values() if b[key] is not None]
    return statistics.median(shares) if shares else None


def bone_lengths() -> str:
    sets = ["bundled", "CMU", "bundled as H36M", "HDM05"]
    rows = []
    for name, label in BONE_RESULTS.items():
        row = [label]
        for s in sets:
            bones = load(name)["sets"].get(s, {}).get("bones")
            if bones is None:
                row.append("-")
                continue
            error = statistics.mean(b["error"] for b in bones.values())
            shares = [median_share(bones, key) for key in ("followed", "followed_proportion")]
            row.append(" / ".join([f"{error:.1f}"] + ["-" if x is None else f"{x:.2f}" for x in shares]))
        rows.append(row)
    head = wrap("Mean bone-length error (mm) / share of the test skeleton's bone-length difference from the "
                "training skeleton that the estimates follow / the same for proportions, every skeleton scaled to "
                "the training skeleton's summed bone length (medians over bones differing by > 10 mm; 1 = the test "
                "skeleton's, 0 = the training skeleton's); `python benchmarks/bone_lengths.py --model MODEL`, "
                "JSON `docs/results/bone_lengths*.json` (per bone: `--render FILE`).")
    return head + "\n\n" + table(["model"] + sets, rows)


# --- Training ------------------------------------------------------------------------------------

RECIPES = {"recipe_paper": "paper (noise, dropout 0.25)", "recipe_edm": "EDM", "recipe_drop01": "dropout 0.1",
           "recipe_default": "EDM + dropout 0.1", "recipe_b250": "EDM + dropout 0.1, batch 250"}


def recipes() -> str:
    runs = load("recipe_curves")["runs"]
    rows = []
    for run, label in RECIPES.items():
        for point in runs[run]:
            if point["poses"] in (1_000_000, 2_000_000) or (run == "recipe_b250" and point["poses"] == 1_500_000):
                b, c = point["bundled"], point["CMU"]
                rows.append([label, f"{point['step']:,}", f"{point['poses'] / 1e6:g} M", b["P1 min S=1"],
                             b["P1 of mean pose"], b["P1 min S=20"], b["bone error S=1"], c["P1 min S=1"],
                             c["P1 min S=20"]])
    subsets = load("recipe_curves")["subsets"]
    bundled, cmu = subsets["bundled"], subsets["CMU"]
    head = wrap(f"Estimation model (HPJ-010) from scratch on the bundled train split; EMA weights evaluated on "
                f"fixed subsets (bundled test every {ordinal(bundled['every'])} pose, {bundled['inputs']} inputs; "
                f"CMU test every {ordinal(cmu['every'])}, {cmu['inputs']}), S = 20; "
                f"{source('recipe_curves')} (commands inside).")
    return head + "\n\n" + table(["recipe", "step", "poses", "P1 S=1", "P1 mean pose", "best of 20", "bone",
                                  "CMU P1 S=1", "CMU best of 20"], rows)


SCRATCH = {"scratch@24min": "default: lr 2e-4, 2,000 warm-up, constant",
           "scratch+decay@24min": "the same, last 1,000 steps decayed",
           "scratch-fast@3800": "`--config quick`: lr 6e-4, 300 warm-up, last 1,900 decayed"}


def from_scratch() -> str:
    rows = []
    for model, label in SCRATCH.items():
        c = cell("from_scratch_24min", model, "bundled")
        rows.append([label, f"{c['sampler']['steps']}", avg(c, "P1 min S=1"), avg(c, "P1 min S=200"),
                     avg(c, "P2 min S=200"), avg(c, "P1 of mean pose")])
    head = wrap("About 24 minutes of one core each (batch 250, EDM, dropout 0.1; 4,000, 4,000 and 3,800 steps), "
                f"317 bundled test inputs, S = 200; {source('from_scratch_24min')} (commands inside).")
    return head + "\n\n" + table(["schedule", "sampler steps", "P1 S=1", "minP1", "minP2", "P1 mean pose"], rows)


COOLDOWN = {"const@7000": "constant lr, step 7,000", "cool@6500": "from 4,500, decayed over 2,000",
            "cool@13000": "from 10,000, decayed over 3,000", "cool@15000": "from 12,000, decayed over 3,000",
            "cool@20000": "from 17,000, decayed over 3,000", "cool@22500": "from 19,500, decayed over 3,000",
            "cool@31000": "from 28,000, decayed over 3,000", "resume@14000": "stage 6 (CHANGELOG)",
            "resume@27000": "stage 7, **shipped**"}


def cooldown() -> str:
    rows = []
    for model, label in COOLDOWN.items():
        b, c = cell("cooldown", model, "bundled"), cell("cooldown", model, "CMU")
        rows.append([label, f"{b['sampler']['steps']}", avg(b, "P1 min S=1"), avg(b, "P1 min S=200"),
                     avg(b, "P2 min S=200"), avg(b, "P1 of mean pose"), avg(c, "P1 min S=1"), avg(c, "P1 min S=200"),
                     avg(c, "bone error S=1")])
    head = wrap("The batch-250 run of the estimation model, its weights at a step or cooled down from it; 317 "
                f"bundled and 164 CMU test inputs, S = 200; {source('cooldown')} (commands inside).")
    return head + "\n\n" + table(["weights", "sampler steps", "P1 S=1", "minP1", "minP2", "P1 mean pose",
                                  "CMU P1 S=1", "CMU minP1", "CMU bone"], rows)


def filed_and_current_step_ms() -> tuple[float, float]:
    """The step as the training issue found it (per-row times, torch's dropout, per-parameter Adam and EMA)
    and the step now (32 shared times), batch 1,000 on 2 threads, from one run of training_speed.py."""
    t = load("training_speed")
    row = {(r["distinct_times"], r["threads"]): r for r in t["rows"]}
    part = {(b["distinct_times"], b["threads"]): b for b in t["breakdown"]}
    old, new, parts = row[(0, 2)], row[(32, 2)], part[(0, 2)]
    filed = (old["step_ms"] + old["batch_ms"] + parts["forward_backward_torch_dropout_ms"]
             - parts["forward_backward_ms"] + parts["clip_adam_ema_per_parameter_ms"] - parts["clip_adam_ema_ms"])
    return filed, new["step_ms"] + new["batch_ms"]


def training_speed() -> str:
    t = load("training_speed")
    first = t["rows"][0]["poses_per_s"]
    rows = [[r["precision"], "1,000 (per row)" if r["distinct_times"] == 0 else f"{r['distinct_times']} shared",
             f"{r['threads']}", r["batch_ms"], r["step_ms"], f"{r['steps_per_s']:.2f}", f"{r['poses_per_s']:,}",
             f"{r['poses_per_s'] / first:.2f}"] for r in t["rows"]]
    parts = [["1,000 (per row)" if b["distinct_times"] == 0 else f"{b['distinct_times']} shared", f"{b['threads']}",
              b["forward_backward_ms"], b["forward_backward_torch_dropout_ms"], b["clip_adam_ema_ms"],
              b["clip_adam_ema_per_parameter_ms"], b["products_ms"], b["products_gflop"],
              f"{b['products_gflop_per_s']:.0f}"] for b in t["breakdown"]]
    filed, now = filed_and_current_step_ms()
    head = wrap(f"Paper-size network, batch {t['batch_size']:,}; {t['hardware']}. `{t['command']}`.")
    tail = wrap(f"ms per step; \"torch dropout\" is fwd + bwd with torch's dropout, \"update\" clipping, Adam and the "
                f"EMA (\"looped\": per parameter), \"matmuls\" the network's matrix products timed alone. The "
                f"step as the training issue found it (per-row times, torch's dropout, looped update; 2 threads) "
                f"adds up to {filed:.0f} ms; the step now is {now:.0f} ms: "
                f"{filed / now:.2f}x.")
    return (head + "\n\n" + table(["precision", "times per batch", "threads", "batch build ms", "step ms", "steps/s",
                                   "poses/s", "x first row"], rows)
            + "\n\n" + table(["times per batch", "threads", "fwd + bwd", "torch dropout", "update", "looped update",
                              "matmuls", "GFLOP", "GFLOP/s"], parts) + "\n\n" + tail)


# --- Sequences -----------------------------------------------------------------------------------

def sequences(task: str):
    def render() -> str:
        rows = []
        for method, row in load("sequences")["tasks"][task].items():
            rows.append([method] + [f"{row[s]['P1']:.1f} / {row[s]['P2']:.1f} / {row[s]['acceleration']:.1f}"
                                    for s in ("bandai", "cmu")] + [f"{row['frames/s']:,.0f}"])
        return table(["method", "bundled P1 / P2 / accel.", "CMU P1 / P2 / accel.", "frames/s"], rows)
    return render


# --- Real footage --------------------------------------------------------------------------------

def multiview_reference() -> str:
    ref = load("multiview_reference")
    rows = []
    for step, r in ref["steps"].items():
        bone, sd = max(r["bone_length_sd_mm"].items(), key=lambda kv: kv[1])
        rows.append([step, r["median_reprojection_px"], f"{sd:.1f} ({bone})", ""])
    rows[-1][-1] = reference_verdict(ref["reference"], ref["targets"])
    multi = load("multiview_reference_multiperson")
    for person, p in multi["people"].items():
        r = p["reference"]
        bone, sd = max(r["bone_length_sd_mm"].items(), key=lambda kv: kv[1])
        rows.append([f"two-person clip, {person.replace('person', 'person ')}", r["median_reprojection_px"],
                     f"{sd:.1f} ({bone})", reference_verdict(r, multi["targets"])])
    targets = ref["targets"]
    head = wrap(f"{ref['triangulation']}; targets: median reprojection <= {targets['median_reprojection_px']} px, "
                f"every limb bone's sd over the clip <= {targets['limb_bone_length_sd_mm']} mm. `python "
                "benchmarks/footage/multiview_reference.py`; "
                + source("multiview_reference", "multiview_reference_multiperson") + ".")
    return head + "\n\n" + table(["one-person clip: step (each adds to the one above)", "median reprojection px",
                                  "worst limb bone sd mm", "targets"], rows)


def reference_verdict(reference: dict, targets: dict) -> str:
    return (verdict(reference["median_reprojection_px"] <= targets["median_reprojection_px"]) + " / "
            + verdict(max(reference["bone_length_sd_mm"].values()) <= targets["limb_bone_length_sd_mm"]))


def footage_people() -> list[tuple[str, dict]]:
    people = [("one person", load("monocular_footage"))]
    for person, result in load("monocular_footage_multiperson")["people"].items():
        people.append((f"{person.replace('person', 'person ')} of 2", result))
    return people


def footage_vs_mediapipe() -> str:
    rows = []
    for label, r in footage_people():
        ours, peer = r["errors"]["average"]["all_joints"], r["peer"]["mediapipe_3d"]["average"]["all_joints"]
        both = r["from_detector_3d"]["errors"]["average"]["all_joints"]
        rows.append([label, f"{peer['p_mpjpe']:.1f} / {peer['mpjpe_scaled']:.1f} / {peer['acceleration_error']:.1f}",
                     f"{ours['p_mpjpe_s1']:.1f} / {ours['mpjpe_scaled_s1']:.1f}",
                     f"{ours['p_mpjpe_central']:.1f} / {ours['mpjpe_scaled_central']:.1f}",
                     *(f"{x['p_mpjpe_track']:.1f} / {x['mpjpe_scaled_track']:.1f} / {x['acceleration_error']:.1f}"
                       for x in (ours, both)),
                     f"{ours['p_mpjpe_best']:.1f}"])
    noise = footage_people()[0][1]["from_detector_3d"]["start_noise_mm"]
    head = wrap("Average over the 4 cameras, all 17 joints: P-MPJPE / MPJPE after one global scale / acceleration "
                "error (mm/frame^2 at 60 fps); gfpose = the detector model; \"+ mediapipe 3D\": the same with "
                f"every frame started from mediapipe's 3D perturbed to {noise:g} mm of noise (the noise chosen on "
                "the first clip); central: each frame's one deterministic answer (`PosePrior.central_estimate`, "
                "lift.npz `central`); "
                + source("monocular_footage", "monocular_footage_multiperson") + ".")
    return head + "\n\n" + table(["clip", "mediapipe 3D", "gfpose S=1", "gfpose central", "gfpose track",
                                  "+ mediapipe 3D", "best of 50"], rows)


def footage_cameras() -> str:
    r = load("monocular_footage")
    rows = []
    for camera, e in r["errors"].items():
        a = e["all_joints"]
        rows.append([camera, a["p_mpjpe_s1"], a["p_mpjpe_best"], a["p_mpjpe_track"], a["mpjpe_scaled_s1"],
                     a["mpjpe_scaled_best"], a["mpjpe_scaled_track"], a["track_acceleration"],
                     a["reference_acceleration"]])
    a = load("monocular_footage_independent")["errors"]["average"]["all_joints"]
    rows.append(["average, mocap model, frames independent", a["p_mpjpe_s1"], a["p_mpjpe_best"], a["p_mpjpe_track"],
                 a["mpjpe_scaled_s1"], a["mpjpe_scaled_best"], a["mpjpe_scaled_track"], a["track_acceleration"],
                 a["reference_acceleration"]])
    head = wrap(f"One-person clip, detector model, S = {r['hypotheses']} in chains of {r['chain_frames']} frames; "
                "the last row is the mocap estimation model with every frame drawn independently; "
                + source("monocular_footage", "monocular_footage_independent") + ".")
    return head + "\n\n" + table(["camera", "P-MPJPE S=1", "best of 50", "track", "scaled S=1", "best of 50", "track",
                                  "track accel.", "reference accel."], rows)


def lift_speed() -> str:
    r = load("lift_speed")
    rows = [["independent" if x["chain_frames"] == 1 else f"chains of {x['chain_frames']}", f"{x['frames']}",
             x["frames_per_s"], x["hypotheses_seconds"], f"{x['track_seconds']:.2f}"] for x in r["lifting"]]
    head = wrap(f"{r['hypotheses']} hypotheses a frame, the 4 views' 2D; {r['hardware']}; detection alone "
                f"{r['detection']['frames_per_s']} frames/s on `{r['detection']['clip']}`. `{r['command']}`, "
                f"{source('lift_speed')}.")
    return head + "\n\n" + table(["frames", "count", "frames/s", "hypotheses s", "track s"], rows)


def levers() -> str:
    r = load("levers")
    rows = []
    for name, run in r["runs"].items():
        one, two, floor = run["first_clip"], run["two_person_clip"], run["floor_min_p1"]
        rows.append([run["what"], f"{one['p_mpjpe_s1']:.1f} / {one['mpjpe_scaled_s1']:.1f}",
                     f"{one['p_mpjpe_track']:.1f} / {one['mpjpe_scaled_track']:.1f}",
                     f"{two['p_mpjpe_track']:.1f} / {two['mpjpe_scaled_track']:.1f}",
                     *(f"{run[s]['p1_s1']:.1f} / {run[s]['min_p1_s' + str(r['hypotheses'])]:.1f}"
                       for s in ("bundled", "HDM05")),
                     f"{floor['lieDownFloor']:.1f}",
                     f"{run['bones_followed']:.2f} / {run['proportions_followed']:.2f}"])
    head = wrap(f"The detector recipe trained {r['steps']:,} steps from the mocap estimation model, whole and without "
                f"one lever; footage: P-MPJPE / scaled MPJPE, 4-camera average, all joints (clip 2, the two-person "
                "clip: mean of its two people); GT 2D (each model's own joint definition): P1 of one hypothesis / "
                f"best of {r['hypotheses']}; bones: shares of \"bundled as H36M\" followed (lengths / proportions). "
                "`python benchmarks/levers.py` prints every command; " + source("levers") + ".")
    return head + "\n\n" + table(["run", "clip 1 S=1", "clip 1 track", "clip 2 track", "bundled", "HDM05",
                                  "lying best", "bones"], rows)


def footage_targets() -> str:
    first = load("monocular_footage")["errors"]["average"]["all_joints"]
    both = load("monocular_footage")["from_detector_3d"]["errors"]["average"]["all_joints"]
    detector = cell("cross_dataset_detector", "detector", "bundled")
    mocap = cell("cross_dataset", SHIPPED_MOCAP, "bundled")
    gap1 = avg(detector, "P1 min S=1") - avg(mocap, "P1 min S=1")
    gap200 = avg(detector, "P1 min S=200") - avg(mocap, "P1 min S=200")
    central = {m: load("central_answer")["cells"][m]["bundled"]["table"]["P1 central"]["Avg"]
               for m in ("detector", "mocap")}
    central_gap = central["detector"] - central["mocap"]
    bones = load("bone_lengths_detector")["sets"]["bundled as H36M"]["bones"]
    followed, proportion = (median_share(bones, key) for key in ("followed", "followed_proportion"))
    rows = [["first clip, track: P-MPJPE <= 63 / scaled MPJPE <= 95 mm",
             f"{first['p_mpjpe_track']:.1f} / {first['mpjpe_scaled_track']:.1f}",
             f"{verdict(first['p_mpjpe_track'] <= 63)} / {verdict(first['mpjpe_scaled_track'] <= 95)}"],
            ["first clip, one hypothesis: the same", f"{first['p_mpjpe_s1']:.1f} / {first['mpjpe_scaled_s1']:.1f}",
             f"{verdict(first['p_mpjpe_s1'] <= 63)} / {verdict(first['mpjpe_scaled_s1'] <= 95)}"],
            ["first clip, the central answer (lift.npz central): the same",
             f"{first['p_mpjpe_central']:.1f} / {first['mpjpe_scaled_central']:.1f}",
             f"{verdict(first['p_mpjpe_central'] <= 63)} / {verdict(first['mpjpe_scaled_central'] <= 95)}"],
            ["first clip, the hypotheses' mean (lift.npz interval_center): the same",
             f"{first['p_mpjpe_mean']:.1f} / {first['mpjpe_scaled_mean']:.1f}",
             f"{verdict(first['p_mpjpe_mean'] <= 63)} / {verdict(first['mpjpe_scaled_mean'] <= 95)}"],
            *([f"first clip, started from mediapipe 3D, {what}", f"{both[p]:.1f} / {both[m]:.1f}",
               f"{verdict(both[p] <= 63)} / {verdict(both[m] <= 95)}"]
              for what, p, m in (("track", "p_mpjpe_track", "mpjpe_scaled_track"),
                                 ("one hypothesis", "p_mpjpe_s1", "mpjpe_scaled_s1"))),
            ["bundled test takes within 2 mm of the mocap model (S = 1 / S = 200)", f"+{gap1:.1f} / +{gap200:.1f} mm",
             verdict(gap1 <= 2 and gap200 <= 2)],
            ["the same for the central answer (One answer, `central_answer.json`)", f"+{central_gap:.1f} mm",
             verdict(central_gap <= 2)],
            ["share of an unseen skeleton's bone lengths followed >= 0.5", f"{followed:.2f}", verdict(followed >= 0.5)],
            ["the same for its proportions (overall size taken out)", f"{proportion:.2f}", verdict(proportion >= 0.5)]]
    return table(["target (detector model)", "measured", ""], rows)


# --- Plausibility --------------------------------------------------------------------------------

def plausibility() -> str:
    r = load("plausibility")
    sets = [name for name in r["sets"] if not name.endswith(", definition fitted")]
    pair = {name: (r["sets"][name], r["sets"][f"{name}, definition fitted"]) for name in sets}
    rows = [[label] + [" / ".join(f"{side['corruptions'][label]['auc']:.3f}" for side in pair[name]) for name in sets]
            for label in r["sets"][sets[0]]["corruptions"]]
    rows.append(["clean poses flagged"] + [" / ".join(f"{100 * side['clean_flagged']:.1f}%" for side in pair[name])
                                           for name in sets])
    t = r["threshold"]
    head = wrap(f"ROC AUC of clean against corrupted held-out poses (400 per set), each cell as given / in the joint "
                f"definition fitted to the clean poses; flag threshold {t['value']:.2f}, the {t['percentile']:g}th "
                f"percentile of {t['poses']:,} bundled test poses' scores; {t['ms_per_pose']:.2f} ms per pose; "
                f"`cd benchmarks && python plausibility.py`, {source('plausibility')}.")
    targets = {"hyperextended knee": "knees", "hyperextended elbow": "elbows", "arms swapped left/right": "arms",
               "legs swapped left/right": "legs"}
    intervals = "; ".join(f"{name} " + ", ".join(
        f"{short} {'{:.3f}-{:.3f}'.format(*pair[name][1]['corruptions'][label]['auc_interval'])}"
        for label, short in targets.items()) for name in sets)
    gross = ("hyperextended knee", "hyperextended elbow", "limb from another pose")
    tail = "\n\n" + wrap("95% bootstrap intervals over each set's takes (a take's poses share its motion and body; "
                          "CMU has 6 test takes), in the fitted definition, of the AUCs the target is on (knees and "
                          "elbows bent back, arms and legs swapped): " + intervals + ".")
    tail += "\n\n" + wrap("The summed nats of all 17 joints (the score before body parts), AUC in the fitted "
                          "definition: " + "; ".join(f"{name} " + ", ".join(
                              f"{label} {pair[name][1]['corruptions'][label]['auc_total_nats']:.3f}" for label in gross)
                              for name in sets) + ".")
    def weak_actions(name: str, label: str) -> list[str]:  # actions of >= 10 poses whose own AUC is under 0.95
        by_action = pair[name][1]["corruptions"][label]["auc_by_action"]
        return [f"{a} {r['auc']:.3f} ({r['poses']})" for a, r in by_action.items()
                if r["auc"] < 0.95 and r["poses"] >= 10]

    below = [f"{name} {label.split()[-1]}s: " + ", ".join(weak_actions(name, label))
             for name in sets for label in ("hyperextended knee", "hyperextended elbow") if weak_actions(name, label)]
    tail += "\n\n" + wrap("Bent-back limbs by action, in the fitted definition (each action's corrupted poses against "
                           "its own clean ones; actions of at least 10 poses under 0.95, poses in brackets): "
                           + "; ".join(below) + ".")
    for name in sets:
        corruptions, unseen = pair[name][1]["corruptions"], pair[name][1].get("unseen_actions")
        if unseen:
            seen = "; ".join(f"{label} {corruptions[label]['auc_seen_actions']:.3f}" for label in gross)
            tail += "\n\n" + wrap(f"{name}, definition fitted, without the poses of actions the training split "
                                   f"lacks ({', '.join(unseen)}), AUC: {seen}.")
    return head + "\n\n" + table(["corruption"] + sets, rows) + tail


def plausibility_footage() -> str:
    footage, rows = load("plausibility")["footage"], []
    for name, camera in footage["cameras"].items():
        for label in ("as_given", "fitted"):
            c = camera[label]
            swaps = "-" if c["swapped_auc"] is None else f"{c['swapped_auc']:.2f}"
            flagged = ", ".join(str(f["frame"]) for f in c["flagged"]) if len(c["flagged"]) <= 8 else \
                f"{c['flagged'][0]['frame']}-{c['flagged'][-1]['frame']} ({len(c['flagged'])})"
            rows.append([name, label.replace("_", " "), f"{c['median']:.1f}", flagged or "-",
                         f"{c['reference_median']:.1f} / {c['reference_flagged']}", swaps,
                         f"{c['spearman_score_vs_pa_mpjpe']:.2f}"])
    control = footage["bundled_as_detector_joints"]
    head = wrap(f"BlazePose's 3D of the one-person Pose2Sim clip (100 frames per camera) scored as given and in the "
                "joint definition fitted to each camera's frames (`PosePrior.fit_definition`, "
                f"{footage['cameras']['cam01']['fitted']['definition']['fit_seconds']:.0f} s); the multi-view "
                "reference (96 frames, the same keypoints triangulated) seen by the same camera and scored the same "
                "way; 'swaps': AUC of the score for the frames whose arms or legs are labelled left for right "
                "(swapping them brings the pose over 10 mm closer to the reference) against the rest. Control: "
                f"{control['poses']} bundled test poses moved to a detector's joint definition score a median "
                f"{control['median']:.1f} ({100 * control['flagged']:.0f}% flagged) as given and "
                f"{control['fitted_median']:.1f} ({100 * control['fitted_flagged']:.0f}%) fitted. Same command.")
    return head + "\n\n" + table(["camera", "scored", "median", "flagged frames", "reference median / flagged",
                                   "AUC swaps", "Spearman(score, PA-MPJPE)"], rows)


# --- Issue 30: several people, uncertainty, feet; issue 28: cameras, the free model -------------

def people_footage() -> str:
    data, rows = load("people_footage"), []
    for camera, found in data["cameras"].items():
        for person, row in found["people"].items():
            ours, crop = row["errors"]["all_joints"], row["crop_based"]["all_joints"]
            rows.append([camera, person, f"{row['found']} / {row['misses']}", str(row["swaps"]),
                         f"{ours['p_mpjpe_track']:.1f} / {ours['mpjpe_scaled_track']:.1f}",
                         f"{row['errors_relabelled']['all_joints']['p_mpjpe_track']:.1f}",
                         f"{crop['p_mpjpe_track']:.1f} / {crop['mpjpe_scaled_track']:.1f}"])
    head = wrap(f"`{data['command']}`, {source('people_footage')}: each detected person's track (all joints, mm) "
                "against that person's multi-view reference; 'relabelled': the same 2D with left/right limbs "
                "swapped where the crop-based input had them corrected; 'crop-based': the same person lifted from "
                "BlazePose on crops that follow them (identities given).")
    return head + "\n\n" + table(["camera", "person", "frames found / missed", "swaps",
                                   "P-MPJPE / scaled MPJPE", "P-MPJPE relabelled", "crop-based"], rows)


def uncertainty() -> str:
    data, rows = load("uncertainty"), []
    for name, kinds in data["held_out"].items():
        for kind, row in kinds.items():
            cover = [f"{100 * row[when][level]['coverage']:.1f}"
                     for level in ("50", "90") for when in ("before", "after")]
            spans = [" ({:.0f}-{:.0f})".format(*(100 * x for x in row["after"][level]["coverage_ci95"]))
                     for level in ("50", "90")]
            after = {level: 100 * row["after"][level]["coverage"] for level in ("50", "90")}
            met = [45 <= after["50"] <= 55, 85 <= after["90"] <= 95]
            rows.append([name, kind.split("-", 1)[1], str(row["frames"]),
                         f"{cover[0]} -> {cover[1]}{spans[0]}", f"{cover[2]} -> {cover[3]}{spans[1]}",
                         " / ".join("met" if ok else "**missed**" for ok in met)])
    head = wrap(f"`{data['command']}`, {source('uncertainty')}: the share (%) of true joints (16, the root left "
                "out) inside the 50% and 90% balls, with the raw hypotheses' quantile about their mean (temperature "
                "1) and with the calibration (per-joint temperatures, widened by the frame's placement residual over "
                f"the hypotheses' spread) fitted on {data['calibration_set'].split(':')[0]} for exact 2D and, for a "
                f"detector's 2D, on {data['calibration_set'].split('detector kinds: ')[1]}; "
                "in brackets the calibrated coverage's 95% bootstrap interval over one-second stretches of the "
                "set's takes (or of a camera's footage); targets 45-55% and 85-95% on each held-out set. The 2D is "
                "exact but for the detector-2D takes and the footage.")
    return head + "\n\n" + table(["set", "chains, centre", "frames", "50%", "90%", "targets 50% / 90%"], rows)


def footage_skate() -> str:
    rows = []
    for label, r in footage_people():
        ours, both = (x["errors"]["average"]["foot_skate_mm"] for x in (r, r["from_detector_3d"]))
        rows.append([label, ours["reference"], ours["track"], both["track"]])
    head = wrap("Real footage: mm of horizontal ankle slide per frame pair where the multi-view reference's foot is in "
                "contact, average over the 4 cameras; the track placed as `gfpose lift` places it (feet held while in "
                "contact), scaled to the subject's size; "
                + source("monocular_footage", "monocular_footage_multiperson") + ".")
    return head + "\n\n" + table(["clip", "reference (its own)", "gfpose track", "+ mediapipe 3D, track"], rows)


def foot_skate() -> str:
    data, held_out = load("foot_skate"), load("foot_skate_cmu_bvh")
    columns = [(data, "bandai"), (data, "cmu"), (held_out, "all")]
    rows = [[name] + [f"{d['rows'][name][s]['P1']:.1f} / {d['rows'][name][s]['skate']:.1f} / "
                      f"{d['rows'][name][s]['reprojection_px']:.1f}" for d, s in columns] for name in data["rows"]]
    command = re.sub(r"(\S+\.bvh ?)+", "TAKES ", held_out["command"])
    head = wrap(f"`{data['command']}` and `{command}` (TAKES: the "
                f"{held_out['rows']['ground truth']['all']['takes']} held-out CMU BVH takes, as in the cleaning "
                f"table below), {source('foot_skate', 'foot_skate_cmu_bvh')}: P1 (mm) / foot skate (mm of horizontal "
                "ankle slide per frame where the true foot is in contact) / reprojection error (px) on the bundled and "
                "CMU test takes and the held-out CMU BVH takes (first 100 frames at 30 fps) seen moving along their "
                "captured path; 20 hypotheses per frame shared by every row.")
    return head + "\n\n" + table(["track", "bundled P1 / skate / px", "CMU P1 / skate / px",
                                   "held-out CMU BVH P1 / skate / px"], rows)


def clean_skate() -> str:
    own, held_out = load("clean_skate"), load("clean_skate_cmu_bvh")
    columns = [(own, "bandai", "bundled"), (own, "cmu", "CMU"), (held_out, "all", "held-out CMU BVH")]
    rows = [[name] + [f"{data['rows'][name][s]['P1']:.1f} / {data['rows'][name][s]['world_mpjpe']:.1f} / "
                      f"{data['rows'][name][s]['skate']:.2f}" for data, s, _ in columns]
            for name in own["rows"]]
    parts = [s for s in held_out["rows"]["ground truth"] if s != "all"]
    by_part = [[name] + [f"{held_out['rows'][name][s]['P1']:.1f} / {held_out['rows'][name][s]['skate']:.2f}"
                         for s in parts] for name in own["rows"]]
    takes = held_out["rows"]["ground truth"]["all"]["takes"]
    command = re.sub(r"(\S+\.bvh ?)+", "TAKES ", held_out["command"])
    head = wrap(f"`{own['command']}` and `{command}` (TAKES: the {takes} held-out takes of "
                "../shared/data/cmu-bvh-subsets, its subjects 02 and 14 and its test dance takes), "
                f"{source('clean_skate', 'clean_skate_cmu_bvh')}: P1 (mm) / world MPJPE (mm, placed) / foot skate (mm "
                "of horizontal ankle slide per frame pair where the true foot is in contact) of takes with "
                f"N(0, {own['noise_mm']:g}^2) mm jitter cleaned as `gfpose denoise take.bvh` cleans them; the "
                "sequence takes at 24-30 fps, the held-out CMU BVH takes (subjects 02 walks, 14 jumps, the test "
                "dance takes) at their 120 fps, so their skate per frame pair is about a quarter.")
    return (head + "\n\n" + table(["take"] + [label for _, _, label in columns], rows) + "\n\nHeld-out CMU BVH "
            "takes by folder, P1 / skate:\n\n" + table(["take"] + parts, by_part))


def camera_tilt() -> str:
    data = load("camera_tilt")
    keyed = {(r["factor"], r["value"], r["model"], r["set"]): r["metrics"] for r in data["rows"]}
    columns = [(m, s) for m in ("mocap", "detector") for s in ("bundled", "CMU")]
    rows = []
    for factor, value in dict.fromkeys((r["factor"], r["value"]) for r in data["rows"]):
        rows.append([factor, str(value)] + [
            f"{keyed[factor, value, m, s]['P1 min S=1']:.1f} / {keyed[factor, value, m, s]['P1 min S=20']:.1f}"
            for m, s in columns])
    head = wrap(f"`{data['command']}`, {source('camera_tilt')}: P1 S=1 / best of 20 (mm), one factor at a time "
                "around a level camera 5 m away with the training focal length; each model gets 2D defined its way.")
    return head + "\n\n" + table(["factor", "value"] + [f"{m} {s}" for m, s in columns], rows)


def free_model() -> str:
    rows = []
    for name, label in (("cross_dataset_detector", "detector model (Bandai + free data)"),
                        ("cross_dataset_free", "free model (CMU, HDM05, CMU BVH)")):
        for c in load(name)["cells"]:
            rows.append([label, c["data"], avg(c, "P1 min S=1"), avg(c, "P1 min S=200"), avg(c, "P1 of mean pose")])
    foot = [("detector model", load("monocular_footage")), ("free model", load("monocular_footage_free"))]
    head = wrap("Both with detector-defined joints, GT 2D, S = 200 (`cd benchmarks && python cross_dataset.py --sets "
                "bundled,CMU,HDM05 --model free=../src/gfpose/assets/gfpose_free_detector_hpj010.safetensors`; "
                f"{source('cross_dataset_free')}, {source('cross_dataset_detector')}). The bundled takes are unseen by "
                "the free model; the CMU and HDM05 test subjects are unseen by both.")
    return (head + "\n\n" + table(["model", "test set", "P1 S=1", "best of 200", "P1 of mean pose"], rows)
            + "\n\n" + footage_pair(foot))


def footage_pair(results) -> str:
    rows = []
    for label, data in results:
        errors = data["errors"]["average"]["all_joints"] if "average" in data["errors"] else None
        if errors is None:
            continue
        rows.append([label, f"{errors['p_mpjpe_s1']:.1f} / {errors['mpjpe_scaled_s1']:.1f}",
                     f"{errors['p_mpjpe_track']:.1f} / {errors['mpjpe_scaled_track']:.1f}", errors["p_mpjpe_best"]])
    return wrap("Real footage, 4-camera average, all joints (`python benchmarks/footage/monocular_vs_reference.py "
                "--detector MODEL`): P-MPJPE / scaled MPJPE, mm.") + "\n\n" + table(
        ["model", "one hypothesis", "track", "P-MPJPE best of 50"], rows)


# --- Claims --------------------------------------------------------------------------------------

def paper_claims() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import claims  # imports gfpose (for the default sampler's settings)
    items = claims.render(RESULTS).strip().splitlines()
    return "\n".join(wrap(item, indent=" " * (item.index(".") + 2)) for item in items)


RENDERERS = {
    **{t: (lambda t=t: paper_table(t)) for t in ("t1", "t2", "t5", "t6", "t15")}, "t7": denoising,
    "t4": render_lifter(4), "t8": render_lifter(8), "estimation-targets": estimation_targets,
    "sampling": sampling, "sampler-checks": sampler_checks, "network-size": network_size,
    "cross-dataset": cross_dataset, "floor-poses": floor_poses, "generalisation-targets": generalisation_targets,
    "augmentation": augmentation, "bone-lengths": bone_lengths,
    "recipes": recipes, "from-scratch": from_scratch, "cooldown": cooldown, "training-speed": training_speed,
    **{f"sequences-{task}": sequences(task) for task in ("estimate", "denoise", "complete-3d")},
    "multiview-reference": multiview_reference, "footage-vs-mediapipe": footage_vs_mediapipe,
    "footage-cameras": footage_cameras, "lift-speed": lift_speed, "footage-targets": footage_targets, "levers": levers,
    "central-answer": central_answer,
    "plausibility": plausibility, "plausibility-footage": plausibility_footage, "claims": paper_claims,
    "people-footage": people_footage,
    "uncertainty": uncertainty, "foot-skate": foot_skate, "footage-skate": footage_skate,
    "clean-skate": clean_skate,
    "camera-tilt": camera_tilt, "free-model": free_model,
}


def render_report(text: str) -> str:
    """Every `<!-- table:NAME -->` block of text filled by RENDERERS[NAME]."""
    def fill(match: re.Match) -> str:
        name = match["name"]
        if name not in RENDERERS:
            raise SystemExit(f"unknown table {name!r}; known: {', '.join(RENDERERS)}")
        return f"{match[1]}{RENDERERS[name]().rstrip()}\n{match[4]}"
    return BLOCK.sub(fill, text)


def long_lines(text: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if len(line) > MAX_LINE]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if the report is out of date")
    args = parser.parse_args(argv)
    text = args.report.read_text()
    rendered = render_report(text)
    too_long = long_lines(rendered)
    if too_long:
        print(f"{args.report}: lines over {MAX_LINE} characters: {too_long}", file=sys.stderr)
    if args.check:
        if rendered != text:
            print(f"{args.report} is out of date: run python benchmarks/render_results.py", file=sys.stderr)
        return int(rendered != text or bool(too_long))
    if rendered != text:
        args.report.write_text(rendered)
        print(f"wrote {args.report}")
    return int(bool(too_long))


if __name__ == "__main__":
    sys.exit(main())
