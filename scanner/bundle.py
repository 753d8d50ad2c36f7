"""The evidence bundle: one directory or ``.zip`` an auditor can check and re-evaluate on their own.

``write_bundle`` stores the inventory snapshot, the findings, every report,
the effective configuration (secrets redacted, again, here), the tool version
and the rule catalogue, plus ``MANIFEST.sha256`` (``sha256sum`` format) over
all of them. Output is deterministic: equal inputs give byte-identical files
and, for a zip, a byte-identical archive (fixed timestamps, sorted entries).

``verify_bundle`` never extracts anything to disk: it reads the files into
memory, refuses unsafe names (absolute, ``..``, backslashes, links), checks
every manifest line, and optionally re-runs the rules on the bundled snapshot
to confirm the bundled results are reproduced exactly.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import platform
import re
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from scanner.config import redact_secrets
from scanner.errors import OutputError, SnapshotError

logger = logging.getLogger(__name__)

BUNDLE_FORMAT = 1
MANIFEST = "MANIFEST.sha256"
SNAPSHOT = "snapshot.json"
FINDINGS = "findings.json"
CONFIG = "config.redacted.json"
TOOL = "tool.json"
RULES = "rules.json"
REPORTS_DIR = "reports"
REQUIRED = (SNAPSHOT, FINDINGS, CONFIG, TOOL, RULES)

COMPARED_FIELDS = ("fingerprint", "rule_id", "rule_version", "status", "severity", "message", "evidence")
"""What must be identical between bundled and re-evaluated results (suppression/baseline marks need not)."""

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_MAX_BYTES = 1 << 30
"""Refuse to read bundles larger than this in total (a zip bomb would otherwise fill memory)."""
_MANIFEST_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")

# --------------------------------------------------------------------------- writing


def redact(data: Any) -> Any:
    """Defence in depth behind ``Config.redacted()``: the same redaction again, on what is written."""
    return redact_secrets(data)


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle_files(
    *,
    snapshot_json: str,
    findings_json: str,
    reports: Mapping[str, Path],
    effective_config: Mapping[str, Any],
    tool_version: str,
    rule_catalogue: list[dict[str, Any]],
) -> dict[str, bytes]:
    """Every file of the bundle (manifest included) by relative POSIX path. Raises ``OutputError``."""
    rules = sorted(rule_catalogue, key=lambda r: str(r.get("id", "")))
    files: dict[str, bytes] = {
        SNAPSHOT: snapshot_json.encode("utf-8"),
        FINDINGS: findings_json.encode("utf-8"),
        CONFIG: _json_bytes(redact(dict(effective_config))),
        RULES: _json_bytes(rules),
        TOOL: _json_bytes(
            {
                "name": "ahds-audit",
                "version": tool_version,
                "python": platform.python_version(),
                "bundle_format": BUNDLE_FORMAT,
                "rule_catalogue_version": _catalogue_version(findings_json, rules),
            }
        ),
    }
    for fmt, path in sorted(reports.items()):
        name = f"{REPORTS_DIR}/{path.name}"
        if name in files:
            raise OutputError(f"bundle: two reports are both named {path.name!r} ({fmt})")
        try:
            files[name] = path.read_bytes()
        except OSError as exc:
            raise OutputError(f"bundle: cannot read the {fmt} report {path}: {exc.strerror or exc}") from exc
    files[MANIFEST] = "".join(f"{_digest(files[n])}  {n}\n" for n in sorted(files)).encode("utf-8")
    return files


def _catalogue_version(findings_json: str, rules: list[dict[str, Any]]) -> str:
    """The findings' own ``rule_catalogue_version``; else the engine's recipe (sha256 of sorted id@version)."""
    try:
        value = json.loads(findings_json).get("scan", {}).get("rule_catalogue_version")
    except (ValueError, AttributeError):
        value = None
    if isinstance(value, str) and value:
        return value
    ids = "\n".join(f"{r.get('id')}@{r.get('version')}" for r in rules)
    return hashlib.sha256(ids.encode("utf-8")).hexdigest()[:12]


def write_bundle(
    dest: Path,
    *,
    snapshot_json: str,
    findings_json: str,
    reports: Mapping[str, Path],
    effective_config: Mapping[str, Any],
    tool_version: str,
    rule_catalogue: list[dict[str, Any]],
) -> Path:
    """Write the bundle to ``dest`` (a ``.zip`` file, else a directory) and return ``dest``.

    The directory must not exist or be empty (a bundle never mixes with other
    files); a zip is replaced atomically. Nothing partial is left behind on
    failure. Raises ``OutputError`` (exit 2) when it cannot write.
    """
    files = bundle_files(
        snapshot_json=snapshot_json,
        findings_json=findings_json,
        reports=reports,
        effective_config=effective_config,
        tool_version=tool_version,
        rule_catalogue=rule_catalogue,
    )
    try:
        if dest.suffix.lower() == ".zip":
            _write_zip(dest, files)
        else:
            _write_dir(dest, files)
    except OSError as exc:
        raise OutputError(f"{dest}: cannot write the evidence bundle: {exc.strerror or exc}") from exc
    logger.info("evidence bundle written: %s (%d files)", dest, len(files))
    return dest


def _write_zip(dest: Path, files: Mapping[str, bytes]) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.create_system = 3  # Unix, so the mode above is honoured the same on every platform
            zf.writestr(info, files[name], compresslevel=9)
    fd, tmp = tempfile.mkstemp(prefix=".bundle-", suffix=".zip.tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_dir(dest: Path, files: Mapping[str, bytes]) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise OutputError(
            f"{dest}: the bundle directory exists and is not empty",
            hint="give a new directory, or a path ending in .zip",
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".bundle-", dir=dest.parent))
    try:
        for name, data in files.items():
            target = tmp.joinpath(*PurePosixPath(name).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if dest.exists():
            dest.rmdir()
        tmp.rename(dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


# --------------------------------------------------------------------------- reading and verifying


@dataclass(frozen=True, slots=True)
class BundleContents:
    """The files of a bundle, read into memory by safe relative POSIX name."""

    files: Mapping[str, bytes]

    def text(self, name: str) -> str:
        """One file as UTF-8 text; raises ``SnapshotError`` when absent or not text."""
        try:
            return self.files[name].decode("utf-8")
        except KeyError:
            raise SnapshotError(f"bundle has no {name}") from None
        except UnicodeDecodeError as exc:
            raise SnapshotError(f"bundle file {name} is not UTF-8 text") from exc

    def json(self, name: str) -> Any:
        """One file parsed as JSON; raises ``SnapshotError`` when absent or malformed."""
        try:
            return json.loads(self.text(name))
        except json.JSONDecodeError as exc:
            raise SnapshotError(f"bundle file {name} is not valid JSON ({exc})") from exc

    @property
    def snapshot_json(self) -> str:
        """The bundled inventory snapshot (what ``reevaluate`` runs the rules on)."""
        return self.text(SNAPSHOT)

    @property
    def findings_json(self) -> str:
        """The bundled ``findings.json``."""
        return self.text(FINDINGS)

    @property
    def config(self) -> dict[str, Any]:
        """The effective configuration as bundled (redacted): its ``rules`` section is the rule selection."""
        data = self.json(CONFIG)
        return data if isinstance(data, dict) else {}

    @property
    def rules(self) -> list[dict[str, Any]]:
        """The rule catalogue that ran (id, version, severity after overrides, settings)."""
        data = self.json(RULES)
        return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleVerdict:
    """Outcome of ``verify_bundle``: ``ok`` only when the manifest holds and (if asked) findings reproduce."""

    path: str
    files_checked: int
    manifest_sha256: str | None
    """Digest of ``MANIFEST.sha256`` itself: compare with the value recorded when the bundle was made."""
    problems: tuple[str, ...] = ()
    """Integrity problems: missing, extra, altered or unsafe files, a malformed manifest."""
    reproduced: bool | None = None
    """None when not re-evaluated; else whether every result came out identical."""
    differences: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when the bundle is intact and, if it was re-evaluated, reproduced exactly."""
        return not self.problems and self.reproduced is not False

    def lines(self) -> list[str]:
        """Human lines for the console: one per problem or difference, then the verdict."""
        out = [f"problem: {p}" for p in self.problems] + [f"difference: {d}" for d in self.differences]
        how = {
            None: "not re-evaluated",
            True: "findings reproduced exactly",
            False: "findings NOT reproduced",
        }
        state = "intact" if not self.problems else f"{len(self.problems)} integrity problem(s)"
        if self.manifest_sha256:
            out.append(
                f"MANIFEST.sha256 sha256: {self.manifest_sha256} (record it to detect a swapped bundle)"
            )
        out.append(
            f"bundle {'verified' if self.ok else 'FAILED verification'}: {self.files_checked} files, "
            f"{state}, {how[self.reproduced]}"
        )
        return out


