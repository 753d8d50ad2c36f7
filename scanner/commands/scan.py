"""The ``scan`` and ``collect`` commands: config -> credential -> inventory -> findings -> reports -> gate.

Each stage is a call into its own module; this file only orders them. Every
report is written before the exit code is decided and returned.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner import __version__
from scanner.commands._source import open_config
from scanner.config import Config, default_config
from scanner.errors import OutputError
from scanner.inventory import Identity, ScopeRequest, Snapshot, load_snapshot

if TYPE_CHECKING:
    from scanner.progress import Phases

logger = logging.getLogger(__name__)


def scope_request(cfg: Config) -> ScopeRequest:
    """The inventory's record of what the user asked to scan."""
    if cfg.scope.subscriptions:
        return ScopeRequest(mode="include", subscriptions=list(cfg.scope.subscriptions))
    if cfg.scope.exclude_subscriptions:
        return ScopeRequest(mode="exclude", subscriptions=list(cfg.scope.exclude_subscriptions))
    return ScopeRequest()


async def collect_snapshot(cfg: Config, *, quiet: bool) -> Snapshot:
    """Authenticate (bounded, one-line AuthError on failure) and collect the inventory.

    A credential that stops working before the first read (the subscription list) is an AuthError
    too: nothing was scanned. Later token failures are recorded per scope by the collectors.
    """
    from scanner.collect import collect
    from scanner.commands._source import authenticated
    from scanner.progress import make_progress

    async with authenticated(cfg) as session:
        return await collect(
            credential=session.credential,
            arm_endpoint=session.cloud.arm_endpoint,
            graph_endpoint=session.cloud.graph_endpoint,
            ssl_context=session.ssl_context,
            tenant_id=cfg.auth.tenant_id or "",
            cloud_name=session.cloud.name,
            scope=scope_request(cfg),
            concurrency=cfg.collection.concurrency,
            timeout_s=cfg.collection.timeout_s,
            max_retries=cfg.collection.max_retries,
            include_graph=cfg.collection.graph,
            identity=Identity(method=cfg.auth.method, client_id=cfg.auth.client_id),
            progress=make_progress(quiet),
        )


def run_collection(cfg: Config, *, quiet: bool) -> Snapshot:
    """Run ``collect_snapshot`` on a fresh event loop and return the snapshot.

    The snapshot is handed out through a holder, not as the coroutine's result:
    on Python 3.11 ``asyncio.run`` formats the ``repr`` of a task's result, which
    for a large inventory costs seconds.
    """
    holder: list[Snapshot] = []

    async def main() -> None:
        holder.append(await collect_snapshot(cfg, quiet=quiet))

    asyncio.run(main())
    return holder[0]


def _save_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Write the snapshot file (streamed, renamed into place); OutputError (exit 2) when it cannot."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        snapshot.save(path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write the snapshot: {exc.strerror or exc}") from exc


def run_collect(args: argparse.Namespace) -> int:
    """``ahds-audit collect``: write the inventory snapshot; exit 3 when some scope was unreadable."""
    with open_config(args) as cfg:
        assert cfg is not None
        snapshot = run_collection(cfg, quiet=args.quiet)
    if str(args.output) == "-":
        snapshot.write_json(sys.stdout)  # streamed: a big tenant's snapshot is never one string
    else:
        _save_snapshot(snapshot, args.output)
        if not args.quiet:
            print(f"snapshot written: {args.output}", file=sys.stderr)
    if snapshot.errors:
        print(
            f"ahds-audit: {len(snapshot.errors)} scope(s) could not be read; the snapshot is incomplete",
            file=sys.stderr,
        )
        return 3
    return 0


