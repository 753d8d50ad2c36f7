"""Plugin discovery: built-ins via the entry point, third-party packs, local folders, and loud failures."""

from __future__ import annotations

import importlib
import sys
import textwrap
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from scanner.engine import evaluate, select_rules
from scanner.errors import PluginError
from scanner.inventory import StorageAccount, Workspace
from scanner.plugins import load_registry, rule_source
from scanner.rule import Rule, Status
from tests.factories import NOW, arm_id, snapshot
from tests.fixtures.rulekit import LOCAL_RULES, PLUGIN_PACK, fresh_modules, installed, write_dist

__all__ = ["fresh_modules", "installed"]  # fixtures used by name

RULE_MODULE = textwrap.dedent(
    """
    from scanner.rule import Compliance, Remediation, RuleMeta, Severity, rule

    META = RuleMeta(
        id="{rule_id}", title="t", severity=Severity.LOW, description="d", rationale="r",
        remediation=Remediation(portal="p"), references=(), resource_types=(),
        compliance=Compliance(hipaa=(), nist=(), mcsb=()),
    )

    @rule(META)
    def check(inv, ctx):
        yield from ()
    """
)


def install_pack(
    installed: Any, tmp_path: Path, name: str, entry: tuple[str, str, str], **modules: str
) -> None:
    """Install distribution ``name`` with entry point ``entry`` = (group, name, value) and package modules.

    The package is ``name`` with ``-`` as ``_``; ``modules`` maps module stems to source (``__init__`` added).
    """
    package = name.replace("-", "_")
    files = {f"{package}/__init__.py": "", **{f"{package}/{stem}.py": text for stem, text in modules.items()}}
    group, ep_name, value = entry
    installed(write_dist(tmp_path / "site", name, entry_points={group: {ep_name: value}}, files=files))


def test_builtin_rules_are_registered_through_the_entry_point() -> None:
    eps = {ep.name: ep for ep in metadata.entry_points(group="ahds_audit.rules")}
    assert eps["builtin"].value == "rules"
    assert eps["builtin"].dist is not None and eps["builtin"].dist.name == "ahds-audit"


def test_every_module_level_rule_of_the_builtin_package_is_loaded() -> None:
    """Compared with an independent walk over the files of ``rules/``."""
    package_dir = Path(importlib.import_module("rules").__file__ or "").parent
    expected: set[str] = set()
    for path in package_dir.rglob("*.py"):
        parts = path.relative_to(package_dir).with_suffix("").parts
        if any(p.startswith("_") for p in parts):
            continue
        module = importlib.import_module(".".join(("rules", *parts)))
        expected |= {v.id for v in vars(module).values() if isinstance(v, Rule)}
    registry = load_registry()
    assert expected <= set(registry.ids)
    assert all(r.check.__module__.startswith("rules.") for r in registry.rules if r.id.startswith("AHDS-"))


