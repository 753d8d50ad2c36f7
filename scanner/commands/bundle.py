"""The ``verify-bundle`` command: check the manifest and reproduce the bundled findings from the snapshot."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from scanner import __version__

if TYPE_CHECKING:
    from scanner.bundle import BundleContents


def reevaluate(contents: BundleContents) -> str:
    """Re-run the bundle's rule selection over its snapshot at the scan's own clock; return findings JSON."""
    from scanner.engine import build_report, evaluate, select_rules
    from scanner.inventory import parse_snapshot
    from scanner.plugins import load_registry

    snapshot = parse_snapshot(contents.snapshot_json, source="bundle:snapshot.json")
    rules_cfg = dict(contents.config.get("rules") or {})
    rules_cfg.pop("folder", None)
    selection = select_rules(
        load_registry(),
        enable=rules_cfg.get("enable", ["*"]),
        disable=rules_cfg.get("disable", []),
        severity=rules_cfg.get("severity", {}),
        settings=rules_cfg.get("settings", {}),
    )
    findings = evaluate(snapshot, selection, now=snapshot.finished_at)
    return build_report(snapshot, selection, findings, tool_version=__version__).to_json()


def run_verify_bundle(args: argparse.Namespace) -> int:
    """Exit 0 when the manifest holds and the findings are reproduced exactly, 1 otherwise."""
    from scanner.bundle import verify_bundle

    verdict = verify_bundle(args.path, reevaluate=reevaluate)
    for line in verdict.lines():
        print(line)
    return 0 if verdict.ok else 1
