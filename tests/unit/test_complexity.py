"""Scale guarantees without timings: evaluation grows linearly, big reports stay usable, fast JSON is exact.

Linearity is checked with a deterministic counter, the number of Python function calls made while evaluating
every rule and rendering every format (``sys.setprofile``): doubling the tenant must roughly double it, where a
rule that scans all assignments once per assignment would quadruple it. Wall-clock figures live in
``bench/evaluate.py``, never here.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench._snapshots import NOW, build_snapshot
from reports import builtin_reporters
from reports.base import ReportOptions
from reports.html import PASS_ROWS_PER_RULE, HtmlReporter
from scanner._jsontext import (
    SPLICE,
    dumps_pretty,
    encode_at,
    shaped_encoder,
    splice,
    write_spliced,
    write_spliced_lists,
)
from scanner.engine import build_report, evaluate, select_rules
from scanner.findings import ScanReport
from scanner.plugins import load_registry
from scanner.rule import Status
from tests.reports._sample import RULES, demo_report, finding, hostile_report


def _clear_caches() -> None:
    """Empty the rules' memo caches so each run counts its own work."""
    for name, module in list(sys.modules.items()):
        if name == "rules" or name.startswith("rules."):
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


def _calls(fn: Callable[[], object]) -> int:
    count = 0

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call":
            count += 1

    _clear_caches()
    sys.setprofile(tracer)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def _pipeline_calls(scale: int) -> tuple[int, int]:
    """Calls made by evaluate and by rendering every format, for a tenant ``scale`` times the base size."""
    snapshot = build_snapshot(role_assignments=800 * scale, applications=80 * scale, subscriptions=2 * scale)
    selection = select_rules(load_registry())
    findings: list[Any] = []
    evaluated = _calls(lambda: findings.extend(evaluate(snapshot, selection, now=NOW)))
    report = build_report(snapshot, selection, findings, tool_version="test")
    reporters = builtin_reporters()
    rendered = _calls(lambda: [r.render(report, ReportOptions()) for r in reporters.values()])
    return evaluated, rendered


def test_evaluation_and_rendering_grow_linearly_with_the_tenant() -> None:
    small_eval, small_render = _pipeline_calls(1)
    large_eval, large_render = _pipeline_calls(2)
    # Twice the assignments, apps, principals and resources: about twice the work, never four times.
    assert 1.6 <= large_eval / small_eval <= 2.3, (small_eval, large_eval)
    assert large_render / small_render <= 2.3, (small_render, large_render)


def _with_passes(passes: int, fails: int) -> tuple[ScanReport, list[str], list[str]]:
    """The demo report plus ``passes`` passes and ``fails`` failures of its first rule."""
    demo = demo_report()
    rule = RULES[0]
    base = "/subscriptions/00000000-0000-0000-0000-000000000009/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/"
    passed = [f"{base}pass{i:05d}" for i in range(passes)]
    failed = [f"{base}fail{i:05d}" for i in range(fails)]
    extra = [
        finding(rule.id, Status.PASS, rid, "Passes.", resource_type="Microsoft.Storage/storageAccounts")
        for rid in passed
    ] + [
        finding(rule.id, Status.FAIL, rid, "Fails.", resource_type="Microsoft.Storage/storageAccounts")
        for rid in failed
    ]
    return demo.model_copy(update={"results": [*demo.results, *extra]}), passed, failed


def test_html_lists_every_failure_and_counts_the_passes_it_does_not_list() -> None:
    report, _, failed = _with_passes(PASS_ROWS_PER_RULE + 37, 25)
    page = HtmlReporter().render(report, ReportOptions())
    article = _article(page, RULES[0].id)
    assert all(f"{rid}<" in article for rid in failed)
    counts = {s: sum(f.rule_id == RULES[0].id and f.status is s for f in report.results) for s in Status}
    assert article.count('class="finding" data-status="fail"') == counts[Status.FAIL]
    assert article.count('class="finding" data-status="pass"') == PASS_ROWS_PER_RULE
    omitted = counts[Status.PASS] - PASS_ROWS_PER_RULE
    assert f"{omitted} more passed result(s) of this rule are counted above but not listed here" in page


