"""The ``diff`` command: what changed between two findings.json files (the weekly run's question)."""

from __future__ import annotations

import argparse
import sys


def run_diff(args: argparse.Namespace) -> int:
    """Print the diff as Markdown-free plain lines; with ``--output-dir`` also write json, md and html."""
    from scanner.diff import compute_diff, diff_summary_line, diff_to_html, diff_to_json, diff_to_markdown
    from scanner.findings import load_findings

    old = load_findings(args.old)
    new = load_findings(args.new)
    result = compute_diff(old, new, old_path=str(args.old), new_path=str(args.new))
    if args.output_dir:
        out = args.output_dir
        out.mkdir(parents=True, exist_ok=True)
        rendered = {
            "diff.json": diff_to_json(result),
            "diff.md": diff_to_markdown(result),
            "diff.html": diff_to_html(result),
        }
        for name, text in rendered.items():
            (out / name).write_text(text, encoding="utf-8")
        if not args.quiet:
            for name in rendered:
                print(f"{name}: {out / name}", file=sys.stderr)
    if not args.quiet:
        sys.stdout.write(diff_to_markdown(result))
    print(diff_summary_line(result), file=sys.stderr)
    return 0
