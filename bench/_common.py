"""Shared helpers for the benchmark scripts: peak memory, wall-clock timing, plain-text tables and machine facts.

The bench scripts print figures for a human (and for ``bench/README.md``); none of this is used by tests, and
nothing here asserts a timing.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Timer", "format_table", "machine_summary", "peak_rss_mb", "print_table", "timed"]


def peak_rss_mb(*, children: bool = False) -> float:
    """Return the peak resident set size of this process (or of its waited-for children) in MiB.

    Reads ``getrusage``'s ``ru_maxrss``, which Linux reports in KiB and macOS in bytes; the value only grows
    during a process's life, so measure a workload in a fresh process when its own peak matters.
    """
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    peak = resource.getrusage(who).ru_maxrss
    divisor = 1024 * 1024 if sys.platform == "darwin" else 1024
    return peak / divisor


@dataclass(slots=True)
class Timer:
    """Wall-clock and CPU seconds of a ``timed()`` block; both are filled in when the block exits."""

    label: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    _start_wall: float = field(default=0.0, repr=False)
    _start_cpu: float = field(default=0.0, repr=False)


@contextmanager
def timed(label: str = "") -> Iterator[Timer]:
    """Time the block with ``time.perf_counter`` (wall) and ``time.process_time`` (CPU of this process).

    The yielded ``Timer`` is filled in even when the block raises, so a failing run still reports how long it took.
    """
    timer = Timer(label=label, _start_wall=time.perf_counter(), _start_cpu=time.process_time())
    try:
        yield timer
    finally:
        timer.wall_s = time.perf_counter() - timer._start_wall
        timer.cpu_s = time.process_time() - timer._start_cpu


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return "" if value is None else str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render rows as a GitHub-flavoured Markdown table (pastes straight into ``bench/README.md``).

    Floats get two decimals and thousands separators, ints thousands separators, ``None`` an empty cell; numeric
    columns are right-aligned.
    """
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, expected {len(headers)}: {row!r}")
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    numeric = [
        bool(rows)
        and all(
            isinstance(r[i], int | float) and not isinstance(r[i], bool) for r in rows if r[i] is not None
        )
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "| " + " | ".join(parts) + " |"

    dashes = [
        ("-" * (w + 1) + ":") if num else ("-" * (w + 2)) for w, num in zip(widths, numeric, strict=True)
    ]
    rule = "|" + "|".join(dashes) + "|"
    return "\n".join([line(list(headers)), rule, *(line(r) for r in cells)])


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print ``format_table(headers, rows)`` to stdout, followed by a blank line."""
    print(format_table(headers, rows))
    print(flush=True)


def _cpu_model() -> str:
    try:
        for text_line in Path("/proc/cpuinfo").read_text().splitlines():
            if text_line.startswith("model name"):
                return text_line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> float | None:
    try:
        for text_line in Path("/proc/meminfo").read_text().splitlines():
            if text_line.startswith("MemTotal:"):
                return int(text_line.split()[1]) / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return None


def machine_summary() -> str:
    """One line naming the machine a figure was measured on: cores, CPU model, RAM, Python and OS."""
    ram = _ram_gib()
    ram_text = f"{ram:.1f} GiB RAM" if ram is not None else "RAM unknown"
    return (
        f"{os.cpu_count()} cores ({_cpu_model()}), {ram_text}, "
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{platform.system()} {platform.release()}"
    )
