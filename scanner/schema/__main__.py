"""``python -m scanner.schema [--check]``: regenerate (or check) the shipped findings JSON Schema."""

from __future__ import annotations

import argparse
import sys

from scanner.schema import (
    FINDINGS_SCHEMA_PATH,
    REGENERATE_COMMAND,
    render_findings_schema,
    write_findings_schema,
)


def main(argv: list[str] | None = None) -> int:
    """Return 0 when the file is (now) current; with ``--check``, 1 when it is stale and nothing is written."""
    parser = argparse.ArgumentParser(prog=REGENERATE_COMMAND, description="regenerate findings.schema.json")
    parser.add_argument(
        "--check", action="store_true", help="only report whether the checked-in file is stale"
    )
    args = parser.parse_args(argv)
    if args.check:
        current = FINDINGS_SCHEMA_PATH.exists() and (
            FINDINGS_SCHEMA_PATH.read_text(encoding="utf-8") == render_findings_schema()
        )
        print(f"{FINDINGS_SCHEMA_PATH}: {'up to date' if current else 'stale; run ' + REGENERATE_COMMAND}")
        return 0 if current else 1
    changed = write_findings_schema()
    print(f"{FINDINGS_SCHEMA_PATH}: {'written' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
