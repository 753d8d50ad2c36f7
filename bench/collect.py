"""Benchmark: collect synthetic tenants of growing size against the emulator and compare with the lower bound.

For each size the emulator runs in its own process (``python -m scanner.emulator --synthetic ...``), so its
CPU never competes with the scanner's event loop under one GIL; ``collect()`` runs in a fresh child process
with the real SDK clients (so peak RSS is that run's own). The emulator's request log, read from its
``/_emulator/requests`` admin endpoint, gives the requests issued and the longest chain of dependent ones.
``--shape KEY=VALUE,...`` passes further ``SyntheticShape`` fields (``scanner/emulator/synth.py``) to every
emulator the bench starts, e.g. to reach a million role assignments and 100,000 app registrations; the tables
show how many role assignments and applications each snapshot held.

    .venv/bin/python bench/collect.py                      # N=50,100,200 at 50 ms, concurrency 32 and 16,
                                                           # serial run at 200, memory run at 1,000
    .venv/bin/python bench/collect.py --sizes 20 --repeat 1 --serial-at 20 --memory-subscriptions 0  # a quick look
    .venv/bin/python bench/collect.py --sizes 250 --repeat 1 --serial-at 0 --memory-subscriptions 0 \
        --concurrency 32 --shape role_assignments_per_subscription=4000,applications=100000  # 1M assignments

Figures, not assertions: see bench/README.md for what was measured and on which machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _common import machine_summary, peak_rss_mb, print_table, timed

from scanner.emulator.synth import SyntheticShape, parse_shape, shape_summary

_SECRET = re.compile(r"export AHDS_AUDIT_CLIENT_SECRET='([^']*)'")


# -- the emulator, in its own process ----------------------------------------------------------------------


@dataclass(slots=True)
class EmulatorProcess:
    """A running ``python -m scanner.emulator`` child and what a scanner needs to reach it."""

    process: subprocess.Popen[str]
    url: str
    ca_path: str
    tenant_id: str
    client_id: str
    client_secret: str

    def cpu_s(self) -> float:
        """User + system CPU seconds the emulator process has used so far (Linux ``/proc``)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        """The emulator process's peak resident set size so far, in MiB (``VmHWM`` in Linux ``/proc``)."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def requests(self, offset: int = 0) -> tuple[int, list[dict[str, Any]]]:
        """The total number of requests logged, and the entries from ``offset`` on."""
        import httpx

        response = httpx.get(
            f"{self.url}/_emulator/requests", params={"offset": offset}, verify=self.ca_path, timeout=120
        )
        response.raise_for_status()
        body = response.json()
        return int(body["count"]), list(body["requests"])

    def stop(self) -> None:
        """SIGTERM, then wait; kill only if it does not stop."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_emulator(spec: str, latency_ms: float, page_size: int, workdir: Path) -> EmulatorProcess:
    """Start the emulator CLI on a free port and wait until it serves."""
    import yaml

    command = [
        sys.executable,
        "-m",
        "scanner.emulator",
        "--synthetic",
        spec,
        "--latency-ms",
        str(latency_ms),
        "--page-size",
        str(page_size),
        "--port",
        "0",
        "--workdir",
        str(workdir),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("serving"):
            break
    else:
        raise RuntimeError("the emulator exited before serving:\n" + "".join(lines))
    text = "".join(lines)
    config = yaml.safe_load((workdir / "emulator-config.yaml").read_text(encoding="utf-8"))
    secret = _SECRET.search(text)
    assert secret is not None, text
    return EmulatorProcess(
        process=process,
        url=config["cloud"]["arm_endpoint"],
        ca_path=config["cloud"]["ca_bundle"],
        tenant_id=config["auth"]["tenant_id"],
        client_id=config["auth"]["client_id"],
        client_secret=secret.group(1),
    )


def emulator_spec(subscriptions: int, shape: str) -> str:
    """The ``--synthetic`` value for a tenant of ``subscriptions`` with the ``--shape`` fields added."""
    return ",".join(part for part in (f"subscriptions={subscriptions}", shape) if part)


def parse_shape_option(text: str) -> str:
    """``--shape`` value: ``KEY=VALUE,...`` of ``SyntheticShape`` fields other than ``subscriptions``.

    Checked here with the emulator's own parser, so a typo fails at once instead of inside each emulator child.
    """
    text = text.strip()
    if not text:
        return ""
    if any(part.partition("=")[0].strip().replace("-", "_") == "subscriptions" for part in text.split(",")):
        raise argparse.ArgumentTypeError("subscriptions comes from --sizes (and --memory-subscriptions)")
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE,..., got {text!r}")
    try:
        parse_shape(emulator_spec(1, text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def describe_tenant(shape: SyntheticShape) -> str:
    """What a synthetic tenant is generated with, from its shape alone (role assignments are drawn unless fixed).

    The tables show how many role assignments each snapshot actually held.
    """
    counts = shape_summary(shape)
    per_sub = shape.role_assignments_per_subscription
    assignments = (
        f"{shape.subscriptions * per_sub:,}"
        if per_sub is not None
        else f"{shape.subscriptions * 50:,}-{shape.subscriptions * 200:,}"
    )
    return (
        f"{counts['subscriptions']:,} subscriptions, {assignments} role assignments generated at or below "
        "subscriptions "
        f"+ {shape.management_group_assignments} at management groups, {counts['applications']:,} applications, "
        f"{counts['service_principals']:,} service principals, {counts['users']:,} users, {counts['groups']:,} groups"
    )


# -- the scanner, in a fresh child process -----------------------------------------------------------------


def _collect_child(target: dict[str, Any], concurrency: int, result: Any) -> None:
    """Run ``collect()`` once against ``target`` and send back timings, peak RSS and inventory counts."""
    from azure.identity.aio import ClientSecretCredential

    from scanner.collect import collect
    from scanner.inventory import ScopeRequest
    from scanner.tls import ssl_context

    collected: dict[str, Any] = {}

    async def run() -> None:
        # Returns None on purpose: at exit, asyncio.run() (3.11) formats a ValueError whose message holds
        # repr(main task), which reprs the task's result in full; a Snapshot of a big tenant takes seconds.
        credential = ClientSecretCredential(
            target["tenant_id"],
            target["client_id"],
            target["client_secret"],
            authority=target["url"],
            disable_instance_discovery=True,
            connection_verify=target["ca_path"],
        )
        context: ssl.SSLContext = ssl_context(Path(target["ca_path"]))
        async with credential:
            collected["snapshot"] = await collect(
                credential=credential,
                arm_endpoint=target["url"],
                graph_endpoint=target["url"],
                ssl_context=context,
                tenant_id=target["tenant_id"],
                cloud_name="custom",
                scope=ScopeRequest(),
                concurrency=concurrency,
                timeout_s=120,
            )

    with timed() as timer:
        asyncio.run(run())
    snapshot = collected["snapshot"]
    if target.get("save_to"):
        snapshot.save(Path(target["save_to"]))  # after the clock: writing is not collecting
    result.send(
        {
            "wall_s": timer.wall_s,
            "cpu_s": timer.cpu_s,
            "peak_rss_mb": peak_rss_mb(),
            "errors": len(snapshot.errors),
            "subscriptions": len(snapshot.subscriptions),
            "role_assignments": len(snapshot.role_assignments),
            "vault_items": len(snapshot.vault_items),
            "applications": len(snapshot.applications),
            "principals": len(snapshot.principals),
        }
    )
    result.close()


def run_collect(emulator: EmulatorProcess, concurrency: int, save_to: Path | None = None) -> dict[str, Any]:
    """Collect in a spawned child (clean interpreter, its own peak RSS); returns the child's figures.

    With ``save_to`` the child also saves the snapshot there (untimed), e.g. for ``bench/evaluate.py --snapshot``.
    """
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    target = {
        "url": emulator.url,
        "ca_path": emulator.ca_path,
        "tenant_id": emulator.tenant_id,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        "save_to": str(save_to) if save_to else None,
    }
    child = ctx.Process(target=_collect_child, args=(target, concurrency, sender))
    child.start()
    sender.close()
    try:
        figures: dict[str, Any] = receiver.recv()
    except EOFError:
        child.join()
        raise RuntimeError(f"the collecting child failed (exit code {child.exitcode})") from None
    child.join()
    return figures


# -- the lower bound ---------------------------------------------------------------------------------------


def _list_key(path: str) -> str:
    return path.rstrip("/").lower()


def _parent_list(key: str) -> str | None:
    """The list whose items are the parent of child list ``key`` (``.../workspaces/ws0/fhirservices``)."""
    head, sep, tail = key.rpartition("/providers/")
    parts = tail.split("/")
    if not sep or len(parts) < 4 or len(parts) % 2:
        return None
    sub = "/".join(head.split("/")[:3])
    return f"{sub}/providers/{'/'.join([parts[0]] + parts[1:-2:2])}"


def critical_path(entries: list[dict[str, Any]]) -> int:
    """The number of requests on the longest chain in which each must wait for the one before.

    Built from the requests actually issued: the Entra discovery and token requests come first; then the
    subscription list's pages; in each subscription a list's pages follow one another and a child list
    (FHIR services of a workspace, secrets and keys of a vault) follows its parent list's pages (all of
    them: an upper bound when a parent list spans several pages, exact with the defaults); Graph lists run
    beside ARM after the token; the last getByIds batch (and its user lookup) follows the whole ARM part.
    Retried requests count as pages, so run without faults or throttling.
    """
    pages: dict[str, int] = defaultdict(int)
    entra = 0
    by_ids = users = 0
    for entry in entries:
        path = entry["path"]
        lowered = path.lower()
        if "/oauth2/" in lowered or "/.well-known/" in lowered or "/discovery/" in lowered:
            entra = min(2, entra + 1)  # discovery then token; later token requests run beside other work
        elif lowered.endswith("/directoryobjects/getbyids"):
            by_ids += 1
        elif lowered.startswith("/v1.0/users"):
            users += 1
        else:
            pages[_list_key(path)] += 1

    def chain(key: str) -> int:
        parent = _parent_list(key)
        return pages[key] + (chain(parent) if parent is not None and parent in pages else 0)

    subscriptions = pages.get("/subscriptions", 0)
    arm_lists = [k for k in pages if k.startswith("/subscriptions/")]
    arm = entra + subscriptions + max((chain(k) for k in arm_lists), default=0)
    arm_tail = arm + (1 if by_ids else 0) + (1 if users else 0)
    graph_lists = [k for k in pages if k.startswith("/v1.0/")]
    graph = entra + max((pages[k] for k in graph_lists), default=0)
    return max(arm_tail, graph)


@dataclass(slots=True)
class Measured:
    """One collection run and the emulator's view of it."""

    subscriptions: int
    concurrency: int
    figures: dict[str, Any]
    requests: int
    chain: int
    emulator_cpu_s: float
    latency_ms: float
    walls: tuple[float, ...] = ()
    """Wall seconds of every repeat of this measurement (``median_run``); empty for a single run."""

    @property
    def wall_range(self) -> str:
        """``min-max`` wall seconds over the repeats, or the one wall time."""
        walls = self.walls or (self.figures["wall_s"],)
        return f"{min(walls):.2f}-{max(walls):.2f}" if len(walls) > 1 else f"{walls[0]:.2f}"

    @property
    def bound_s(self) -> float:
        """max(chain x latency, requests x latency / concurrency)."""
        latency = self.latency_ms / 1000
        return max(self.chain * latency, self.requests * latency / self.concurrency)

    @property
    def cpu_ms_per_request(self) -> float:
        """The scanner's own CPU (its process only, not the emulator's) per request issued, in ms."""
        return self.figures["cpu_s"] * 1000 / self.requests if self.requests else float("nan")

    @property
    def ratio(self) -> float:
        """Wall time over the lower bound."""
        return self.figures["wall_s"] / self.bound_s if self.bound_s else float("nan")


def median_run(repeats: list[Measured]) -> Measured:
    """The repeat with the median wall time (the lower middle one for an even count), knowing all walls."""
    ordered = sorted(repeats, key=lambda r: r.figures["wall_s"])
    chosen = ordered[(len(ordered) - 1) // 2]
    return replace(chosen, walls=tuple(r.figures["wall_s"] for r in repeats))


def measure(
    emulator: EmulatorProcess, n: int, concurrency: int, latency_ms: float, save_to: Path | None = None
) -> Measured:
    """Run one collection and read back what the emulator saw of it."""
    before, _ = emulator.requests(offset=10**12)
    cpu_before = emulator.cpu_s()
    figures = run_collect(emulator, concurrency, save_to)
    cpu = emulator.cpu_s() - cpu_before
    _, entries = emulator.requests(offset=before)
    if figures["errors"]:
        print(f"  warning: the run at N={n}, concurrency {concurrency} recorded {figures['errors']} error(s)")
    return Measured(n, concurrency, figures, len(entries), critical_path(entries), cpu, latency_ms)


# -- the report --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its tables; returns 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,100,200", help="subscription counts (default: %(default)s)")
    parser.add_argument("--latency-ms", type=float, default=50, help="per-request latency (default: 50)")
    parser.add_argument(
        "--concurrency",
        default="32,16",
        help="collect() concurrencies to run at each size; the first is the config default (default: %(default)s)",
    )
    parser.add_argument("--page-size", type=int, default=100, help="emulator page size (default: 100)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        metavar="R",
        help="collect each size at each concurrency R times; the tables show the median run by wall time "
        "and the range (default: %(default)s)",
    )
    parser.add_argument(
        "--serial-at",
        type=int,
        default=200,
        metavar="N",
        help="also collect this size (one of --sizes) with concurrency 1; 0 skips (default: 200)",
    )
    parser.add_argument(
        "--memory-subscriptions",
        type=int,
        default=1000,
        metavar="N",
        help="separate peak-RSS run at this size with latency 0; 0 skips (default: 1000)",
    )
    parser.add_argument(
        "--shape",
        type=parse_shape_option,
        default="",
        metavar="KEY=VALUE,...",
        help="extra synthetic tenant fields for every emulator the bench starts (SyntheticShape in "
        "scanner/emulator/synth.py; subscriptions comes from --sizes), e.g. "
        "role_assignments_per_subscription=4000,applications=100000 (default: none)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument(
        "--save-snapshots",
        type=Path,
        metavar="DIR",
        help="save each size's collected snapshot as DIR/snapshot-N.json (untimed), to evaluate exactly the "
        "tenant collected: bench/evaluate.py --snapshot DIR/snapshot-N.json",
    )
    args = parser.parse_args(argv)
    if args.save_snapshots:
        args.save_snapshots.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    concurrencies = [int(c) for c in args.concurrency.split(",") if c.strip()]

    print(f"machine: {machine_summary()}")
    print(
        f"latency {args.latency_ms:g} ms, page size {args.page_size}, concurrency {args.concurrency}; "
        "emulator in its own process, collect() in a fresh child per run",
        flush=True,
    )
    print(f"synthetic tenant shape: {args.shape or 'defaults'}\n", flush=True)
    runs: list[Measured] = []
    serial: Measured | None = None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ahds-bench-") as tmp:
        for n in sizes:
            workdir = Path(tmp) / f"n{n}"
            workdir.mkdir()
            spec = emulator_spec(n, args.shape)
            print(f"  N={n}: {describe_tenant(parse_shape(spec))}", flush=True)
            with timed() as startup:
                emulator = start_emulator(spec, args.latency_ms, args.page_size, workdir)
            print(
                f"  N={n}: emulator serving after {startup.wall_s:.1f} s "
                f"(emulator CPU {emulator.cpu_s():.1f} s, peak RSS {emulator.peak_rss_mb():,.0f} MB)",
                flush=True,
            )
            try:
                for concurrency in concurrencies:
                    repeats = []
                    for _ in range(args.repeat):
                        keep = args.save_snapshots / f"snapshot-{n}.json" if args.save_snapshots else None
                        run = measure(emulator, n, concurrency, args.latency_ms, keep)
                        repeats.append(run)
                        print(
                            f"  N={n} concurrency {concurrency}: {run.figures['wall_s']:.2f} s, "
                            f"{run.requests} requests, chain {run.chain}, ratio {run.ratio:.2f}, "
                            f"{run.figures['role_assignments']:,} role assignments, "
                            f"{run.figures['applications']:,} applications",
                            flush=True,
                        )
                    runs.append(median_run(repeats))
                if n == args.serial_at:
                    serial = measure(emulator, n, 1, args.latency_ms)
                    print(f"  N={n} concurrency 1: {serial.figures['wall_s']:.2f} s", flush=True)
            finally:
                emulator.stop()
        memory: Measured | None = None
        if args.memory_subscriptions:
            workdir = Path(tmp) / "memory"
            workdir.mkdir()
            spec = emulator_spec(args.memory_subscriptions, args.shape)
            print(f"  memory run: {describe_tenant(parse_shape(spec))}", flush=True)
            emulator = start_emulator(spec, 0, args.page_size, workdir)
            try:
                memory = measure(emulator, args.memory_subscriptions, concurrencies[0], 0)
            finally:
                emulator.stop()
    print()

    headers = [
        "subscriptions",
        "concurrency",
        "requests",
        "chain",
        "lower bound s",
        "wall s",
        "wall range s",
        "ratio",
        "scanner CPU s",
        "scanner CPU ms/request",
        "emulator CPU s",
        "peak RSS MB",
        "role assignments",
        "applications",
        "errors",
    ]
    rows: list[list[object]] = []
    for run in runs:
        rows.append(
            [
                run.subscriptions,
                run.concurrency,
                run.requests,
                run.chain,
                run.bound_s,
                run.figures["wall_s"],
                run.wall_range,
                run.ratio,
                run.figures["cpu_s"],
                run.cpu_ms_per_request,
                run.emulator_cpu_s,
                run.figures["peak_rss_mb"],
                run.figures["role_assignments"],
                run.figures["applications"],
                run.figures["errors"],
            ]
        )
    print(
        f"collect() at latency {args.latency_ms:g} ms (lower bound: max(chain, requests / concurrency) x latency):"
    )
    print_table(headers, rows)

    for concurrency in concurrencies:
        series = [r for r in runs if r.concurrency == concurrency]
        if len(series) < 2:
            continue
        base = series[0]
        growth = [
            [
                run.subscriptions,
                run.subscriptions / base.subscriptions,
                run.requests / base.requests,
                run.figures["wall_s"] / base.figures["wall_s"],
            ]
            for run in series
        ]
        print(
            f"growth at concurrency {concurrency}, relative to the smallest size (linear: x wall ~ x requests):"
        )
        print_table(["subscriptions", "x subscriptions", "x requests", "x wall"], growth)

    if serial is not None:
        same = [r for r in runs if r.subscriptions == serial.subscriptions]
        print(f"concurrency 1 vs the others at {serial.subscriptions} subscriptions:")
        print_table(
            ["concurrency", "requests", "wall s", "scanner CPU s", "speed-up"],
            [
                [1, serial.requests, serial.figures["wall_s"], serial.figures["cpu_s"], 1.0],
                *(
                    [
                        r.concurrency,
                        r.requests,
                        r.figures["wall_s"],
                        r.figures["cpu_s"],
                        serial.figures["wall_s"] / r.figures["wall_s"],
                    ]
                    for r in same
                ),
            ],
        )
    if memory is not None:
        print(
            f"memory run: {memory.subscriptions} subscriptions, latency 0, concurrency {memory.concurrency}:"
        )
        print_table(
            [
                "subscriptions",
                "requests",
                "wall s",
                "scanner CPU s",
                "scanner CPU ms/request",
                "emulator CPU s",
                "peak RSS MB",
                "role assignments",
                "applications",
            ],
            [
                [
                    memory.subscriptions,
                    memory.requests,
                    memory.figures["wall_s"],
                    memory.figures["cpu_s"],
                    memory.cpu_ms_per_request,
                    memory.emulator_cpu_s,
                    memory.figures["peak_rss_mb"],
                    memory.figures["role_assignments"],
                    memory.figures["applications"],
                ]
            ],
        )
    print(f"total bench time: {time.perf_counter() - started:.0f} s")
    if args.json is not None:
        everything = [*runs, *([serial] if serial else []), *([memory] if memory else [])]
        args.json.write_text(
            json.dumps(
                [
                    {
                        "subscriptions": m.subscriptions,
                        "concurrency": m.concurrency,
                        "latency_ms": m.latency_ms,
                        "requests": m.requests,
                        "chain": m.chain,
                        "bound_s": m.bound_s,
                        "emulator_cpu_s": m.emulator_cpu_s,
                        "walls_s": list(m.walls),
                        **m.figures,
                    }
                    for m in everything
                ],
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