def test_builtins_still_load_when_the_distribution_metadata_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A source-tree run without installation must not run fewer rules in silence."""
    expected = load_registry().ids
    assert any(rid.startswith("AHDS-") for rid in expected)
    monkeypatch.setattr(metadata, "entry_points", lambda group: [])
    assert load_registry().ids == expected


def test_a_pack_registered_through_an_entry_point_runs(installed: Any) -> None:
    installed(PLUGIN_PACK)
    registry = load_registry()

    pack_rule = registry.get("ACME-STOR-001")
    assert pack_rule is not None
    assert rule_source(pack_rule) == "acme_audit_rules.storage (acme-audit-rules 1.0.0)"
    sa = StorageAccount(
        id=arm_id("Microsoft.Storage/storageAccounts", "exports"),
        name="exports",
        type="Microsoft.Storage/storageAccounts",
        allow_blob_public_access=True,
    )
    findings = evaluate(snapshot(storage_accounts=[sa]), select_rules(registry, enable=["ACME-*"]), now=NOW)
    assert [(f.rule_id, f.status, f.resource_name) for f in findings] == [
        ("ACME-STOR-001", Status.FAIL, "exports")
    ]


def test_pack_settings_are_validated_and_passed_to_the_rule(installed: Any) -> None:
    installed(PLUGIN_PACK)
    registry = load_registry()
    sa = StorageAccount(
        id=arm_id("Microsoft.Storage/storageAccounts", "unset"),
        name="unset",
        type="Microsoft.Storage/storageAccounts",
    )
    selection = select_rules(
        registry, enable=["ACME-*"], settings={"ACME-STOR-001": {"unknown_is_failure": True}}
    )
    assert [f.status for f in evaluate(snapshot(storage_accounts=[sa]), selection, now=NOW)] == [Status.FAIL]


def test_a_pack_reporter_is_registered_by_format_name(installed: Any) -> None:
    installed(PLUGIN_PACK)
    reporter = load_registry().reporters["acme-csv"]
    assert reporter.__name__ == "CsvReporter" and reporter.filename == "findings.csv"  # type: ignore[attr-defined]


def test_private_modules_of_a_pack_are_not_imported(installed: Any) -> None:
    """``acme_audit_rules/_broken.py`` raises on import: loading succeeds only if it is skipped."""
    installed(PLUGIN_PACK)
    load_registry()
    assert "acme_audit_rules._broken" not in sys.modules


def test_a_folder_rule_runs(fresh_modules: None) -> None:
    registry = load_registry(rules_folder=LOCAL_RULES, include_entry_points=False)
    assert registry.ids == ("CONTOSO-NET-001",)
    assert rule_source(registry.rules[0]) == str(LOCAL_RULES.resolve() / "contoso_network.py")
    ws = Workspace(
        id=arm_id("Microsoft.HealthcareApis/workspaces", "ws"),
        name="ws",
        type="Microsoft.HealthcareApis/workspaces",
        tags={"Owner": "fhir-team"},
    )
    findings = evaluate(snapshot(workspaces=[ws]), select_rules(registry), now=NOW)
    assert [(f.rule_id, f.status, f.evidence) for f in findings] == [
        ("CONTOSO-NET-001", Status.PASS, {"owner": "fhir-team"})
    ]


def test_folder_and_entry_point_rules_load_together(installed: Any) -> None:
    installed(PLUGIN_PACK)
    registry = load_registry(rules_folder=LOCAL_RULES)
    assert {"ACME-STOR-001", "CONTOSO-NET-001"} <= set(registry.ids)
    assert list(registry.ids) == sorted(registry.ids)


def test_folder_is_reloaded_from_disk_each_time(tmp_path: Path, fresh_modules: None) -> None:
    (tmp_path / "mine.py").write_text(RULE_MODULE.format(rule_id="MINE-NET-001"), encoding="utf-8")
    assert load_registry(rules_folder=tmp_path, include_entry_points=False).ids == ("MINE-NET-001",)
    (tmp_path / "mine.py").write_text(RULE_MODULE.format(rule_id="MINE-NET-002"), encoding="utf-8")
    assert load_registry(rules_folder=tmp_path, include_entry_points=False).ids == ("MINE-NET-002",)


def test_duplicate_id_names_both_sources(installed: Any, tmp_path: Path) -> None:
    installed(PLUGIN_PACK)
    (tmp_path / "copycat.py").write_text(RULE_MODULE.format(rule_id="ACME-STOR-001"), encoding="utf-8")
    with pytest.raises(PluginError, match="duplicate rule id ACME-STOR-001") as info:
        load_registry(rules_folder=tmp_path)
    assert "acme_audit_rules.storage (acme-audit-rules 1.0.0)" in info.value.message
    assert str(tmp_path.resolve() / "copycat.py") in info.value.message
    assert info.value.exit_code == 2


def test_duplicate_id_between_two_packs_names_both_distributions(installed: Any, tmp_path: Path) -> None:
    installed(PLUGIN_PACK)
    install_pack(
        installed,
        tmp_path,
        "pack-copy",
        ("ahds_audit.rules", "copy", "pack_copy"),
        dup=RULE_MODULE.format(rule_id="ACME-STOR-001"),
    )
    with pytest.raises(PluginError, match="duplicate rule id ACME-STOR-001") as info:
        load_registry()
    assert "acme-audit-rules 1.0.0" in info.value.message and "pack-copy 1.0.0" in info.value.message


def test_a_pack_that_fails_to_import_names_its_distribution(installed: Any, tmp_path: Path) -> None:
    install_pack(
        installed,
        tmp_path,
        "pack-broken",
        ("ahds_audit.rules", "broken", "pack_broken"),
        bad="import no_such_module_for_ahds_tests\n",
    )
    with pytest.raises(PluginError, match=r"pack_broken\.bad from distribution pack-broken 1\.0\.0") as info:
        load_registry()
    assert "ModuleNotFoundError" in info.value.message


def test_an_entry_point_naming_a_missing_package_is_refused(installed: Any, tmp_path: Path) -> None:
    installed(
        write_dist(
            tmp_path / "site", "pack-ghost", entry_points={"ahds_audit.rules": {"ghost": "pack_ghost"}}
        )
    )
    with pytest.raises(PluginError, match="rule pack distribution pack-ghost 1.0.0 .* failed to import"):
        load_registry()


def test_a_folder_module_that_fails_to_import_names_the_file(tmp_path: Path, fresh_modules: None) -> None:
    (tmp_path / "good.py").write_text(RULE_MODULE.format(rule_id="MINE-NET-001"), encoding="utf-8")
    (tmp_path / "oops.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    with pytest.raises(PluginError, match=r"oops\.py failed to import: RuntimeError: boom"):
        load_registry(rules_folder=tmp_path, include_entry_points=False)


def test_a_malformed_id_is_refused_at_import(tmp_path: Path, fresh_modules: None) -> None:
    (tmp_path / "bad_id.py").write_text(RULE_MODULE.format(rule_id="ahds-net-1"), encoding="utf-8")
    with pytest.raises(PluginError, match=r"bad_id\.py failed to import: ValueError: rule id 'ahds-net-1'"):
        load_registry(rules_folder=tmp_path, include_entry_points=False)


def test_a_malformed_id_built_without_the_decorator_is_refused(tmp_path: Path, fresh_modules: None) -> None:
    (tmp_path / "sneaky.py").write_text(
        RULE_MODULE.format(rule_id="MINE-NET-001")
        + "\nimport dataclasses\nSNEAKY = dataclasses.replace(check, meta=dataclasses.replace(META, id='NOPE'))\n",
        encoding="utf-8",
    )
    with pytest.raises(PluginError, match=r"rule id 'NOPE' from .*sneaky\.py is malformed"):
        load_registry(rules_folder=tmp_path, include_entry_points=False)


def test_a_missing_rules_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PluginError, match="does not exist"):
        load_registry(rules_folder=tmp_path / "nope", include_entry_points=False)


def test_duplicate_reporter_names_are_refused(installed: Any, tmp_path: Path) -> None:
    installed(PLUGIN_PACK)
    install_pack(
        installed,
        tmp_path,
        "pack-csv",
        ("ahds_audit.reporters", "acme-csv", "pack_csv.out:Reporter"),
        out="class Reporter:\n    pass\n",
    )
    with pytest.raises(PluginError, match="duplicate reporter format 'acme-csv'") as info:
        load_registry()
    assert "acme-audit-rules" in info.value.message and "pack-csv" in info.value.message


def test_a_reporter_entry_point_must_name_a_class(installed: Any, tmp_path: Path) -> None:
    install_pack(
        installed,
        tmp_path,
        "pack-fn",
        ("ahds_audit.reporters", "fn", "pack_fn.out:render"),
        out="def render(report):\n    return ''\n",
    )
    with pytest.raises(PluginError, match="reporter distribution pack-fn .* not a class"):
        load_registry()


def test_a_rule_reexported_by_another_module_is_not_a_duplicate(tmp_path: Path, fresh_modules: None) -> None:
    (tmp_path / "base.py").write_text(RULE_MODULE.format(rule_id="MINE-NET-001"), encoding="utf-8")
    (tmp_path / "reexport.py").write_text("from .base import check as again\n", encoding="utf-8")
    assert load_registry(rules_folder=tmp_path, include_entry_points=False).ids == ("MINE-NET-001",)
