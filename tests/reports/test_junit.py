"""JUnit XML: schema-valid, one unique testcase per (rule, resource), failures/skips/errors as CI expects."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from reports.base import ReportOptions
from reports.junit import JunitReporter
from scanner.findings import ScanReport
from scanner.rule import Status
from tests.reports._sample import HOSTILE
from tests.reports.conftest import GOLDEN, REGEN_ENV

XSD = Path(__file__).resolve().parents[2] / "reports" / "schema" / "junit.xsd"


def _xml(report: ScanReport) -> str:
    return JunitReporter().render(report, ReportOptions())


def _cases(report: ScanReport) -> list[ET.Element]:
    return ET.fromstring(_xml(report).encode("utf-8")).findall("./testsuite/testcase")


@pytest.mark.parametrize("which", ["demo", "hostile"])
def test_valid_against_the_junit_schema(which: str, request: pytest.FixtureRequest) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.fromstring(_xml(request.getfixturevalue(which)).encode("utf-8"))
    assert schema.validate(doc), schema.error_log


def test_one_unique_testcase_per_result(demo: ScanReport, hostile: ScanReport) -> None:
    for report in (demo, hostile):
        cases = _cases(report)
        assert len(cases) == len(report.results)
        keys = [(c.get("classname"), c.get("name")) for c in cases]
        assert len(set(keys)) == len(keys)


def test_duplicate_results_still_get_unique_names(demo: ScanReport) -> None:
    doubled = demo.model_copy(update={"results": demo.results + demo.results[:2]})
    keys = [(c.get("classname"), c.get("name")) for c in _cases(doubled)]
    assert len(set(keys)) == len(keys) == len(demo.results) + 2


def test_statuses_map_to_failure_skipped_and_error(demo: ScanReport) -> None:
    cases = {(c.get("classname"), c.get("name")): c for c in _cases(demo)}
    for f in demo.results:
        name = f.resource_id + (f" [{f.sub_id}]" if f.sub_id else "")
        case = cases[(f"ahds-audit.{f.rule_id}", name)]
        children = [child.tag for child in case]
        if f.status is Status.FAIL and f.suppression:
            assert children == ["skipped"] and f.suppression.justification in case[0].get("message", "")
        elif f.status is Status.FAIL:
            assert children == ["failure"]
            failure = case[0]
            assert failure.get("message") == f.message and failure.get("type") == f.severity.value
            body = failure.text or ""
            assert f.remediation.portal in body and "Evidence:" in body
            assert all(k in body for k in f.evidence)
        elif f.status is Status.ERROR:
            assert children == ["error"] and case[0].get("message") == f.message
        else:
            assert children == []


def test_suite_and_root_counts_add_up(demo: ScanReport) -> None:
    root = ET.fromstring(_xml(demo).encode("utf-8"))
    suites = root.findall("testsuite")
    assert len(suites) == len({f.rule_id for f in demo.results})
    for key in ("tests", "failures", "errors", "skipped"):
        assert int(root.get(key, "-1")) == sum(int(s.get(key, "0")) for s in suites)
    assert root.get("tests") == "10" and root.get("failures") == "3" and root.get("skipped") == "2"
    assert root.get("errors") == "1"
    assert {s.get("timestamp") for s in suites} == {"2026-06-15T12:00:00"}


def test_hostile_names_survive_a_round_trip_as_text(hostile: ScanReport) -> None:
    text = _xml(hostile)
    assert "<script" not in text and "<img" not in text and "\x07" not in text and "\x00" not in text
    names = [c.get("name") or "" for c in _cases(hostile)]
    assert any(HOSTILE["script"] in n for n in names)
    assert all("\n" not in n for n in names)


def _canonical(el: ET.Element) -> Any:
    return (el.tag, sorted(el.attrib.items()), (el.text or "").strip(), [_canonical(c) for c in el])


def test_golden_demo_as_parsed_xml(demo: ScanReport) -> None:
    import os

    path = GOLDEN / "demo.junit.xml"
    text = _xml(demo)
    if os.environ.get(REGEN_ENV) == "1":
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing {path}; run with {REGEN_ENV}=1"
    assert _canonical(ET.fromstring(text.encode("utf-8"))) == _canonical(ET.parse(path).getroot())
