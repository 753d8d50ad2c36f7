"""The pipeline examples stay runnable: valid YAML, and every ahds-audit command line parses with our CLI."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.cli import build_parser
from scanner.config import load_config

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
PIPELINES = [
    EXAMPLES / "github-actions" / "ahds-audit.yml",
    EXAMPLES / "azure-devops" / "azure-pipelines.yml",
]


def _scripts(node: Any) -> Iterator[str]:
    """Every shell script in a workflow: GitHub ``run:``, Azure DevOps ``script:`` and ``inlineScript:``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "inlineScript") and isinstance(value, str):
                yield value
            else:
                yield from _scripts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _scripts(item)


def _ahds_commands(script: str) -> Iterator[list[str]]:
    for line in script.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("ahds-audit "):
            # shell variables stand for paths or extra flags: substitute neutral values
            line = line.replace("$baseline_args", "--baseline baseline/findings.json")
            yield shlex.split(line)[1:]


@pytest.mark.parametrize("path", PIPELINES, ids=lambda p: p.parent.name)
def test_pipeline_is_valid_yaml_with_ahds_audit_commands(path: Path) -> None:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    commands = [cmd for script in _scripts(doc) for cmd in _ahds_commands(script)]
    assert any(cmd[0] == "scan" for cmd in commands), "the example never runs a scan"
    parser = build_parser()
    for argv in commands:
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse rejects: show the line that broke
            pytest.fail(f"{path.name}: `ahds-audit {' '.join(argv)}` is rejected by the CLI ({exc})")
        assert args.command in {"scan", "check-access", "diff", "collect", "verify-bundle"}


def test_github_workflow_uses_oidc_and_uploads_sarif_with_a_category() -> None:
    doc = yaml.safe_load(PIPELINES[0].read_text(encoding="utf-8"))
    assert doc["permissions"]["id-token"] == "write"
    steps = doc["jobs"]["audit"]["steps"]
    uses = {s.get("uses", "").split("@")[0]: s for s in steps}
    assert "client-secret" not in str(uses["azure/login"].get("with", {}))
    assert uses["github/codeql-action/upload-sarif"]["with"]["category"]


def test_azure_devops_pipeline_publishes_junit_and_fails_on_failed_tests() -> None:
    doc = yaml.safe_load(PIPELINES[1].read_text(encoding="utf-8"))
    tasks = {s.get("task"): s for s in doc["steps"] if "task" in s}
    publish = tasks["PublishTestResults@2"]["inputs"]
    assert publish["testResultsFormat"] == "JUnit" and publish["failTaskOnFailedTests"] is True
    assert publish["testResultsFiles"].endswith("junit.xml")


def test_example_configs_load() -> None:
    for path in [EXAMPLES / "ci-config.yaml", ROOT / "sample-config.yaml"]:
        load_config(path)
