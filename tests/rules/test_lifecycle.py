"""AHDS-LIFE-001: Azure API for FHIR services still deployed as the product retires (30 September 2026)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from rules import lifecycle
from scanner.rule import Severity, Status
from tests.factories import NOW, snapshot
from tests.rules._builders_infra import fhir, legacy, run

RETIRED_AT = datetime(2026, 9, 30, tzinfo=UTC)


class TestLegacyFhirServiceMigrated:
    rule = lifecycle.legacy_fhir_service_migrated

    def test_rule_id_and_base_severity(self) -> None:
        assert self.rule.id == "AHDS-LIFE-001"
        assert self.rule.meta.severity is Severity.MEDIUM

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_ahds_fhir_services_are_not_findings(self) -> None:
        assert run(self.rule, snapshot(fhir_services=[fhir("f")])) == []

    def test_deployed_legacy_service_fails_with_the_migration_link(self) -> None:
        svc = legacy("api1", kind="fhir-R4")
        [result] = run(self.rule, snapshot(legacy_fhir_services=[svc]))
        assert result.status is Status.FAIL
        assert result.resource_id == svc.id
        assert (
            "https://learn.microsoft.com/en-us/azure/healthcare-apis/fhir/migration-strategies"
            in result.message
        )
        assert result.evidence["retirementDate"] == "2026-09-30"
        assert result.evidence["kind"] == "fhir-R4"

    def test_before_retirement_keeps_the_rule_severity_and_counts_days(self) -> None:
        [result] = run(self.rule, snapshot(legacy_fhir_services=[legacy("api1")]), now=NOW)
        assert result.severity is None
        assert f"({(RETIRED_AT - NOW).days} days left)" in result.message

    @pytest.mark.parametrize(
        ("now", "severity"),
        [
            (RETIRED_AT - timedelta(seconds=1), None),
            (RETIRED_AT, Severity.HIGH),
            (RETIRED_AT + timedelta(days=30), Severity.HIGH),
        ],
    )
    def test_severity_rises_to_high_from_the_retirement_date(
        self, now: datetime, severity: Severity | None
    ) -> None:
        [result] = run(self.rule, snapshot(legacy_fhir_services=[legacy("api1")]), now=now)
        assert result.status is Status.FAIL
        assert result.severity is severity
        assert ("after the product's retirement" in result.message) is (severity is Severity.HIGH)

    def test_retirement_date_is_a_setting(self) -> None:
        later = date(2027, 3, 31)
        [result] = run(
            self.rule, snapshot(legacy_fhir_services=[legacy("api1")]), now=RETIRED_AT, retires_on=later
        )
        assert result.severity is None
        assert result.evidence["retirementDate"] == "2027-03-31"

    def test_one_result_per_legacy_service(self) -> None:
        results = run(self.rule, snapshot(legacy_fhir_services=[legacy("a"), legacy("b")]))
        assert [r.status for r in results] == [Status.FAIL, Status.FAIL]