def unsafe_name(name: str) -> str | None:
    """Why ``name`` cannot be a bundle member (absolute, ``..``, backslash, drive, empty part), or None."""
    if not name or "\\" in name or "\x00" in name:
        return "contains a backslash or NUL" if name else "empty name"
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "'..', '.' or empty path segment"
    return None


def read_bundle(path: Path) -> tuple[BundleContents, list[str]]:
    """Read a bundle directory or zip into memory, never following links or writing to disk.

    Returns the safe members and the problems found (unsafe names, links,
    duplicates). Raises ``SnapshotError`` (exit 2) when ``path`` is neither.
    """
    if path.is_dir():
        return _read_dir(path)
    if path.is_file() and zipfile.is_zipfile(path):
        return _read_zip(path)
    raise SnapshotError(f"{path}: not an evidence bundle (expected a directory or a .zip)")


def _read_dir(root: Path) -> tuple[BundleContents, list[str]]:
    files: dict[str, bytes] = {}
    problems: list[str] = []
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        for d in list(dirnames):
            if (here / d).is_symlink():
                problems.append(f"{(here / d).relative_to(root).as_posix()}: a link, not followed")
                dirnames.remove(d)
        for fname in filenames:
            p = here / fname
            rel = p.relative_to(root).as_posix()
            if p.is_symlink() or not p.is_file():
                problems.append(f"{rel}: not a regular file (link or device), not read")
                continue
            total += p.stat().st_size
            if total > _MAX_BYTES:
                raise SnapshotError(f"{root}: bundle larger than {_MAX_BYTES} bytes; refusing to read it")
            files[rel] = p.read_bytes()
    return BundleContents(files), problems


