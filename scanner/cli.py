"""Command-line entry point: argument parsing and wiring; the one place outcomes become exit codes.

Heavy modules (the Azure SDKs, msgraph, Jinja2) are imported inside the
command functions that need them, so ``--help`` and ``rules list`` start fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from scanner import __version__
from scanner.errors import AuditError, UsageError

logger = logging.getLogger(__name__)

FORMATS = ("json", "sarif", "html", "junit", "md")
SEVERITY_CHOICES = ("critical", "high", "medium", "low", "none")
EXIT_USAGE = 2
EXIT_INTERNAL = 2

EPILOG = """\
exit codes:
  0  no unsuppressed failure at or above --fail-on
  1  at least one unsuppressed failure at or above --fail-on
  2  usage, configuration or authentication error (nothing was scanned)
  3  the scan was incomplete (a scope could not be read) and nothing else failed

environment:
  AHDS_AUDIT_CONFIG         config file used when --config is not given
  AHDS_AUDIT_CLIENT_SECRET  conventional variable named by auth.client_secret_env
"""


def _formats(value: str) -> list[str]:
    """Parse ``--format``; names are checked against the loaded reporters later (packs may add formats)."""
    items = [v.strip().lower() for v in value.split(",") if v.strip()]
    if not items:
        raise argparse.ArgumentTypeError(f"no format given; choose from {', '.join(FORMATS)} or 'all'")
    return list(FORMATS) if items == ["all"] else items


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line interface (no side effects; used by tests and the README check)."""
    parser = argparse.ArgumentParser(
        prog="ahds-audit",
        description=(
            "read-only security compliance scanner for Azure Health Data Services FHIR and Azure API for FHIR"
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"ahds-audit {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress or summary output")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser(
        "scan",
        parents=[common],
        help="collect (or load a snapshot), evaluate every enabled rule, write reports, gate",
        description="scan a tenant (or a saved snapshot) and write findings and reports",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    src = scan.add_mutually_exclusive_group()
    src.add_argument("--config", "-c", type=Path, help="config file (default: $AHDS_AUDIT_CONFIG)")
    src.add_argument("--demo", action="store_true", help="scan the bundled emulator tenant 'contoso-health'")
    scan.add_argument(
        "--snapshot", type=Path, help="evaluate this saved inventory snapshot offline instead of collecting"
    )
    scan.add_argument("--output-dir", "-o", type=Path, help="where reports go (default: config output.dir)")
    scan.add_argument(
        "--format",
        "-f",
        type=_formats,
        default=None,
        help=f"comma-separated formats: {','.join(FORMATS)} or all (default: all)",
    )
    scan.add_argument(
        "--fail-on",
        choices=SEVERITY_CHOICES,
        default=None,
        help="exit 1 on an unsuppressed failure at or above this severity (default: high)",
    )
    scan.add_argument(
        "--fail-on-new",
        action="store_true",
        default=None,
        help="gate only on failures that are new since --baseline",
    )
    scan.add_argument(
        "--allow-incomplete",
        action="store_true",
        default=None,
        help="exit 0 instead of 3 when some scope could not be read",
    )
    scan.add_argument("--baseline", type=Path, help="an earlier findings.json to compare with")
    scan.add_argument("--suppressions", type=Path, help="accepted-risks YAML file")
    scan.add_argument("--bundle", type=Path, help="write an evidence bundle to this directory or .zip")
    scan.add_argument("--sarif-all", action="store_true", help="SARIF also holds passes and accepted risks")
    scan.add_argument("--save-snapshot", type=Path, help="also write the collected inventory snapshot here")

    collect = sub.add_parser(
        "collect",
        parents=[common],
        help="collect the inventory snapshot only (no rules)",
        description="read the tenant and write the inventory snapshot (JSON)",
    )
    csrc = collect.add_mutually_exclusive_group()
    csrc.add_argument("--config", "-c", type=Path, help="config file (default: $AHDS_AUDIT_CONFIG)")
    csrc.add_argument("--demo", action="store_true", help="collect the bundled emulator tenant")
    collect.add_argument(
        "--output", "-o", type=Path, required=True, help="snapshot file to write ('-' = stdout)"
    )

    rules = sub.add_parser("rules", parents=[common], help="list the rule catalogue or show one rule")
    rules.add_argument(
        "--config", "-c", type=Path, help="config file (adds rules.folder packs and overrides)"
    )
    rsub = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    rlist = rsub.add_parser("list", help="id, severity, title, area, compliance of every rule")
    rlist_format = rlist.add_mutually_exclusive_group()
    rlist_format.add_argument("--json", action="store_true", help="machine-readable output")
    rlist_format.add_argument(
        "--markdown", action="store_true", help="the full rule reference as Markdown (docs/rules.md)"
    )
    rshow = rsub.add_parser("show", help="everything about one rule, remediation included")
    rshow.add_argument("rule_id", metavar="ID")
    rshow.add_argument("--json", action="store_true", help="machine-readable output")
    for action_parser in (rlist, rshow):
        # Accepted after the action too; SUPPRESS keeps a --config given before the action.
        action_parser.add_argument(
            "--config",
            "-c",
            type=Path,
            default=argparse.SUPPRESS,
            help="config file (adds rules.folder packs and overrides)",
        )

    emu = sub.add_parser(
        "emulator",
        parents=[common],
        help="run the local HTTPS Azure emulator (demo and tests)",
        description="serve an emulated ARM, Microsoft Graph and Entra token endpoint on 127.0.0.1",
    )
    from scanner.emulator.cli import add_arguments as add_emulator_arguments

    add_emulator_arguments(emu)

    diff = sub.add_parser(
        "diff",
        parents=[common],
        help="new, fixed and still-open failures between two findings.json",
    )
    diff.add_argument("old", type=Path, metavar="OLD", help="older findings.json")
    diff.add_argument("new", type=Path, metavar="NEW", help="newer findings.json")
    diff.add_argument(
        "--output-dir", "-o", type=Path, help="also write diff.json, diff.md and diff.html here"
    )

    verify = sub.add_parser(
        "verify-bundle",
        parents=[common],
        help="check an evidence bundle's manifest and reproduce its findings",
    )
    verify.add_argument("path", type=Path, metavar="PATH", help="bundle directory or .zip")

    access = sub.add_parser(
        "check-access", parents=[common], help="try one read of each kind and report missing permissions"
    )
    asrc = access.add_mutually_exclusive_group()
    asrc.add_argument("--config", "-c", type=Path, help="config file (default: $AHDS_AUDIT_CONFIG)")
    asrc.add_argument("--demo", action="store_true", help="check against the bundled emulator")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit code (nothing else in the project calls ``sys.exit``)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    from scanner.log import configure_logging

    configure_logging(getattr(args, "verbose", 0), getattr(args, "quiet", False))
    try:
        return _dispatch(args)
    except AuditError as exc:
        print(f"ahds-audit: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("ahds-audit: interrupted", file=sys.stderr)
        return EXIT_USAGE
    except Exception:
        logger.debug("internal error", exc_info=True)
        print(
            "ahds-audit: internal error (a bug); rerun with -vv and report it",
            file=sys.stderr,
        )
        if getattr(args, "verbose", 0) >= 2:
            raise
        return EXIT_INTERNAL


def main_entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "scan":
        from scanner.commands.scan import run_scan

        return run_scan(args)
    if args.command == "collect":
        from scanner.commands.scan import run_collect

        return run_collect(args)
    if args.command == "rules":
        from scanner.commands.rules import run_rules

        return run_rules(args)
    if args.command == "emulator":
        from scanner.emulator.cli import run

        return run(args)
    if args.command == "diff":
        from scanner.commands.diff import run_diff

        return run_diff(args)
    if args.command == "verify-bundle":
        from scanner.commands.bundle import run_verify_bundle

        return run_verify_bundle(args)
    if args.command == "check-access":
        from scanner.commands.access import run_check_access

        return run_check_access(args)
    raise UsageError(f"unknown command {args.command!r}")


def config_path(args: argparse.Namespace) -> Path | None:
    """``--config`` or ``$AHDS_AUDIT_CONFIG``; None when neither is given."""
    if getattr(args, "config", None):
        return Path(args.config)
    env = os.environ.get("AHDS_AUDIT_CONFIG")
    return Path(env) if env else None


__all__ = ["build_parser", "config_path", "main", "main_entry"]
