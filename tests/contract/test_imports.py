"""Imports point one way (STYLE.md): rules and reporters never reach Azure, the SDKs stay in collectors.

Read with ``ast``, so the check costs nothing at run time and cannot be fooled by lazy imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SDK_PREFIXES = ("azure", "msgraph", "msgraph_core", "kiota_http", "kiota_abstractions", "aiohttp", "httpx")
SDK_ALLOWED = (
    "scanner/collect/",
    "scanner/auth.py",
    "scanner/tls.py",
    "scanner/emulator/",
    "scanner/access.py",
)


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _allowed(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", _files("rules"), ids=lambda p: str(p.relative_to(ROOT)))
def test_rules_use_only_the_rule_api_and_the_inventory(path: Path) -> None:
    ours = [m for m in _imports(path) if m.split(".")[0] in {"scanner", "reports", "rules"}]
    bad = [m for m in ours if not _allowed(m, ("scanner.rule", "scanner.inventory", "rules"))]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize("path", _files("reports"), ids=lambda p: str(p.relative_to(ROOT)))
def test_reporters_read_only_findings(path: Path) -> None:
    ours = [m for m in _imports(path) if m.split(".")[0] in {"scanner", "reports", "rules"}]
    allowed = (
        "scanner.findings",
        "scanner.rule",
        "scanner.errors",
        "scanner._jsontext",
        "scanner._files",
        "rules._controls",
        "reports",
    )
    bad = [m for m in ours if not _allowed(m, allowed)]
    assert not bad, f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    "path",
    _files("scanner") + _files("rules") + _files("reports"),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_only_collectors_auth_and_emulator_touch_the_azure_sdks(path: Path) -> None:
    rel = path.relative_to(ROOT).as_posix()
    if rel.startswith(SDK_ALLOWED):
        return
    bad = [m for m in _imports(path) if _allowed(m, SDK_PREFIXES)]
    assert not bad, f"{rel} imports {bad}"
