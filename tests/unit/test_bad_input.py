"""Hostile and random input files: every one ends in a result or one clear error line with exit code 2.

Property-based (hypothesis) over random YAML documents for the config and
suppressions loaders, plus the known-dangerous shapes (alias bombs, recursive
aliases, Python object tags, control characters, deep nesting, non-UTF-8), and
broken or hostile inventory snapshots through ``scan --snapshot``.
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.cli import main
from scanner.config import Config, load_config
from scanner.errors import ConfigError
from scanner.inventory import FhirService, StorageAccount, Subscription
from scanner.suppressions import SuppressionSet, load_suppressions
from tests.factories import NOW, SUB, arm_id, snapshot
from tests.faults._guard import hang_guard

# --------------------------------------------------------------------------- helpers


def _write(directory: Path, content: str | bytes, name: str = "input.yaml") -> Path:
    path = directory / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def _run(argv: list[str]) -> tuple[int, str]:
    stderr = io.StringIO()
    with hang_guard(60), contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, stderr.getvalue()


def _assert_one_clear_error(code: int, err: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    lines = err.strip().splitlines()
    assert lines and lines[0].startswith("ahds-audit: error: "), err
    assert len(lines) <= 2 and all(line.startswith("  hint: ") for line in lines[1:]), err


def _assert_one_line(exc: ConfigError) -> None:
    """The message is one printable line (file data cannot forge more); a hint may follow."""
    message = str(exc).split("\n  hint: ")[0]
    assert message.strip() and "\n" not in message and message.isprintable(), repr(message)


# --------------------------------------------------------------------------- random YAML

_REAL_KEYS = [
    "cloud", "auth", "scope", "collection", "output", "rules", "suppressions", "baseline", "gate", "sarif",
    "name", "arm_endpoint", "graph_endpoint", "authority_host", "ca_bundle", "method", "tenant_id",
    "client_id", "client_secret_env", "client_secret", "subscriptions", "exclude_subscriptions",
    "concurrency", "timeout_s", "max_retries", "graph", "dir", "formats", "enable", "disable", "severity",
    "settings", "folder", "fail_on", "allow_incomplete", "version", "rule", "resource", "justification",
    "owner", "expires", "ticket", "fingerprint",
]  # fmt: skip
_NEAR_MISSES = [k.upper() for k in _REAL_KEYS[:8]] + [k + "s" for k in _REAL_KEYS[:8]] + ["timeout", "cloud "]

_keys = st.sampled_from(_REAL_KEYS + _NEAR_MISSES) | st.text(min_size=0, max_size=12)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["2024-02-30", "2024-01-01", "yes", "off", "0x1F", "1e400", "~", "*", "&", "!", "@now"])
)
_documents = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(_keys, children, max_size=6),
    max_leaves=30,
)

_RAW_SNIPPETS = [
    "a: &x [1, 2]\nb: *x\n",
    "a: *undefined\n",
    "a: !!python/object/apply:os.system ['true']\n",
    "a: !!python/name:os.system\n",
    "a: !!binary aGVsbG8=\n",
    "a: !!set {x, y}\n",
    "a: !!omap [{x: 1}]\n",
    "a: !!timestamp 2024-13-45\n",
    "a: 1\na: 2\n",
    "<<: {cloud: {}}\n",
    "? [x]\n: y\n",
    "cloud: {name: custom}\ncloud: {name: AzureCloud}\n",
    "version: 1\nsuppressions: {}\n",
    "version: 1\nsuppressions:\n  - rule: '*'\n    resource: '*'\n",
    "%YAML 1.1\n---\na: 1\n...\n---\nb: 2\n",
    "a: 'unterminated\n",
    "\t- tab\n",
    "\ufeffa: 1\n",
]
_raw_text = st.one_of(
    st.sampled_from(_RAW_SNIPPETS),
    st.lists(st.sampled_from(_RAW_SNIPPETS), min_size=1, max_size=4).map("".join),
    st.text(max_size=200),
)


def _dump(doc: object, unicode: bool) -> str:
    return yaml.safe_dump(doc, allow_unicode=unicode, sort_keys=False)


_any_yaml = st.one_of(
    st.builds(_dump, _documents, st.booleans()),
    st.builds(_dump, st.dictionaries(_keys, _documents, max_size=6), st.booleans()),
    _raw_text,
)
_any_input: st.SearchStrategy[str | bytes] = st.one_of(_any_yaml, st.binary(max_size=200))


_PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_PROPERTY
@given(_any_input)
def test_load_config_returns_a_config_or_raises_config_error(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), content)
        with hang_guard(10):
            try:
                assert isinstance(load_config(path, environ={}), Config)
            except ConfigError as exc:
                _assert_one_line(exc)


@_PROPERTY
@given(_any_input)
def test_load_suppressions_returns_entries_or_raises_config_error(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), content)
        with hang_guard(10):
            try:
                assert isinstance(load_suppressions(path), SuppressionSet)
            except ConfigError as exc:
                _assert_one_line(exc)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_any_input)
def test_a_bad_config_exits_2_with_one_line(content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), content)
        try:
            load_config(path, environ={})
        except ConfigError:
            pass
        else:
            return  # a valid config would start a scan; the loader property above covers it
        _assert_one_clear_error(*_run(["scan", "--config", str(path), "-o", str(Path(tmp) / "out")]))


@pytest.fixture(scope="module")
def snapshot_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small valid snapshot to evaluate offline."""
    path = tmp_path_factory.mktemp("snap") / "snapshot.json"
    snapshot(subscriptions=[Subscription(subscription_id=SUB, display_name="prod", complete=True)]).save(path)
    return path


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(_any_input)
def test_any_suppressions_file_ends_in_a_result_or_exit_2(snapshot_file: Path, content: str | bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), content)
        argv = [
            "scan",
            "--snapshot",
            str(snapshot_file),
            "--suppressions",
            str(path),
            "-o",
            tmp,
            "-q",
            "-f",
            "json",
        ]
        code, err = _run(argv + ["--fail-on", "none"])
        assert "Traceback" not in err and "internal error" not in err, err
        if code == 2:
            _assert_one_clear_error(code, err)
        else:
            assert code == 0 and (Path(tmp) / "findings.json").exists()


