"""Evaluation benchmark: load a large snapshot, evaluate every rule, build the report and render each format.

For each size (role assignments; applications default to a tenth of that) a fresh subprocess builds the
snapshot with ``bench/_snapshots.py`` and saves it (timed: ``Snapshot.to_json`` is what ``collect`` writes),
then a second fresh subprocess runs the offline ``scan --snapshot`` path stage by stage, exactly as
``scanner/commands/scan.py`` calls it: ``load_snapshot`` -> ``select_rules`` -> ``evaluate`` -> ``build_report``
-> ``write_reports`` per format (each reporter streams its file, as the CLI writes it). Each stage's wall seconds, the output sizes and the worker's peak RSS are
printed, with microseconds per role assignment and per finding so linear growth can be read off directly.
A fresh process per size keeps the peak RSS figures apart (the peak only grows within a process).

Usage::

    .venv/bin/python bench/evaluate.py                      # 10k and 100k role assignments
    .venv/bin/python bench/evaluate.py --sizes 10k,100k,1M  # the 1M run takes about 12 minutes
    .venv/bin/python bench/evaluate.py --snapshot snapshots/snapshot-250.json   # a tenant bench/collect.py collected
    .venv/bin/python bench/evaluate.py --sizes 100k --apps 100k --formats json,html

This prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(BENCH), str(ROOT)]

from _common import machine_summary, peak_rss_mb, print_table, timed

FORMATS = ("json", "sarif", "html", "junit", "md")


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1M`` -> 1000000, ``2500`` -> 2500."""
    text = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text[:-1] if scale != 1 else text) * scale)


def _current_rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * 4096 / (1024 * 1024)


def prepare(assignments: int, apps: int, path: Path) -> dict[str, Any]:
    """Build the snapshot and save it to ``path`` (runs in its own process)."""
    from _snapshots import build_snapshot

    with timed() as build:
        snapshot = build_snapshot(role_assignments=assignments, applications=apps)
    with timed() as save:
        snapshot.save(path)
    return {"build_s": build.wall_s, "save_s": save.wall_s, "snapshot_mb": path.stat().st_size / 2**20}


def work(path: Path, formats: Sequence[str]) -> dict[str, Any]:
    """The offline scan path, stage by stage (runs in its own process)."""
    from reports import builtin_reporters, write_reports
    from reports.base import ReportOptions
    from scanner.engine import build_report, evaluate, select_rules
    from scanner.inventory import load_snapshot
    from scanner.plugins import load_registry

    out: dict[str, Any] = {"rss_mb": {}}
    with timed() as t:
        snapshot = load_snapshot(path)
    out["load_s"], out["rss_mb"]["load"] = t.wall_s, _current_rss_mb()
    out["counts"] = (len(snapshot.role_assignments), len(snapshot.applications))
    with timed() as t:
        selection = select_rules(load_registry())
        findings = evaluate(snapshot, selection, now=snapshot.finished_at)
    out["evaluate_s"], out["rss_mb"]["evaluate"] = t.wall_s, _current_rss_mb()
    with timed() as t:
        report = build_report(snapshot, selection, findings, tool_version="bench")
    out["report_s"], out["rss_mb"]["report"] = t.wall_s, _current_rss_mb()
    out["findings"] = len(findings)
    out["by_status"] = report.summary.by_status
    del findings
    reporters = builtin_reporters()
    with tempfile.TemporaryDirectory(prefix="ahdsbench-reports-", dir=path.parent) as folder:
        for name in formats:
            with timed() as t:  # the CLI's own path: streamed into a temporary file, renamed into place
                written = write_reports(report, [name], Path(folder), ReportOptions(), reporters=reporters)
            out[f"{name}_s"], out[f"{name}_mb"] = t.wall_s, written[name].stat().st_size / 2**20
            out["rss_mb"][name] = _current_rss_mb()
            written[name].unlink()
    out["peak_rss_mb"] = peak_rss_mb()
    return out


