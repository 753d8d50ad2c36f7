"""The ``check-access`` command: authenticate, try each kind of read once, print what is missing where."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from scanner.commands._source import open_config
from scanner.config import Config

if TYPE_CHECKING:
    from scanner.access import Probe


async def _run(cfg: Config) -> list[Probe]:
    from scanner.access import check_access
    from scanner.commands._source import authenticated
    from scanner.commands.scan import scope_request

    async with authenticated(cfg) as session:
        return await check_access(
            credential=session.credential,
            arm_endpoint=session.cloud.arm_endpoint,
            graph_endpoint=session.cloud.graph_endpoint,
            ssl_context=session.ssl_context,
            scope=scope_request(cfg),
            include_graph=cfg.collection.graph,
            timeout_s=cfg.collection.timeout_s,
        )


def run_check_access(args: argparse.Namespace) -> int:
    """Exit 0 when every read succeeded, 3 when some were refused or failed, 2 on an auth failure."""
    with open_config(args) as cfg:
        assert cfg is not None
        probes = asyncio.run(_run(cfg))
    width = max((len(p.check) for p in probes), default=10)
    for p in probes:
        print(
            f"{'ok ' if p.ok else 'NO '} {p.check.ljust(width)}  {p.scope}  {'' if p.ok else p.detail}".rstrip()
        )
    refused = [p for p in probes if not p.ok]
    if refused:
        print(
            f"check-access: {len(refused)} of {len(probes)} read(s) refused or failed; the scan would be incomplete"
        )
        return 3
    print(f"check-access: all {len(probes)} read(s) succeeded")
    return 0
