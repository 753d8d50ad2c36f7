"""The JSON Schema of ``findings.json`` shipped in the package, and its regeneration from the models.

``findings.schema.json`` beside this file is generated from ``scanner.findings``
(``python -m scanner.schema`` rewrites it; ``--check`` fails when it is stale).
A contract test keeps the checked-in copy equal to the generated one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.findings import findings_json_schema

FINDINGS_SCHEMA_PATH = Path(__file__).with_name("findings.schema.json")
REGENERATE_COMMAND = "python -m scanner.schema"


def render_findings_schema() -> str:
    """The schema as the checked-in file holds it: sorted keys, two-space indent, final newline."""
    return json.dumps(findings_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load_findings_schema() -> dict[str, Any]:
    """The shipped schema (read from the package), for validators such as ``jsonschema``."""
    schema: dict[str, Any] = json.loads(FINDINGS_SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def write_findings_schema(path: Path = FINDINGS_SCHEMA_PATH) -> bool:
    """Write the generated schema to ``path``; True when the file changed."""
    text = render_findings_schema()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True