def _child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, *args], check=False, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"worker {' '.join(args)} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: Sequence[str] | None = None) -> int:
    """Run every size in fresh processes and print the stage table, the per-unit table and output sizes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", default="10k,100k", help="role-assignment counts, e.g. 10k,100k,1M (default: 10k,100k)")
    parser.add_argument("--apps", default=None, help="applications per snapshot (default: a tenth of the assignments)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="formats to render (default: all)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the snapshots in this directory")
    parser.add_argument(
        "--snapshot",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="evaluate this saved snapshot (e.g. from `bench/collect.py --save-snapshots` or `ahds-audit "
        "collect`) instead of building one; repeatable, replaces --sizes",
    )
    parser.add_argument("--prepare", nargs=3, metavar=("RA", "APPS", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--work", nargs=2, metavar=("PATH", "FORMATS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.prepare:
        print(json.dumps(prepare(int(args.prepare[0]), int(args.prepare[1]), Path(args.prepare[2]))))
        return 0
    if args.work:
        print(json.dumps(work(Path(args.work[0]), [f for f in args.work[1].split(",") if f])))
        return 0

    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    unknown = set(formats) - set(FORMATS)
    if unknown:
        parser.error(f"unknown format(s): {', '.join(sorted(unknown))}")
    print(f"Machine: {machine_summary()}\n", flush=True)
    rows: list[dict[str, Any]] = []
    for path in args.snapshot:
        print(f"... {path}", file=sys.stderr, flush=True)
        row: dict[str, Any] = {"save_s": float("nan"), "snapshot_mb": path.stat().st_size / 2**20}
        row.update(_child(["--work", str(path), ",".join(formats)]))
        row["assignments"], row["apps"] = row["counts"]
        rows.append(row)
    with tempfile.TemporaryDirectory(prefix="ahds-audit-bench-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        sizes = [] if args.snapshot else [parse_size(s) for s in args.sizes.split(",") if s.strip()]
        for size in sizes:
            apps = parse_size(args.apps) if args.apps else size // 10
            path = folder / f"snapshot-{size}-{apps}.json"
            print(f"... {size:,} role assignments, {apps:,} applications", file=sys.stderr, flush=True)
            row = {"assignments": size, "apps": apps, **_child(["--prepare", str(size), str(apps), str(path)])}
            row.update(_child(["--work", str(path), ",".join(formats)]))
            if not args.keep:
                path.unlink()
            rows.append(row)

    stage_cols = ["load", "evaluate", "report", *formats]
    print("Wall seconds per stage (save = writing the snapshot, as `collect` does; not part of a scan):\n")
    print_table(
        ["assignments", "apps", "findings", "save", *stage_cols, "peak RSS MiB"],
        [
            [r["assignments"], r["apps"], r["findings"], r["save_s"], *(r[f"{c}_s"] for c in stage_cols),
             round(r["peak_rss_mb"])]
            for r in rows
        ],
    )
    print("Microseconds per role assignment (evaluate) and per finding (the rest); flat columns = linear:\n")
    print_table(
        ["assignments", "evaluate us/RA", *(f"{c} us/finding" for c in stage_cols)],
        [
            [r["assignments"], r["evaluate_s"] / r["assignments"] * 1e6,
             *(r[f"{c}_s"] / r["findings"] * 1e6 for c in stage_cols)]
            for r in rows
        ],
    )
    print("Sizes (MiB) and resident memory after each stage (MiB):\n")
    print_table(
        ["assignments", "snapshot MiB", *(f"{f} MiB" for f in formats), *(f"RSS after {c}" for c in stage_cols)],
        [
            [r["assignments"], r["snapshot_mb"], *(r[f"{f}_mb"] for f in formats),
             *(round(r["rss_mb"][c]) for c in stage_cols)]
            for r in rows
        ],
    )
    print("Findings by status:", "; ".join(f"{r['assignments']:,}: {r['by_status']}" for r in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
