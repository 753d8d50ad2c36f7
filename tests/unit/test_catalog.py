"""``rules list`` / ``rules show``: every rule listed, everything shown, unknown ids refused helpfully."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import pytest

from scanner.catalog import find_rule, render_list, render_markdown, render_show
from scanner.errors import UsageError
from scanner.plugins import Registry, load_registry
from scanner.rule import Compliance, Remediation, RuleSettings, Severity, rule
from tests.fixtures.rulekit import LOCAL_RULES, fresh_modules, meta

if TYPE_CHECKING:
    from markdown_it.token import Token

__all__ = ["fresh_modules"]

ANSI = re.compile(r"\x1b\[[0-9;]*m")


class WindowSettings(RuleSettings):
    """Settings of the catalogue test rule."""

    warn_days: int = 30


@rule(
    meta(
        "TEST-CRED-007",
        title="Secrets expire [bold]on time[/bold]",
        severity=Severity.HIGH,
        description="Checks expiry.\x1b[31m",
        remediation=Remediation(portal="Open the app.\nRotate the secret.", bicep="resource x 'y' = {}"),
        compliance=Compliance(
            hipaa=("164.308(a)(5)(ii)(D)",), nist=("IA-5(1)",), mcsb=("IM-8",), azure_policy=("guid-1",)
        ),
        references=(
            "https://learn.microsoft.com/entra/identity-platform/howto-create-service-principal-portal",
        ),
    ),
    settings=WindowSettings,
)
def secrets_expire(inv, ctx):  # type: ignore[no-untyped-def]
    yield from ()


@rule(meta("TEST-TLS-001", severity=Severity.LOW))
def tls_rule(inv, ctx):  # type: ignore[no-untyped-def]
    yield from ()


REGISTRY = Registry(rules=(secrets_expire, tls_rule))


def test_plain_list_has_every_id_with_severity_area_title_and_compliance() -> None:
    lines = render_list(REGISTRY, tty=False).splitlines()
    assert lines[0].split() == ["ID", "SEVERITY", "AREA", "TITLE", "COMPLIANCE"]
    row = next(line for line in lines if line.startswith("TEST-CRED-007"))
    assert row.split()[:3] == ["TEST-CRED-007", "high", "CRED"]
    assert "Secrets expire [bold]on time[/bold]" in row
    assert "HIPAA 164.308(a)(5)(ii)(D); NIST IA-5(1); MCSB IM-8" in row
    assert any(line.startswith("TEST-TLS-001") for line in lines)
    assert lines[-1] == "2 rule(s)"


def test_list_shows_effective_severities_when_given() -> None:
    text = render_list(REGISTRY, tty=False, severities={"TEST-TLS-001": Severity.CRITICAL})
    assert (
        next(line for line in text.splitlines() if line.startswith("TEST-TLS-001")).split()[1] == "critical"
    )


def test_terminal_list_is_a_table_with_every_id_and_no_markup_injection() -> None:
    text = ANSI.sub("", render_list(REGISTRY, tty=True, width=200))
    assert "┃" in text or "│" in text
    assert "TEST-CRED-007" in text and "TEST-TLS-001" in text
    assert "[bold]on time[/bold]" in text  # pack metadata is text, never rich markup


def test_json_list_is_machine_readable() -> None:
    rows = json.loads(render_list(REGISTRY, as_json=True))
    assert [r["id"] for r in rows] == ["TEST-CRED-007", "TEST-TLS-001"]
    assert rows[0]["compliance"] == {"hipaa": ["164.308(a)(5)(ii)(D)"], "nist": ["IA-5(1)"], "mcsb": ["IM-8"]}
    assert rows[0]["severity"] == "high" and rows[0]["area"] == "CRED"


def test_show_has_remediation_compliance_with_titles_references_and_settings() -> None:
    text = render_show(REGISTRY, "test-cred-007", tty=False)
    assert text.startswith("TEST-CRED-007  Secrets expire")
    assert "  Portal:\n    Open the app.\n    Rotate the secret.\n  Bicep:\n    resource x 'y' = {}" in text
    assert "164.308(a)(5)(ii)(D)  Security awareness and training: password management" in text
    assert "IA-5(1)  Authenticator Management | Password-based Authentication" in text
    assert "IM-8  Restrict the exposure of credentials and secrets" in text
    assert "guid-1" in text
    assert "https://learn.microsoft.com/entra/identity-platform/howto-create-service-principal-portal" in text
    assert "warn_days = 30" in text
    assert "Checks expiry.[31m" in text and "\x1b" not in text  # escape sequences from metadata are dropped


def test_terminal_show_has_the_same_content() -> None:
    text = ANSI.sub("", render_show(REGISTRY, "TEST-CRED-007", tty=True, width=200))
    assert "Rotate the secret." in text and "IM-8" in text and "warn_days = 30" in text


def test_show_json_has_everything() -> None:
    doc = json.loads(render_show(REGISTRY, "TEST-CRED-007", as_json=True))
    assert doc["remediation"] == {
        "portal": "Open the app.\nRotate the secret.",
        "cli": None,
        "bicep": "resource x 'y' = {}",
    }
    assert doc["settings"] == {"warn_days": 30}
    assert doc["settings_schema"]["properties"]["warn_days"]["default"] == 30
    assert doc["source"] == "tests.unit.test_catalog"


def test_unknown_id_is_a_usage_error_with_did_you_mean() -> None:
    with pytest.raises(UsageError, match="unknown rule id 'TEST-CRED-07'") as info:
        render_show(REGISTRY, "TEST-CRED-07")
    assert info.value.hint == "did you mean TEST-CRED-007?"
    assert info.value.exit_code == 2
    with pytest.raises(UsageError):
        find_rule(REGISTRY, "nothing-like-it")


def test_list_of_the_real_registry_with_a_local_folder_has_every_id(fresh_modules: None) -> None:
    registry = load_registry(rules_folder=LOCAL_RULES)
    text = render_list(registry, tty=False)
    listed = {line.split()[0] for line in text.splitlines()[1:-1]}
    assert listed == set(registry.ids) and "CONTOSO-NET-001" in listed
    shown = render_show(registry, "CONTOSO-NET-001", tty=False)
    assert "contoso_network.py" in shown and "Networking > Public network access: Disabled." in shown


@rule(
    meta(
        "TEST-NET-002",
        title="Hostile <img src=x onerror=alert(1)> | *not bold*",
        description="# not a heading\n- not a list | $math$ [link](https://evil.example)",
        remediation=Remediation(
            portal="Read this first. 1. Open <b>x</b>. 2. Set version 1.2. 3. Save.",
            cli="echo '```'\naz resource update --set a=b",
        ),
        compliance=Compliance(hipaa=(), nist=(), mcsb=()),
        resource_types=(),
    )
)
def hostile_rule(inv, ctx):  # type: ignore[no-untyped-def]
    yield from ()


def _markdown_tokens(text: str) -> list[Token]:
    from markdown_it import MarkdownIt

    return list(MarkdownIt("commonmark").enable("table").parse(text))


def _plain(inline: Token) -> str:
    """What a reader sees of an inline token: its text with every escape resolved."""
    return "".join(c.content for c in inline.children or [] if c.type in ("text", "code_inline"))


def test_markdown_reference_groups_by_area_and_documents_everything() -> None:
    text = render_markdown(Registry(rules=(tls_rule, hostile_rule, secrets_expire)))
    headings = [line for line in text.splitlines() if line.startswith(("## ", "### "))]
    assert headings == [
        "## Credentials (CRED)",
        "### TEST-CRED-007",
        "## Network (NET)",
        "### TEST-NET-002",
        "## TLS",
        "### TEST-TLS-001",
    ]
    section = text.split("### TEST-CRED-007\n", 1)[1].split("\n## ", 1)[0]
    assert "**Secrets expire \\[bold\\]on time\\[/bold\\]**" in section
    assert "- severity: **high**" in section
    assert "Open the app.\n\nRotate the secret." in section
    assert "Bicep:\n\n```bicep\nresource x 'y' = {}\n```" in section
    assert "| `warn_days` | integer | `30` |" in section
    assert "Override under `rules.settings.TEST-CRED-007`." in section
    assert (
        "| HIPAA Security Rule | 164.308(a)(5)(ii)(D) | Security awareness and training: password management |"
        in section
    )
    assert (
        "| Microsoft Cloud Security Benchmark v1 | IM-8 | Restrict the exposure of credentials and secrets |"
        in section
    )
    assert "Azure Policy built-in definitions: `guid-1`" in section
    assert (
        "- <https://learn.microsoft.com/entra/identity-platform/howto-create-service-principal-portal>"
        in section
    )
    assert "\x1b" not in text


def test_markdown_reference_shows_configured_severities() -> None:
    text = render_markdown(REGISTRY, severities={"TEST-TLS-001": Severity.CRITICAL})
    assert "| [TEST-TLS-001](#test-tls-001) | critical |" in text
    assert "- severity: **critical**" in text.split("### TEST-TLS-001", 1)[1]


def test_markdown_reference_renders_pack_metadata_as_literal_text() -> None:
    tokens = _markdown_tokens(render_markdown(Registry(rules=(hostile_rule,))))
    flat = [t for token in tokens for t in [token, *(token.children or [])]]
    html = [t for t in flat if t.type.startswith("html") and not t.content.startswith("<!-- Generated")]
    assert not html, "metadata must never become HTML"
    assert not [
        t for t in flat if t.type in ("link_open", "em_open", "strong_open") and "evil" in str(t.attrs)
    ]
    # the description stays two paragraphs of text: no heading, no list, no table row split on '|'
    text_of = {t.content for t in flat if t.type == "text"}
    assert "# not a heading" in text_of and "- not a list | $math$ [link](https://evil.example)" in text_of
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert "not a heading" not in headings
    # portal steps written "1. ... 2. ..." become an ordered list; "1.2" inside a step is not a step
    items = [_plain(tokens[i + 2]) for i, t in enumerate(tokens) if t.type == "list_item_open"]
    assert "Open <b>x</b>." in items and "Set version 1.2." in items and "Save." in items
    # a command holding ``` keeps its fence intact
    fences = [t for t in tokens if t.type == "fence"]
    assert [f.content for f in fences] == ["echo '```'\naz resource update --set a=b\n"]
    assert fences[0].info == "sh"
