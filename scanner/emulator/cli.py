"""Argument wiring and the foreground loop of ``ahds-audit emulator``."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Any

# The server, synthetic generator and tenant loader are imported inside run() (or, for --synthetic and
# --throttle-*, inside the value parsers, which run only when the option is given): building the CLI
# parser calls add_arguments() and must stay fast and must not import aiohttp.


def _synthetic(text: str) -> Any:
    """``--synthetic`` value: ``N`` or ``key=value,...`` -> ``SyntheticShape``."""
    from scanner.emulator.synth import parse_shape

    try:
        return parse_shape(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _bucket(text: str) -> Any:
    """``--throttle-arm`` / ``--throttle-graph`` value: ``RATE`` or ``RATE/BURST`` -> ``Bucket``."""
    from scanner.emulator.throttle import Bucket

    try:
        return Bucket.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's options to ``parser``."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--tenant",
        type=Path,
        metavar="FILE",
        help="tenant data file (YAML); default: the bundled contoso-health demo",
    )
    source.add_argument(
        "--synthetic",
        type=_synthetic,
        metavar="SPEC",
        help="serve a generated tenant instead (for benchmarks): N subscriptions, or key=value,... "
        "e.g. subscriptions=200,seed=7,role_assignments_per_subscription=500 (keys: docs/emulator.md)",
    )
    parser.add_argument("--port", type=int, default=8443, help="port on 127.0.0.1 (0 picks a free one)")
    parser.add_argument(
        "--page-size", type=int, default=100, metavar="N", help="items per ARM page and default Graph $top"
    )
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=0,
        metavar="N",
        help="delay added to every request, in milliseconds",
    )
    parser.add_argument(
        "--jitter-ms",
        type=float,
        default=0,
        metavar="N",
        help="vary each request's delay uniformly by up to N ms around --latency-ms",
    )
    parser.add_argument(
        "--throttle-arm",
        type=_bucket,
        metavar="RATE[/BURST]",
        help="per-client token bucket for ARM reads, e.g. 25/250; exceeded -> 429 with Retry-After "
        "(default: no throttling)",
    )
    parser.add_argument(
        "--throttle-graph",
        type=_bucket,
        metavar="RATE[/BURST]",
        help="per-client token bucket for Microsoft Graph (default: no throttling)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="where to write ca.pem and emulator-config.yaml; default: a temporary directory",
    )


def run(args: argparse.Namespace) -> int:
    """Start the emulator, print how to use it, and serve until Ctrl-C or SIGTERM; returns 0."""
    from scanner.emulator.server import SECRET_ENV, Emulator
    from scanner.emulator.synth import synthetic_tenant
    from scanner.emulator.tenant import load_tenant

    tenant = synthetic_tenant(shape=args.synthetic) if args.synthetic else load_tenant(args.tenant)
    emulator = Emulator(
        tenant,
        port=args.port,
        page_size=args.page_size,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        throttle_arm=args.throttle_arm,
        throttle_graph=args.throttle_graph,
        workdir=args.workdir,
    )
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with emulator:
            config = emulator.write_config(emulator.ca_path.parent / "emulator-config.yaml")
            print(f"ahds-audit emulator for tenant {tenant.display_name!r} ({tenant.tenant_id})")
            print(f"  ARM, Graph and authority: {emulator.url}")
            print(f"  CA certificate:           {emulator.ca_path}")
            print(f"  config file:              {config}")
            print(f"  client id:                {emulator.client_id}")
            print(f"\n  export {SECRET_ENV}='{emulator.client_secret}'")
            print(f"  ahds-audit scan --config {config}\n")
            print("serving; press Ctrl-C to stop", flush=True)
            while not stopped.wait(0.5):
                pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("emulator stopped", flush=True)
    return 0
