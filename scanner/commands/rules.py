"""The ``rules`` command: list the catalogue or show one rule, including packs from the config's folder."""

from __future__ import annotations

import argparse

from scanner.commands._source import open_config


def run_rules(args: argparse.Namespace) -> int:
    """``rules list [--json | --markdown]`` / ``rules show ID``; exit 2 for an unknown id."""
    from scanner.catalog import render_list, render_markdown, render_show
    from scanner.errors import UsageError
    from scanner.plugins import load_registry
    from scanner.rule import Severity

    with open_config(args, required=False) as cfg:
        folder = cfg.rules.folder if cfg is not None else None
        overrides = {
            k.upper(): Severity(v) for k, v in (cfg.rules.severity if cfg is not None else {}).items()
        }
    registry = load_registry(rules_folder=folder)
    as_json = bool(getattr(args, "json", False))
    if args.rules_command == "show":
        rule_id = args.rule_id.upper()
        print(render_show(registry, args.rule_id, as_json=as_json, severity=overrides.get(rule_id)), end="")
        return 0
    if args.rules_command == "list" and getattr(args, "markdown", False):
        print(render_markdown(registry, severities=overrides), end="")
        return 0
    if args.rules_command in (None, "list"):
        print(render_list(registry, as_json=as_json, severities=overrides), end="")
        return 0
    raise UsageError(f"unknown rules action {args.rules_command!r}")