def _read_zip(path: Path) -> tuple[BundleContents, list[str]]:
    files: dict[str, bytes] = {}
    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > _MAX_BYTES:
                raise SnapshotError(
                    f"{path}: bundle larger than {_MAX_BYTES} bytes uncompressed; refusing it"
                )
            for info in infos:
                if info.is_dir():
                    continue
                why = unsafe_name(info.filename)
                mode = info.external_attr >> 16
                if why is None and stat.S_ISLNK(mode):
                    why = "a link"
                if why is None and info.filename in files:
                    why = "appears twice in the archive"
                if why is not None:
                    problems.append(f"{info.filename!r}: unsafe member ({why}), not read")
                    continue
                files[info.filename] = zf.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise SnapshotError(f"{path}: cannot read the bundle zip ({exc})") from exc
    return BundleContents(files), problems


def check_manifest(contents: BundleContents) -> tuple[list[str], int]:
    """Compare every manifest line with the files: (problems, number of files verified)."""
    problems: list[str] = []
    raw = contents.files.get(MANIFEST)
    if raw is None:
        return [f"{MANIFEST} is missing: nothing can be verified"], 0
    listed: dict[str, str] = {}
    for n, line in enumerate(raw.decode("utf-8", errors="replace").splitlines(), start=1):
        m = _MANIFEST_LINE.match(line)
        if not m:
            problems.append(f"{MANIFEST}:{n}: malformed line")
            continue
        digest, name = m.groups()
        why = unsafe_name(name)
        if why is not None:
            problems.append(f"{MANIFEST}:{n}: unsafe path {name!r} ({why})")
        elif name == MANIFEST or name in listed:
            problems.append(f"{MANIFEST}:{n}: {name} listed twice or lists the manifest itself")
        else:
            listed[name] = digest
    verified = 0
    for name, digest in sorted(listed.items()):
        data = contents.files.get(name)
        if data is None:
            problems.append(f"{name}: listed in the manifest but missing")
        elif _digest(data) != digest:
            problems.append(f"{name}: content differs from the manifest (altered)")
        else:
            verified += 1
    for name in sorted(set(contents.files) - set(listed) - {MANIFEST}):
        problems.append(f"{name}: not listed in the manifest (added)")
    for name in REQUIRED:
        if name not in listed:
            problems.append(f"{name}: required file not listed in the manifest")
    return problems, verified


