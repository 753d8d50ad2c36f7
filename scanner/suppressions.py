"""Accepted risks: load the suppressions YAML fail-safe and mark the failures it covers.

The file is a reviewed list of exceptions, so it fails *safe*, never open:

- a file that is not YAML, or not ``{version: 1, suppressions: [...]}``, is a
  ``ConfigError`` (exit 2) with ``file:line:column``: the run stops before it
  could gate on the wrong set of exceptions;
- one bad entry (no justification, owner or expiry, a date that does not parse,
  an unknown or repeated key) does not stop the run: that entry suppresses
  nothing and becomes a warning naming ``file:line``;
- an entry past its expiry suppresses nothing (the entry's ``expires`` is its
  last valid day) and becomes a warning; an entry that matched no failure is
  reported as stale.

Only ``fail`` results are ever suppressed; passes and errors never are.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from scanner.errors import ConfigError
from scanner.findings import Finding, ScanReport, Suppression, summarize
from scanner.inventory import normalize_id
from scanner.rule import Status

SCHEMA_PATH = Path(__file__).parent / "schema" / "suppressions.schema.json"
"""The JSON Schema shipped in the package (regenerate with ``write_suppressions_schema()``)."""

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class SuppressionEntry(BaseModel):
    """One accepted risk as written in the file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: _Text = Field(description="Rule id or glob, case-insensitive, e.g. AHDS-TLS-* .")
    resource: _Text = Field(
        description="ARM id (or Entra object id) glob, case-insensitive; '*' crosses '/', "
        "e.g. /subscriptions/*/resourceGroups/rg-legacy/* ."
    )
    fingerprint: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{32}$")] | None = Field(
        default=None, description="Optional: only the result with this fingerprint (from findings.json)."
    )
    justification: _Text = Field(description="Why the risk is accepted (shown to auditors).")
    owner: _Text = Field(description="Who answers for the risk (person or team).")
    expires: date = Field(
        description="Last day the acceptance is valid (YYYY-MM-DD); after it, it is ignored."
    )
    ticket: _Text | None = Field(default=None, description="Optional change or risk ticket reference.")

    @field_validator("expires", mode="before")
    @classmethod
    def _iso_date_only(cls, value: object) -> object:
        """Accept only a calendar date written YYYY-MM-DD (pydantic would also read numbers as epochs)."""
        if isinstance(value, date) and not hasattr(value, "hour"):
            return value
        if isinstance(value, str) and _ISO_DATE.match(value.strip()):
            try:
                return date.fromisoformat(value.strip())
            except ValueError as exc:
                raise ValueError(f"not a valid date ({exc})") from None
        raise ValueError("must be a date written YYYY-MM-DD")

    def matches(self, f: Finding) -> bool:
        """True when the rule glob, the resource glob and (if given) the fingerprint all match ``f``."""
        if not fnmatch.fnmatchcase(f.rule_id.upper(), self.rule.upper()):
            return False
        if not fnmatch.fnmatchcase(normalize_id(f.resource_id), normalize_id(self.resource)):
            return False
        return self.fingerprint is None or self.fingerprint.lower() == f.fingerprint.lower()


class SuppressionsFile(BaseModel):
    """The whole accepted-risks file (the JSON Schema is generated from this model)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"title": "ahds-audit accepted risks (suppressions)"},
    )

    version: Literal[1]
    suppressions: list[SuppressionEntry] = Field(default_factory=list)


class WarningKind(StrEnum):
    """Why an entry needs attention."""

    INVALID = "invalid"
    EXPIRED = "expired"
    STALE = "stale"


@dataclass(frozen=True, slots=True, kw_only=True)
class SuppressionWarning:
    """An entry that suppresses nothing (invalid, expired) or matched nothing (stale)."""

    kind: WarningKind
    entry: str
    """``file:line`` of the entry."""
    message: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.entry}: {self.kind.value} accepted risk: {self.message}"


@dataclass(frozen=True, slots=True, kw_only=True)
class LocatedEntry:
    """A valid entry and where it is written (``file:line``)."""

    spec: SuppressionEntry
    entry: str
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SuppressionSet:
    """What ``load_suppressions`` read: the valid entries in file order and the load-time warnings."""

    source: str
    entries: tuple[LocatedEntry, ...] = ()
    warnings: tuple[SuppressionWarning, ...] = field(default_factory=tuple)


# --------------------------------------------------------------------------- loading


class _Loader(yaml.SafeLoader):
    """Safe loader that leaves dates as text, so a bad date is one entry's problem, not the file's."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_TOP_KEYS = ("version", "suppressions")