# --------------------------------------------------------------------------- known-dangerous shapes

_BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("alias bomb", _BOMB),
        ("alias bomb under a real key", _BOMB.replace("i: &i", "rules:\n  settings:\n    X: {y: &i") + "}\n"),
        ("recursive alias", "rules:\n  enable: &a [*a]\n"),
        ("recursive mapping", "cloud: &c {name: custom, nested: *c}\n"),
        ("deep nesting", "a: " + "[" * 5000 + "]" * 5000 + "\n"),
        ("NUL character", "cloud:\n  name: custom\x00\n"),
        ("escape sequence", "cloud:\n  name: \x1b[31mred\n"),
        ("huge integer", "collection:\n  concurrency: " + "9" * 5000 + "\n"),
        ("not UTF-8", b"cloud:\n  name: \xff\xfe\n"),
        ("python object", "cloud: !!python/object/apply:os.system ['true']\n"),
    ],
)
def test_dangerous_yaml_is_refused_clearly_for_both_files(
    tmp_path: Path, name: str, content: str | bytes
) -> None:
    path = _write(tmp_path, content)
    for loader in (lambda p: load_config(p, environ={}), load_suppressions):
        with hang_guard(10), pytest.raises(ConfigError) as caught:
            loader(path)
        assert "\n" not in str(caught.value).split("\n  hint:")[0], name
    _assert_one_clear_error(*_run(["scan", "--config", str(path)]))


