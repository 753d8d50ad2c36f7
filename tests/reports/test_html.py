"""HTML report, read as markup: self-contained, CSP-pinned, every section present, hostile values inert."""

from __future__ import annotations

import base64
import hashlib
import re

import lxml.html
import pytest
from lxml.html import HtmlElement

from reports.base import ReportOptions
from reports.html import HtmlReporter
from scanner.findings import ScanReport
from scanner.rule import Status
from tests.reports._sample import HOSTILE
from tests.reports.conftest import check_golden


def _html(report: ScanReport, **opts: object) -> str:
    return HtmlReporter().render(report, ReportOptions(**opts))  # type: ignore[arg-type]


def _doc(report: ScanReport, **opts: object) -> HtmlElement:
    return lxml.html.document_fromstring(_html(report, **opts))


@pytest.mark.parametrize("which", ["demo", "hostile"])
def test_self_contained_and_pinned_by_csp(which: str, request: pytest.FixtureRequest) -> None:
    doc = _doc(request.getfixturevalue(which))
    (script,) = doc.xpath("//script")
    assert script.get("src") is None
    (csp,) = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")
    digest = base64.b64encode(hashlib.sha256((script.text or "").encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp and "img-src data:" in csp
    assert doc.xpath("//head/meta")[1].get("http-equiv") == "Content-Security-Policy"  # before any style/script
    # nothing is loaded from anywhere: no src, no stylesheet link, no url() or @import in styles
    assert not doc.xpath("//*[@src] | //link | //iframe | //object | //embed | //img | //base | //form")
    style = "".join(doc.xpath("//style/text()"))
    assert "url(" not in style and "@import" not in style and "@font-face" not in style
    for href in doc.xpath("//a/@href"):
        assert href.startswith(("#", "https://learn.microsoft.com/")), href


def test_sections_and_content_an_auditor_needs(demo: ScanReport) -> None:
    doc = _doc(demo)
    ids = set(doc.xpath("//section/@id"))
    assert {"coverage", "summary", "compliance", "findings", "accepted", "changes", "catalogue"} <= ids
    text = doc.text_content()
    for needle in ("Contoso Health", demo.scan.tenant_id, "AzureCloud", "2026-06-15 12:00:00 UTC",
                   "2026-06-15 12:03:27 UTC", "ahds-audit 0.1.0", "sha256:5f0c1e9a", "client-secret",
                   "AuthorizationFailed", "Contoso Sandbox", "HIPAA Security Rule", "NIST SP 800-53 Rev. 5",
                   "Microsoft Cloud Security Benchmark v1", "Transmission security", "rpt-4b7c2e91d0a3",
                   "az healthcareapis workspace fhir-service update", "CMK rollout planned for Q3",
                   "security@contoso.example", "2026-09-30", "Storage account 'stold' allowed TLS 1.0."):
        assert needle in text, needle
    assert doc.xpath("//svg//rect") and doc.xpath("//svg//circle")
    assert "@media print" in "".join(doc.xpath("//style/text()"))
    assert doc.xpath("//footer//code")[0].text == "rpt-4b7c2e91d0a3"


def test_every_result_is_in_the_evidence_tables(demo: ScanReport) -> None:
    doc = _doc(demo)
    rows = doc.xpath("//tr[contains(@class, 'finding')]")
    assert len(rows) == len(demo.results)
    for f in demo.results:
        (article,) = doc.xpath(f"//article[@id='rule-{f.rule_id}']")
        assert f.resource_id in article.text_content() and f.message in article.text_content()
        for value in f.evidence:
            assert value in article.text_content()
    states = sorted(r.get("data-status") for r in rows)
    assert states == sorted(
        ("accepted" if f.suppression else f.status.value) if f.status is Status.FAIL else f.status.value
        for f in demo.results
    )


def test_expired_accepted_risk_is_flagged(demo: ScanReport) -> None:
    doc = _doc(demo)
    (section,) = doc.xpath("//section[@id='accepted']")
    expired = section.xpath(".//tr[contains(@class, 'expired-row')]")
    assert len(expired) == 1 and "Dev workspace holds synthetic data only." in expired[0].text_content()
    assert "Expired" in expired[0].text_content()


def test_compliance_view_counts_per_control(demo: ScanReport) -> None:
    doc = _doc(demo)
    (row,) = [r for r in doc.xpath("//section[@id='compliance']//tr") if "164.312(e)(1)" in r.text_content()]
    cells = [c.text_content().strip() for c in row.xpath("./td")]
    assert cells[2] == "AHDS-NET-001" and cells[3:7] == ["1", "2", "0", "0"] and cells[7] == "Fail"


def test_baseline_section_only_with_a_baseline(demo: ScanReport) -> None:
    assert not _doc(demo.model_copy(update={"baseline": None})).xpath("//section[@id='changes']")
    assert not _doc(demo, show_diff=False).xpath("//section[@id='changes']")
    (section,) = _doc(demo).xpath("//section[@id='changes']")
    assert "fhir-prod" in section.text_content() and "stold" in section.text_content()


def test_hostile_values_are_rendered_inert(hostile: ScanReport) -> None:
    html = _html(hostile)
    doc = lxml.html.document_fromstring(html)
    assert len(doc.xpath("//script")) == 1 and not doc.xpath("//img")
    assert not [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")]
    hrefs = doc.xpath("//a/@href")
    assert not [h for h in hrefs if "evil" in h or h.startswith("javascript")]
    text = doc.text_content()
    assert HOSTILE["script"] in text and HOSTILE["img"] in text  # shown to the reader as text
    assert "**bold**" in text  # Markdown is not interpreted either
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", html)


def test_deterministic_and_golden(demo: ScanReport) -> None:
    html = _html(demo)
    assert html == _html(demo)
    check_golden("demo.report.html", html)