def compare_findings(bundled_json: str, reproduced_json: str, *, limit: int = 50) -> list[str]:
    """Differences between two findings documents in ``COMPARED_FIELDS`` and in rule versions.

    Results are matched by fingerprint; at most ``limit`` differences are
    listed, then one line counting the rest. Empty means reproduced exactly.
    """
    try:
        old, new = json.loads(bundled_json), json.loads(reproduced_json)
    except json.JSONDecodeError as exc:
        return [f"a findings document is not valid JSON ({exc})"]
    diffs: list[str] = []
    a, dup_a = _index(old)
    b, dup_b = _index(new)
    diffs += [f"bundled findings hold fingerprint {fp} twice" for fp in dup_a]
    diffs += [f"re-evaluation produced fingerprint {fp} twice" for fp in dup_b]
    for fp in sorted(set(a) | set(b)):
        ra, rb = a.get(fp), b.get(fp)
        if rb is None and ra is not None:
            diffs.append(f"{_label(ra)}: in the bundle, not produced by re-evaluation")
        elif ra is None and rb is not None:
            diffs.append(f"{_label(rb)}: produced by re-evaluation, not in the bundle")
        elif ra is not None and rb is not None:
            for key in COMPARED_FIELDS:
                if ra.get(key) != rb.get(key):
                    diffs.append(
                        f"{_label(ra)}: {key} differs (bundled {_short(ra.get(key))}, "
                        f"re-evaluated {_short(rb.get(key))})"
                    )
    va, vb = _rule_versions(old), _rule_versions(new)
    if va and vb:
        for rid in sorted(set(va) | set(vb)):
            if va.get(rid) != vb.get(rid):
                diffs.append(f"rule {rid}: version {va.get(rid)} in the bundle, {vb.get(rid)} now")
    if len(diffs) > limit:
        diffs = diffs[:limit] + [f"... and {len(diffs) - limit} more differences"]
    return diffs


def _index(doc: Any) -> tuple[dict[str, dict[str, Any]], list[str]]:
    out: dict[str, dict[str, Any]] = {}
    dups: list[str] = []
    results = doc.get("results", []) if isinstance(doc, dict) else []
    for r in results if isinstance(results, list) else []:
        if not isinstance(r, dict):
            continue
        fp = str(r.get("fingerprint"))
        if fp in out:
            dups.append(fp)
        out[fp] = r
    return out, dups


def _rule_versions(doc: Any) -> dict[str, str]:
    rules = doc.get("rules", []) if isinstance(doc, dict) else []
    return {str(r.get("id")): str(r.get("version")) for r in rules if isinstance(r, dict)}


def _label(r: Mapping[str, Any]) -> str:
    sub = f" [{r.get('sub_id')}]" if r.get("sub_id") else ""
    return f"{r.get('rule_id')} on {r.get('resource_id')!r}{sub}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "\u2026"


def verify_bundle(path: Path, *, reevaluate: Callable[[BundleContents], str] | None = None) -> BundleVerdict:
    """Check a bundle's integrity and, with ``reevaluate``, that its findings reproduce.

    ``reevaluate`` receives the bundle's contents (snapshot, config, rule
    catalogue) and returns the findings JSON of running the same rules on the
    bundled snapshot; it is called only when the snapshot and findings files are
    intact. Never raises for a tampered bundle (the verdict lists why); raises
    ``SnapshotError`` when ``path`` is not a readable bundle, and lets
    ``reevaluate``'s own ``AuditError``s through.
    """
    contents, problems = read_bundle(path)
    manifest_problems, verified = check_manifest(contents)
    problems += manifest_problems
    raw_manifest = contents.files.get(MANIFEST)
    reproduced: bool | None = None
    differences: list[str] = []
    intact = not any(p.startswith((f"{SNAPSHOT}:", f"{FINDINGS}:")) for p in problems)
    if reevaluate is not None:
        if intact and SNAPSHOT in contents.files and FINDINGS in contents.files:
            differences = compare_findings(contents.findings_json, reevaluate(contents))
            reproduced = not differences
        else:
            reproduced = False
            differences = ["the snapshot or findings file is missing or altered; re-evaluation skipped"]
    return BundleVerdict(
        path=str(path),
        files_checked=verified,
        manifest_sha256=_digest(raw_manifest) if raw_manifest is not None else None,
        problems=tuple(problems),
        reproduced=reproduced,
        differences=tuple(differences),
    )