def test_a_python_tag_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = _write(tmp_path, f"cloud: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError):
        load_config(path, environ={})
    with pytest.raises(ConfigError):
        load_suppressions(path)
    assert not marker.exists()


def test_an_alias_bomb_in_suppressions_entries_stayshang_guard(tmp_path: Path) -> None:
    entries = _BOMB.replace("\n", "\n  ").replace("a: &a", "x0: &a", 1)
    path = _write(tmp_path, "version: 1\nextra:\n  " + entries + "\n")
    with hang_guard(10), pytest.raises(ConfigError):
        load_suppressions(path)
    path = _write(tmp_path, _BOMB + "version: 1\nsuppressions: [*i, *i]\n")
    with hang_guard(10), pytest.raises(ConfigError):  # unknown top-level keys, found before any expansion
        load_suppressions(path)
    path = _write(tmp_path, "version: 1\nsuppressions:\n  - &e {rule: &r [*r], resource: x}\n  - *e\n")
    with hang_guard(10):
        loaded = load_suppressions(path)
    assert loaded.entries == () and len(loaded.warnings) == 2


# --------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize(
    "content",
    [
        '{"schema_version": "1.0", "tenant_id": "x"',
        '{"schema_version": "9.0"}',
        '{"schema_version": 1}',
        "[]",
        '"a snapshot"',
        "42",
        "",
        "[" * 100_000 + "]" * 100_000,
        '{"schema_version": "1.0", "subscriptions": [{"\\u001b[31mevil\\nline": 1}]}',
    ],
    ids=[
        "truncated",
        "future-version",
        "version-not-text",
        "list",
        "string",
        "number",
        "empty",
        "deep",
        "hostile-key",
    ],
)
def test_a_broken_snapshot_exits_2_with_one_line(tmp_path: Path, content: str) -> None:
    path = _write(tmp_path, content, "snapshot.json")
    code, err = _run(["scan", "--snapshot", str(path), "-o", str(tmp_path / "out")])
    _assert_one_clear_error(code, err)
    assert "\x1b" not in err
    assert not (tmp_path / "out").exists()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(min_value=0))
def test_a_snapshot_cut_anywhere_exits_2(snapshot_file: Path, cut: int) -> None:
    # Cut inside the JSON document itself: dropping only the trailing newline leaves a valid snapshot.
    text = snapshot_file.read_text(encoding="utf-8").rstrip()
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp), text[: cut % len(text)], "snapshot.json")
        _assert_one_clear_error(*_run(["scan", "--snapshot", str(path), "-o", tmp]))


HOSTILE = [
    "<script>alert(1)</script>",
    "**bold** | pipe `tick` [link](http://x) # heading",
    "bell\x07 escape\x1b[31m nul-free",
    "]]></failure><x>&amp;",
    "{{ 7 * 7 }} {% raw %}",
    "\u202eevil\u202c",
]


def test_hostile_strings_in_a_snapshot_stay_inert_in_every_format(tmp_path: Path) -> None:
    tags = {f"t{i}": value for i, value in enumerate(HOSTILE)}
    fhir = FhirService(
        id=arm_id("Microsoft.HealthcareApis/workspaces/fhirservices", "ws/fhir1"),
        name=HOSTILE[0],
        type="Microsoft.HealthcareApis/workspaces/fhirservices",
        subscription_id=SUB,
        workspace_id=arm_id("Microsoft.HealthcareApis/workspaces", "ws"),
        tags=tags,
        public_network_access="Enabled",
        cors={"origins": HOSTILE, "headers": ["*"], "methods": ["GET"], "allow_credentials": False},
    )
    storage = StorageAccount(
        id=arm_id("Microsoft.Storage/storageAccounts", "st1"),
        name=HOSTILE[1],
        type="Microsoft.Storage/storageAccounts",
        subscription_id=SUB,
        tags=tags,
        minimum_tls_version=HOSTILE[2],
    )
    snap = snapshot(
        subscriptions=[Subscription(subscription_id=SUB, display_name=HOSTILE[3], complete=True)],
        fhir_services=[fhir],
        storage_accounts=[storage],
        finished_at=NOW,
    )
    path = tmp_path / "hostile.json"
    snap.save(path)
    out = tmp_path / "out"
    code, err = _run(["scan", "--snapshot", str(path), "-o", str(out), "-q", "-f", "all"])
    assert code in (0, 1), err
    assert "Traceback" not in err and "\x1b" not in err
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert findings["results"], "the hostile resources were evaluated"
    json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    ET.parse(out / "junit.xml")
    html = (out / "report.html").read_text(encoding="utf-8")
    markdown = (out / "summary.md").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)" in html
    assert "]]></failure><x>" not in html
    assert "<script>alert(1)</script>" not in markdown
    for name in ("findings.json", "findings.sarif", "report.html", "junit.xml", "summary.md"):
        text = (out / name).read_text(encoding="utf-8")
        assert "\x07" not in text and "\x1b" not in text, name