def load_suppressions(path: Path) -> SuppressionSet:
    """Read an accepted-risks file.

    Raises ``ConfigError`` (exit 2, one line with ``file:line:column``) when the
    file cannot be read, is not YAML, or is not ``{version: 1, suppressions: [...]}``.
    Never raises for a bad entry: it is left out of ``entries`` and reported in ``warnings``.
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read the suppressions file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: the suppressions file is not UTF-8 text") from exc
    try:
        loader = _Loader(text)  # the reader refuses control characters here already
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {' '.join(str(exc).split())}") from None
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
        return _read_document(name, root, data)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ConfigError(f"{where}: not valid YAML: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: not valid YAML: {' '.join(str(exc).split())}") from exc
    except RecursionError:
        raise ConfigError(f"{name}: the suppressions file is nested too deeply") from None
    except ValueError as exc:  # a scalar PyYAML cannot convert, e.g. an integer of 5000 digits
        raise ConfigError(f"{name}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def _read_document(name: str, root: yaml.Node | None, data: Any) -> SuppressionSet:
    hint = "see examples/suppressions.yaml"
    if root is None:
        raise ConfigError(f"{name}: the suppressions file is empty", hint=hint)
    if not isinstance(root, yaml.MappingNode) or not isinstance(data, dict):
        raise ConfigError(
            f"{_at(name, root)}: expected a mapping with 'version: 1' and 'suppressions:'", hint=hint
        )
    seen: set[str] = set()
    for key_node, _ in root.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key not in _TOP_KEYS:
            raise ConfigError(
                f"{_at(name, key_node)}: unknown key {key!r}; expected version, suppressions", hint=hint
            )
        if key in seen:
            raise ConfigError(f"{_at(name, key_node)}: {key!r} is given twice")
        seen.add(key)
    if "version" not in data:
        raise ConfigError(f"{_at(name, root)}: missing 'version: 1'", hint=hint)
    if data["version"] != 1 or isinstance(data["version"], bool):
        node = _value_node(root, "version")
        raise ConfigError(
            f"{_at(name, node)}: unsupported version {data['version']!r}; this tool reads version 1"
        )
    items = data.get("suppressions")
    item_nodes: list[yaml.Node] = []
    if items is None:
        items = []
    else:
        seq = _value_node(root, "suppressions")
        if not isinstance(seq, yaml.SequenceNode) or not isinstance(items, list):
            raise ConfigError(f"{_at(name, seq)}: 'suppressions' must be a list of entries", hint=hint)
        item_nodes = list(seq.value)

    entries: list[LocatedEntry] = []
    warnings: list[SuppressionWarning] = []
    for node, item in zip(item_nodes, items, strict=True):
        line = node.start_mark.line + 1
        where = f"{name}:{line}"
        problem = _entry_problem(node, item)
        if problem is None:
            try:
                entries.append(
                    LocatedEntry(spec=SuppressionEntry.model_validate(item), entry=where, line=line)
                )
                continue
            except ValidationError as exc:
                problem = _describe(exc)
        warnings.append(
            SuppressionWarning(
                kind=WarningKind.INVALID, entry=where, line=line, message=f"{problem}; it suppresses nothing"
            )
        )
    return SuppressionSet(source=name, entries=tuple(entries), warnings=tuple(warnings))


def _entry_problem(node: yaml.Node, item: object) -> str | None:
    """Problems pydantic cannot see: not a mapping, or a key written twice (YAML keeps the last silently)."""
    if not isinstance(node, yaml.MappingNode) or not isinstance(item, dict):
        return "an entry must be a mapping (rule, resource, justification, owner, expires)"
    counts = Counter(k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode))
    repeated = sorted(k for k, n in counts.items() if n > 1)
    if repeated:
        return f"key {repeated[0]!r} is given twice"
    return None


def _describe(exc: ValidationError) -> str:
    """One short clause per problem, missing fields first; never echoes the value."""
    missing = [str(e["loc"][0]) for e in exc.errors() if e["type"] == "missing" and e["loc"]]
    parts = [f"missing {', '.join(missing)}"] if missing else []
    for e in exc.errors():
        if e["type"] == "missing":
            continue
        key = ".".join(str(p) for p in e["loc"]) or "entry"
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key {key!r}")
        elif e["type"] == "string_too_short":
            parts.append(f"{key} is empty")
        else:
            parts.append(f"{key}: {e['msg'].removeprefix('Value error, ')}")
    return "; ".join(parts)


def _value_node(mapping: yaml.MappingNode, key: str) -> yaml.Node:
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            found: yaml.Node = v
            return found
    return mapping


def _at(name: str, node: yaml.Node) -> str:
    return f"{name}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


# --------------------------------------------------------------------------- applying


def apply_suppressions(
    report: ScanReport, suppressions: SuppressionSet, *, today: date
) -> tuple[ScanReport, list[SuppressionWarning]]:
    """Mark every ``fail`` result that a valid, unexpired entry matches, and recount the summary.

    The first matching entry in file order is recorded on the result (with its
    ``file:line``). Replaces any earlier suppression marks; never touches pass or
    error results. Returns all warnings in file order: the load-time ones, each
    expired entry (with how many failures it would have covered), and each stale
    entry (valid and unexpired, but matching no failure).
    An entry whose ``expires`` equals ``today`` still applies.
    """
    hits: Counter[int] = Counter()
    expired_hits: Counter[int] = Counter()
    results: list[Finding] = []
    for f in report.results:
        mark: Suppression | None = None
        if f.status is Status.FAIL:
            for i, le in enumerate(suppressions.entries):
                if not le.spec.matches(f):
                    continue
                if le.spec.expires < today:
                    expired_hits[i] += 1
                    continue
                hits[i] += 1
                if mark is None:
                    mark = Suppression(
                        justification=le.spec.justification,
                        expires=le.spec.expires,
                        owner=le.spec.owner,
                        entry=le.entry,
                        ticket=le.spec.ticket,
                    )
        results.append(f if f.suppression == mark else replace(f, suppression=mark))

    warnings = list(suppressions.warnings)
    for i, le in enumerate(suppressions.entries):
        if le.spec.expires < today:
            n = expired_hits[i]
            matched = (
                f"the {_count(n, 'failure')} it matches count against the gate"
                if n
                else "it matches no failure"
            )
            warnings.append(
                SuppressionWarning(
                    kind=WarningKind.EXPIRED,
                    entry=le.entry,
                    line=le.line,
                    message=f"expired on {le.spec.expires.isoformat()} and suppresses nothing; {matched}",
                )
            )
        elif not hits[i]:
            warnings.append(
                SuppressionWarning(
                    kind=WarningKind.STALE,
                    entry=le.entry,
                    line=le.line,
                    message=f"matched no failure (rule {le.spec.rule!r}, resource {le.spec.resource!r}); "
                    "remove it if the risk is gone",
                )
            )
    warnings.sort(key=lambda w: w.line)
    summary = summarize(results).model_copy(update={"fixed": report.summary.fixed})
    return report.model_copy(update={"results": results, "summary": summary}), warnings


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


# --------------------------------------------------------------------------- schema


def suppressions_json_schema() -> dict[str, Any]:
    """The JSON Schema of the accepted-risks file, generated from ``SuppressionsFile``."""
    schema = SuppressionsFile.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://github.com/ahds-audit/ahds-audit/schema/suppressions.schema.json"
    return schema


def render_suppressions_schema() -> str:
    """The schema as the checked-in file holds it: sorted keys, two-space indent, final newline."""
    return json.dumps(suppressions_json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_suppressions_schema(path: Path = SCHEMA_PATH) -> bool:
    """Regenerate the shipped schema file; True when it changed. A unit test fails while the copy is stale.

    Run ``python -c "from scanner.suppressions import write_suppressions_schema as w; w()"``.
    """
    text = render_suppressions_schema()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True