def _article(page: str, rule_id: str) -> str:
    start = page.index(f'id="rule-{rule_id}"')
    return page[start : page.index("</article>", start)]


def test_html_lists_every_pass_up_to_the_cap() -> None:
    report, passed, _ = _with_passes(PASS_ROWS_PER_RULE - 5, 1)
    page = HtmlReporter().render(report, ReportOptions())
    assert all(f"{rid}<" in page for rid in passed)
    assert "more passed result(s)" not in page


def test_findings_json_is_the_standard_library_text() -> None:
    snapshot = build_snapshot(role_assignments=1500, applications=150, subscriptions=2)
    selection = select_rules(load_registry())
    evaluated = build_report(snapshot, selection, evaluate(snapshot, selection, now=NOW), tool_version="t")
    for report in (demo_report(), hostile_report(), evaluated):
        expected = json.dumps(report.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        assert report.to_json() == expected


_keys = st.lists(st.text(max_size=5), min_size=1, max_size=5, unique=True)


@settings(max_examples=150, deadline=None)
@given(_keys.flatmap(lambda keys: st.tuples(st.just(keys), st.lists(_json_values, min_size=len(keys), max_size=len(keys)))),
       st.integers(min_value=0, max_value=4), st.booleans())
def test_a_dict_of_a_fixed_shape_is_encoded_as_any_dict(
    shape: tuple[list[str], list[object]], level: int, ensure_ascii: bool
) -> None:
    """``shaped_encoder`` (every finding of findings.json) writes the text ``encode_at`` writes."""
    keys, values = shape
    doc = dict(zip(keys, values, strict=True))
    encode = shaped_encoder(keys, ensure_ascii=ensure_ascii)
    assert encode(doc, level) == encode_at(doc, level, ensure_ascii=ensure_ascii)
    assert encode(doc, level) == encode_at(doc, level, ensure_ascii=ensure_ascii)  # reused: same text


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(_json_values, st.booleans())
def test_pretty_json_equals_json_dumps(value: object, ensure_ascii: bool) -> None:
    expected = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=ensure_ascii)
    assert dumps_pretty(value, ensure_ascii=ensure_ascii) == expected


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_json_values, max_size=5),
    st.dictionaries(st.text(max_size=6), _json_values, max_size=3),
    st.integers(min_value=0, max_value=3),
    st.booleans(),
)
def test_a_streamed_list_is_the_text_of_the_whole_document(
    items: list[object], siblings: dict[str, object], depth: int, ensure_ascii: bool
) -> None:
    """``write_spliced`` (findings.json and SARIF results) writes exactly what one ``json.dumps`` would."""

    def nest(leaf: object) -> object:
        doc: object = {**siblings, "results": leaf}
        for level in range(depth):
            doc = [doc] if level % 2 else {"run": doc, "z": 1}
        return doc

    out = io.StringIO()
    write_spliced(out, nest(SPLICE), iter(items), ensure_ascii=ensure_ascii)
    assert out.getvalue() == json.dumps(nest(items), indent=2, sort_keys=True, ensure_ascii=ensure_ascii)


def test_a_document_without_exactly_one_splice_is_refused() -> None:
    for doc in ({"a": 1}, {"a": SPLICE, "b": [SPLICE]}):
        with pytest.raises(ValueError, match="exactly once"):
            write_spliced(io.StringIO(), doc, [], ensure_ascii=True)


def test_several_streamed_lists_give_the_text_of_the_whole_document() -> None:
    """Snapshots stream every list (``write_spliced_lists``); markers may sit anywhere, in any order."""
    lists = {"zeta": [1, {"b": [2, 3]}], "alpha": [], "mid": ["x", None]}
    doc = {"zeta": splice("zeta"), "alpha": splice("alpha"), "deep": {"mid": splice("mid"), "k": 1}}
    out = io.StringIO()
    write_spliced_lists(out, doc, {splice(k): iter(v) for k, v in lists.items()}, ensure_ascii=True)
    whole = {"zeta": lists["zeta"], "alpha": [], "deep": {"mid": lists["mid"], "k": 1}}
    assert out.getvalue() == json.dumps(whole, indent=2, sort_keys=True)
