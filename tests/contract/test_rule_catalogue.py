"""The loaded rule catalogue keeps its public promises: ids, areas, documentation, control mappings, tests.

Each check collects every offending rule before failing, so one run names all
of them. Rules come from the real registry (built-ins through the entry point).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rules._controls import FRAMEWORKS
from scanner.plugins import Registry, load_registry
from scanner.rule import RULE_ID_PATTERN, Compliance, Remediation, Rule, Severity, rule
from tests.fixtures.rulekit import meta

AREA_MODULES = {
    "CRED": "rules.credentials",
    "RBAC": "rules.rbac",
    "CMK": "rules.encryption",
    "NET": "rules.network",
    "TLS": "rules.tls",
    "LIFE": "rules.lifecycle",
}
"""Each built-in area lives in exactly one module (STYLE.md, Naming)."""

RULE_TESTS = Path(__file__).resolve().parents[1] / "rules"
MAX_DESCRIPTION = 1024
"""SARIF viewers show ``fullDescription`` from the description; GitHub truncates it at 1024 characters."""


@pytest.fixture(scope="module")
def registry() -> Registry:
    return load_registry()


def builtins(registry: Registry) -> list[Rule[Any]]:
    return [r for r in registry.rules if r.check.__module__.split(".")[0] == "rules"]


def expect_no_offenders(rules: list[Rule[Any]], problem: Callable[[Rule[Any]], str | None]) -> None:
    """Fail naming every rule with a problem, one per line."""
    found = [f"{r.id}: {why}" for r in rules if (why := problem(r))]
    assert not found, f"{len(found)} rule(s):\n" + "\n".join(found)


def test_ids_are_well_formed_and_unique(registry: Registry) -> None:
    assert [rid for rid in registry.ids if not RULE_ID_PATTERN.match(rid)] == []
    assert [rid for rid, n in Counter(registry.ids).items() if n > 1] == []


def test_builtins_are_ahds_ids_in_their_areas_module(registry: Registry) -> None:
    def problem(r: Rule[Any]) -> str | None:
        prefix, area, _ = r.id.split("-")
        if prefix != "AHDS":
            return "built-in ids start with AHDS-"
        expected = AREA_MODULES.get(area)
        if expected is None:
            return f"area {area} is not one of {sorted(AREA_MODULES)}"
        return (
            None
            if r.check.__module__ == expected
            else f"defined in {r.check.__module__}, expected {expected}"
        )

    expect_no_offenders(builtins(registry), problem)


def documentation_problem(r: Rule[Any]) -> str | None:
    """What a user, auditor or SARIF viewer would miss in this rule's record, if anything."""
    m = r.meta
    missing = [name for name in ("title", "description", "rationale") if not getattr(m, name).strip()]
    if missing:
        return f"empty {', '.join(missing)}"
    if not isinstance(m.severity, Severity):
        return f"severity {m.severity!r} is not a Severity"
    if len(m.description) > MAX_DESCRIPTION:
        return f"description has {len(m.description)} characters (max {MAX_DESCRIPTION})"
    if not m.remediation.portal.strip():
        return "remediation has no portal steps"
    if not ((m.remediation.cli or "").strip() or (m.remediation.bicep or "").strip()):
        return "remediation has neither an az CLI nor a Bicep snippet"
    return None if m.resource_types else "no resource types"


def reference_problem(r: Rule[Any]) -> str | None:
    """References must be https learn.microsoft.com pages, at least one."""
    bad = [u for u in r.meta.references if not u.startswith("https://learn.microsoft.com/")]
    if bad:
        return f"references outside https://learn.microsoft.com/: {bad}"
    return None if r.meta.references else "no reference"


def compliance_problem(r: Rule[Any]) -> str | None:
    """At least one HIPAA, NIST and MCSB control each, all listed in rules/_controls.py."""
    issues: list[str] = []
    for framework, catalogue in FRAMEWORKS.items():
        cited: tuple[str, ...] = getattr(r.meta.compliance, framework)
        if not cited:
            issues.append(f"no {framework} control")
        issues += [
            f"{framework} {cid!r} is not in rules/_controls.py" for cid in cited if cid not in catalogue
        ]
    return "; ".join(issues) or None


def test_every_rule_is_documented(registry: Registry) -> None:
    expect_no_offenders(list(registry.rules), documentation_problem)


def test_every_rule_cites_learn_microsoft_com(registry: Registry) -> None:
    expect_no_offenders(list(registry.rules), reference_problem)


def test_every_rule_maps_to_known_hipaa_nist_and_mcsb_controls(registry: Registry) -> None:
    expect_no_offenders(list(registry.rules), compliance_problem)


@pytest.mark.parametrize(
    ("overrides", "check", "expected"),
    [
        ({"rationale": " "}, documentation_problem, "empty rationale"),
        ({"description": "x" * 1025}, documentation_problem, "1025 characters"),
        (
            {"remediation": Remediation(portal="Open it.")},
            documentation_problem,
            "neither an az CLI nor a Bicep",
        ),
        ({"references": ("http://learn.microsoft.com/x",)}, reference_problem, "outside https://learn"),
        ({"references": ()}, reference_problem, "no reference"),
        (
            {"compliance": Compliance(hipaa=("164.312(a)(1)",), nist=("AC-99",), mcsb=())},
            compliance_problem,
            "nist 'AC-99' is not in rules/_controls.py; no mcsb control",
        ),
    ],
)
def test_the_checks_catch_a_badly_documented_rule(
    overrides: dict[str, Any], check: Callable[[Rule[Any]], str | None], expected: str
) -> None:
    good = rule(meta("TEST-NET-001"))(lambda inv, ctx: iter(()))
    bad = rule(meta("TEST-NET-002", **overrides))(lambda inv, ctx: iter(()))
    assert (documentation_problem(good), reference_problem(good), compliance_problem(good)) == (
        None,
        None,
        None,
    )
    assert expected in (check(bad) or "")


def test_every_builtin_rule_has_tests(registry: Registry) -> None:
    texts = [p.read_text(encoding="utf-8") for p in sorted(RULE_TESTS.glob("test_*.py"))]

    def problem(r: Rule[Any]) -> str | None:
        pattern = re.compile(rf"\b{re.escape(r.id)}\b")
        return (
            None if any(pattern.search(t) for t in texts) else f"not mentioned in any {RULE_TESTS}/test_*.py"
        )

    expect_no_offenders(builtins(registry), problem)
