"""``ahds-audit diff``: categories, counts by area and severity, and safe rendering of hostile values."""

from __future__ import annotations

import json
import re
from datetime import date
from html.parser import HTMLParser

import pytest

from scanner.diff import (
    compute_diff,
    diff_summary_line,
    diff_to_html,
    diff_to_html_section,
    diff_to_json,
    diff_to_markdown,
)
from scanner.errors import UsageError
from scanner.findings import Suppression
from scanner.rule import area_code, area_name
from tests.unit._reports import WEEK1, WEEK2, finding, report, rid, unreadable

HOSTILE = "<img src=x onerror=alert(1)>|**bold**[link](https://evil.example)\x1b[31m\nsecond line"


def pair():  # type: ignore[no-untyped-def]
    accepted = Suppression(justification="j", owner="o", expires=date(2026, 12, 31))
    old = report(
        [
            finding("AHDS-NET-001", rid("kv1")),  # still open
            finding("AHDS-NET-001", rid("kv2"), severity="high"),  # fixed
            finding("AHDS-TLS-001", rid("agw1"), severity="medium"),  # fixed
            finding("AHDS-CMK-002", rid("kv4"), severity="low"),  # unverified (rule errors now)
            finding("AHDS-TLS-001", rid("agw2"), status="pass"),  # newly failing
        ],
        started_at=WEEK1,
    )
    new = report(
        [
            finding("AHDS-NET-001", rid("kv1"), suppression=accepted),
            finding("AHDS-NET-001", rid("kv2"), status="pass"),
            finding("AHDS-TLS-001", rid("agw1"), status="pass"),
            finding("AHDS-CMK-002", rid("kv4"), status="error"),
            finding("AHDS-TLS-001", rid("agw2"), severity="medium"),
            finding("AHDS-NET-002", rid("kv5"), severity="critical"),
        ],
        started_at=WEEK2,
        version="0.1.1",
    )
    return old, new


def test_categories_by_fingerprint() -> None:
    old, new = pair()
    d = compute_diff(old, new, old_path="w1.json", new_path="w2.json")
    names = {
        c: sorted(i.resource_name for i in d.items(c)) for c in ("new", "fixed", "still_open", "unverified")
    }
    assert names == {
        "new": ["agw2", "kv5"],
        "fixed": ["agw1", "kv2"],
        "still_open": ["kv1"],
        "unverified": ["kv4"],
    }
    assert d.totals == {"new": 2, "fixed": 2, "still_open": 1, "unverified": 1}
    assert d.still_open[0].suppressed is True
    assert d.new_failures[0].severity.value == "critical"  # most severe first
    assert (d.old.started_at, d.new.started_at) == (WEEK1, WEEK2)
    assert (d.old.tool_version, d.new.tool_version, d.old.path) == ("0.1.0", "0.1.1", "w1.json")


def test_counts_by_area_and_severity() -> None:
    old, new = pair()
    rows = {
        (r.area, r.severity.value): (r.new, r.fixed, r.still_open, r.unverified)
        for r in compute_diff(old, new).counts
    }
    assert rows == {
        ("CMK", "low"): (0, 0, 0, 1),
        ("NET", "critical"): (1, 0, 0, 0),
        ("NET", "high"): (0, 1, 1, 0),
        ("TLS", "medium"): (1, 1, 0, 0),
    }


def test_same_scan_twice_has_nothing_new_or_fixed() -> None:
    old, _ = pair()
    d = compute_diff(old, old)
    assert d.totals == {"new": 0, "fixed": 0, "still_open": 4, "unverified": 0}


def test_unreadable_subscription_is_not_fixed() -> None:
    old = report([finding("AHDS-NET-001", rid("kv1"))])
    d = compute_diff(old, report([], errors=[unreadable()], started_at=WEEK2))
    assert d.totals["fixed"] == 0 and d.totals["unverified"] == 1


def test_other_tenant_is_refused() -> None:
    with pytest.raises(UsageError):
        compute_diff(report([], tenant_id="a"), report([], tenant_id="b"))


def test_area_code() -> None:
    assert area_code("AHDS-TLS-001") == "TLS"
    assert area_code("ACME-Foo-010") == "FOO"
    assert area_code("odd") == "OTHER"
    assert area_name("AHDS-CMK-001") == "encryption"
    assert area_name("ACME-FOO-001") == "foo"


def test_json_round_trips_and_is_deterministic() -> None:
    old, new = pair()
    text = diff_to_json(compute_diff(old, new))
    assert text == diff_to_json(compute_diff(old, new))
    data = json.loads(text)
    assert data["kind"] == "ahds-audit-diff"
    assert data["totals"]["new"] == 2
    assert data["old"]["started_at"].startswith("2026-06-08T06:00:00")
    assert [i["resource_name"] for i in data["fixed"]] == ["kv2", "agw1"]


def hostile_pair():  # type: ignore[no-untyped-def]
    old = report([], started_at=WEEK1)
    new = report(
        [finding("AHDS-NET-001", rid("kv1"), message=HOSTILE, resource_name=HOSTILE)], started_at=WEEK2
    )
    return compute_diff(old, new)


def test_markdown_lists_sections_and_escapes_hostile_values() -> None:
    md = diff_to_markdown(hostile_pair())
    assert "### New failures (1)" in md and "### Fixed (0)" in md and "### Still open (0)" in md
    assert "### Not re-checked" not in md  # shown only when there is something in it
    row = next(line for line in md.splitlines() if "AHDS-NET-001" in line)
    assert row.count(" | ") == 3  # the hostile "|" did not add a cell
    assert not re.search(r"(?<!\\)[<>\[\]*`]", row), "an unescaped Markdown/HTML character came through"
    assert "\x1b" not in md
    assert "second line" in row  # the newline did not break the row


def test_markdown_counts_table() -> None:
    old, new = pair()
    md = diff_to_markdown(compute_diff(old, new))
    assert "| NET | high | 0 | 1 | 1 | 0 |" in md
    assert "### Not re-checked" in md
    assert "2026-06-08 06:00 UTC" in md and "2026-06-15 06:00 UTC" in md


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_section_escapes_hostile_values() -> None:
    html = diff_to_html_section(hostile_pair())
    p = _Collect()
    p.feed(html)
    assert "img" not in p.tags and "script" not in p.tags
    assert any("<img src=x onerror=alert(1)>" in t for t in p.text)  # shown as text
    assert html.startswith('<section class="ahds-diff"')


def test_html_page_wraps_section_once() -> None:
    d = hostile_pair()
    page = diff_to_html(d)
    assert page.startswith("<!DOCTYPE html>")
    assert diff_to_html_section(d) in page
    assert "&lt;section" not in page


def test_summary_line() -> None:
    old, new = pair()
    assert diff_summary_line(compute_diff(old, new)) == (
        "diff: 2 new, 2 fixed, 1 still open (1 not re-checked); 2026-06-08 06:00 UTC -> 2026-06-15 06:00 UTC"
    )
