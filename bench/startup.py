"""Start-up benchmark: wall time of ``ahds-audit --help`` and ``ahds-audit rules list`` in fresh processes.

Each command runs ``--runs`` times in a new subprocess (after one warm-up run that also fills the bytecode
cache) and the script prints min / median / max wall milliseconds, plus an interpreter-only floor
(``python -c pass``). The target is <= 300 ms for both commands.

Bytecode: an installed package has ``.pyc`` files (pip compiles them at install), but a source checkout run with
``PYTHONDONTWRITEBYTECODE=1`` recompiles every project module on every start. By default the script measures
the installed situation by pointing ``PYTHONPYCACHEPREFIX`` at a private temporary directory (the checkout is not
touched); ``--mode source`` measures the no-bytecode situation as well. ``--importtime`` prints the slowest
imports of one ``rules list`` run (``python -X importtime``), to find what to make lazy.

Usage::

    .venv/bin/python bench/startup.py [--runs 15] [--mode cached|source|both] [--importtime]

This prints figures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import machine_summary, print_table

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0
COMMANDS: dict[str, list[str]] = {
    "ahds-audit --help": ["--help"],
    "ahds-audit rules list": ["rules", "list"],
}


def _cli() -> list[str]:
    """The console script next to this interpreter (as a user runs it), else ``python -m scanner``."""
    script = Path(sys.executable).with_name("ahds-audit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scanner"]


def _env(mode: str, cache_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AHDS_AUDIT_CONFIG", None)  # `rules list` must not pick up a developer's config
    if mode == "cached":
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = cache_dir
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def run_once(argv: Sequence[str], env: Mapping[str, str]) -> float:
    """Wall milliseconds of one run of ``argv`` with stdout/stderr discarded; a non-zero exit is an error."""
    start = time.perf_counter()
    done = subprocess.run(
        argv, check=False, cwd=ROOT, env=dict(env), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    elapsed = (time.perf_counter() - start) * 1000.0
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return elapsed


def measure(argv: Sequence[str], env: Mapping[str, str], runs: int) -> list[float]:
    """One warm-up run (fills page cache and bytecode cache), then ``runs`` timed runs."""
    run_once(argv, env)
    return [run_once(argv, env) for _ in range(runs)]


def import_report(env: Mapping[str, str], top: int = 20) -> None:
    """Print the ``top`` imports of ``rules list`` by cumulative microseconds (``-X importtime``)."""
    argv = [sys.executable, "-X", "importtime", "-c", "from scanner.cli import main; main(['rules', 'list'])"]
    done = subprocess.run(argv, cwd=ROOT, env=dict(env), capture_output=True, text=True, check=True)
    rows: list[tuple[int, int, str]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        rows.append((int(cumulative), int(own), name))
    rows.sort(reverse=True)
    print(f"Slowest imports of `rules list` (top {top}, microseconds):\n")
    print_table(["module", "cumulative us", "self us"], [[n, c, s] for c, s, n in rows[:top]])


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the measurements and print one table per bytecode mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (default: 15)")
    parser.add_argument(
        "--mode",
        choices=("cached", "source", "both"),
        default="both",
        help="cached: .pyc as after pip install; source: no bytecode cache (default: both)",
    )
    parser.add_argument("--importtime", action="store_true", help="also print the slowest imports")
    args = parser.parse_args(argv)

    print(f"Machine: {machine_summary()}\n")
    modes = ("cached", "source") if args.mode == "both" else (args.mode,)
    with tempfile.TemporaryDirectory(prefix="ahds-audit-pyc-") as cache_dir:
        for mode in modes:
            env = _env(mode, cache_dir)
            rows: list[list[object]] = []
            floor = measure([sys.executable, "-c", "pass"], env, args.runs)
            rows.append(
                ["python -c pass (interpreter floor)", min(floor), statistics.median(floor), max(floor), ""]
            )
            for label, extra in COMMANDS.items():
                times = measure([*_cli(), *extra], env, args.runs)
                median = statistics.median(times)
                verdict = "met" if median <= TARGET_MS else "NOT met"
                rows.append([label, min(times), median, max(times), f"{verdict} (<= {TARGET_MS:.0f} ms)"])
            print(f"Mode: {mode} ({args.runs} runs each, wall milliseconds)\n")
            print_table(["command", "min ms", "median ms", "max ms", "target"], rows)
        if args.importtime:
            import_report(_env(modes[0], cache_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
