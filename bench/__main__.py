"""`python -m bench all | list | <scenario> ... [--quick]`: run scenarios, update bench/RESULTS.md.

Each scenario's rows are kept in bench/results.json, so running one scenario refreshes its own
rows and leaves the others' last figures in the table. The generated part of RESULTS.md sits
between two markers; hand-written sections below them are kept.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from . import common

HERE = Path(__file__).resolve().parent
RESULTS_JSON = HERE / "results.json"
RESULTS_MD = HERE / "RESULTS.md"
BEGIN, END = "<!-- bench:begin (python -m bench writes this part) -->", "<!-- bench:end -->"
#: Preferred order; any other module with `NAME` and `run(quick...)` is a scenario too.
ORDER = [
    "baseline",
    "sound_fanout",
    "radio_fanout",
    "idle",
    "latency",
    "ingest",
    "ingest_mqtt",
    "mqtt_e2e",
    "composite_rules",
]
NOT_SCENARIOS = {"common", "__main__", "__init__"}


def scenarios() -> list[str]:
    """Modules with `NAME = ...` and `def run(quick...)`; ORDER first, then the others."""
    found = set()
    for path in HERE.glob("*.py"):
        text = path.read_text()
        if path.stem not in NOT_SCENARIOS and not path.stem.startswith("_"):
            if "\nNAME = " in text and "\ndef run(quick" in text:
                found.add(path.stem)
    return [n for n in ORDER if n in found] + sorted(found - set(ORDER))


def run_one(name: str, quick: bool) -> dict[str, Any]:
    module = importlib.import_module(f"bench.{name}")
    common.CHARTS.clear()
    started = time.time()
    load = os.getloadavg()[0]  # before the scenario adds its own
    try:
        rows = [r.as_dict() for r in module.run(quick)]
        error = ""
    except Exception:
        rows, error = [], traceback.format_exc(limit=5)
        print(error, file=sys.stderr)
    return {
        "title": getattr(module, "NAME", name),
        "rows": rows,
        "charts": [c.as_dict() for c in common.CHARTS],
        "seconds": round(time.time() - started, 1),
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "quick": quick,
        "load": round(load, 1),
        "error": error.strip().splitlines()[-1] if error else "",
    }


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def render(results: dict[str, Any]) -> str:
    load = os.getloadavg()
    lines = [
        BEGIN,
        "## Targets (`python -m bench all`)",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.python_version()}, shared with other "
        f"sessions (load average {load[0]:.1f} when written; each scenario's at its start beside "
        "its date), so absolute figures drift between runs; ratios are against the bare "
        "`websockets` library measured in the same run.",
        "",
        "| scenario | target | measured | bare library | ratio | met |",
        "|---|---|---|---|---|---|",
    ]
    for name in [n for n in scenarios() if n in results] + sorted(set(results) - set(scenarios())):
        result = results[name]
        busy = f", load {result['load']}" if "load" in result else ""
        quick = ", quick" if result["quick"] else ""
        title = f"{result['title']} ({result['when']}{busy}{quick})"
        if result.get("error"):
            lines.append(f"| {title} | failed: {result['error']} | | | | |")
        for i, row in enumerate(result["rows"]):
            title = title if i == 0 else ""
            met = {True: "yes", False: "no", None: "—"}[row["met"]]
            if row["note"]:
                met += f" ({row['note']})"
            ratio = "—" if row["ratio"] is None else f"{row['ratio']:.2f}×"
            unit = row["unit"]
            lines.append(
                f"| {title} | {row['target']} | {_fmt(row['measured'])} {unit} | "
                f"{_fmt(row['bare'])}{' ' + unit if row['bare'] is not None else ''} | "
                f"{ratio} | {met} |"
            )
    charts = [c for r in results.values() for c in r.get("charts", [])]
    if charts:
        lines += ["", *[f"![{c['title']}]({c['filename']})" for c in charts]]
    lines.append(END)
    return "\n".join(lines)


def draw(results: dict[str, Any]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing (pip install -e '.[bench]'): no charts", file=sys.stderr)
        return
    for result in results.values():
        for c in result.get("charts", []):
            fig, ax = plt.subplots(figsize=(6, 4))
            for label, points in c["lines"].items():
                xs, ys = zip(*points, strict=True) if points else ((), ())
                ax.plot(xs, ys, marker="o", label=label)
            if c.get("logx"):
                ax.set_xscale("log")
            ax.set(title=c["title"], xlabel=c["xlabel"], ylabel=c["ylabel"])
            ax.grid(True, alpha=0.3)
            ax.legend()
            fig.tight_layout()
            fig.savefig(HERE / c["filename"], dpi=90)
            plt.close(fig)


def write(results: dict[str, Any]) -> None:
    RESULTS_JSON.write_text(json.dumps(results, indent=1) + "\n")
    text = RESULTS_MD.read_text() if RESULTS_MD.exists() else "# Benchmark and soak results\n"
    block = render(results)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        title, _, body = text.partition("\n")
        text = f"{title}\n\n{block}\n{body}"
    RESULTS_MD.write_text(text)
    draw(results)


def main(argv: list[str] | None = None) -> int:
    names = scenarios()
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("scenario", nargs="+", help=f"all, list, or any of: {', '.join(names)}")
    p.add_argument("--quick", action="store_true", help="short runs (smaller counts)")
    a = p.parse_args(argv)
    if a.scenario == ["list"]:
        print("\n".join(names))
        return 0
    chosen = names if a.scenario == ["all"] else a.scenario
    unknown = [n for n in chosen if n not in names]
    if unknown:
        p.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(names)}")
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    for name in chosen:
        print(f"== {name}", flush=True)
        results[name] = run_one(name, a.quick)
        for row in results[name]["rows"]:
            print(f"   {row['target']}: {_fmt(row['measured'])} {row['unit']}"
                  f" (bare {_fmt(row['bare'])}, met {row['met']})", flush=True)
        write(results)
    return 1 if any(results[n].get("error") for n in chosen) else 0


if __name__ == "__main__":
    raise SystemExit(main())