def run_scan(args: argparse.Namespace) -> int:
    """``ahds-audit scan``: the whole pipeline; returns the gate's exit code."""
    from scanner.baseline import apply_baseline
    from scanner.console import print_scan_summary
    from scanner.engine import build_report, evaluate, select_rules
    from scanner.findings import load_findings
    from scanner.gate import FailOn, decide
    from scanner.plugins import load_registry
    from scanner.progress import Phases
    from scanner.suppressions import apply_suppressions, load_suppressions

    offline = args.snapshot is not None
    with open_config(args, required=not offline) as maybe_cfg:
        cfg = maybe_cfg or default_config()
        registry = load_registry(rules_folder=cfg.rules.folder)
        selection = select_rules(
            registry,
            enable=cfg.rules.enable,
            disable=cfg.rules.disable,
            severity=cfg.rules.severity,
            settings=cfg.rules.settings,
        )
        suppressions_path = args.suppressions or cfg.suppressions
        entries = load_suppressions(suppressions_path) if suppressions_path else None
        baseline_path = args.baseline or cfg.baseline
        baseline = load_findings(baseline_path) if baseline_path else None
        if offline:
            snapshot = load_snapshot(args.snapshot)
        else:
            snapshot = run_collection(cfg, quiet=args.quiet)

    # Rules see the clock of the scan, so re-evaluating a saved snapshot reproduces its findings.
    now = snapshot.finished_at
    phases = Phases(quiet=args.quiet)
    with phases.phase(
        f"Evaluating {len(selection.rules)} rules over {len(snapshot.role_assignments):,} role assignments "
        f"and {len(snapshot.applications):,} app registrations"
    ):
        findings = evaluate(snapshot, selection, now=now)
        report = build_report(snapshot, selection, findings, tool_version=__version__)
    warnings: list[str] = []
    if entries is not None:
        report, supp_warnings = apply_suppressions(report, entries, today=now.date())
        warnings.extend(str(w) for w in supp_warnings)
        report = report.model_copy(update={"accepted_risk_warnings": warnings})
    if baseline is not None and baseline_path is not None:
        report = apply_baseline(report, baseline, baseline_path=str(baseline_path))

    decision = decide(
        report,
        fail_on=FailOn(args.fail_on or cfg.gate.fail_on),
        fail_on_new=bool(args.fail_on_new if args.fail_on_new is not None else cfg.gate.fail_on_new),
        allow_incomplete=bool(
            args.allow_incomplete if args.allow_incomplete is not None else cfg.gate.allow_incomplete
        ),
    )
    out_dir = Path(args.output_dir or cfg.output.dir)
    formats = list(args.format or cfg.output.formats)
    reporters = {name: cls() for name, cls in registry.reporters.items()}
    with phases.phase(f"Writing {len(set(formats))} report(s) of {len(report.results):,} results to {out_dir}"):
        written = _write_reports(args, cfg, report, formats, out_dir, decision.line, reporters, phases)
    if args.save_snapshot:
        _save_snapshot(snapshot, args.save_snapshot)
    if args.bundle:
        _write_bundle(args.bundle, cfg, snapshot, report, written)
    for w in warnings:
        print(f"ahds-audit: warning: {w}", file=sys.stderr)
    if not args.quiet:
        print_scan_summary(report, written, decision.line)
    return int(decision.code)


def _write_reports(
    args: argparse.Namespace,
    cfg: Config,
    report: object,
    formats: list[str],
    out_dir: Path,
    gate_line: str,
    reporters: dict[str, Any],
    phases: Phases,
) -> dict[str, Path]:
    from reports import write_reports
    from reports.base import ReportOptions

    options = ReportOptions(
        sarif_all=bool(args.sarif_all),
        sarif_category=cfg.sarif.category,
        iac_map=dict(cfg.sarif.iac_map),
        gate_line=gate_line,
    )
    return write_reports(
        report,  # type: ignore[arg-type]
        formats,
        out_dir,
        options,
        reporters=reporters,
        on_format=lambda r: phases.update(r.filename),
    )


def _write_bundle(
    dest: Path, cfg: Config, snapshot: Snapshot, report: object, written: dict[str, Path]
) -> None:
    from scanner.bundle import write_bundle

    path = write_bundle(
        dest,
        snapshot_json=snapshot.to_json(),
        findings_json=report.to_json(),  # type: ignore[attr-defined]
        reports=written,
        effective_config=cfg.redacted(),
        tool_version=__version__,
        rule_catalogue=[r.model_dump(mode="json") for r in report.rules],  # type: ignore[attr-defined]
    )
    print(f"evidence bundle: {path}", file=sys.stderr)
