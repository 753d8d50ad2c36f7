"""Plugin discovery: rules and reporters from entry points and the config's local folder, into a ``Registry``.

Built-in rules travel the same road as third-party packs: the entry-point group
``ahds_audit.rules`` (pyproject declares ``builtin = "rules"``). Each entry
point names a package or module whose public submodules are imported and whose
module-level ``Rule`` objects are gathered. A local folder from the config is
loaded file by file under a private namespace. Failures are loud: an import
error, a duplicate id or format name, or a malformed id raise ``PluginError``
naming where the offender came from, so a compliance run never runs fewer
rules in silence. Nothing happens at import time and there is no global
registry: callers pass the ``Registry`` down.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import pkgutil
import sys
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from scanner.errors import PluginError
from scanner.rule import RULE_ID_PATTERN, Rule

logger = logging.getLogger(__name__)

RULES_GROUP = "ahds_audit.rules"
REPORTERS_GROUP = "ahds_audit.reporters"
BUILTIN_RULES_PACKAGE = "rules"
LOCAL_NAMESPACE = "ahds_audit_local_rules"
"""Parent of the private packages local-folder modules are imported under (one per folder)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Registry:
    """Every loaded rule (sorted by id, ids unique) and every reporter class by format name."""

    rules: tuple[Rule[Any], ...]
    reporters: Mapping[str, type] = field(default_factory=dict)

    def get(self, rule_id: str) -> Rule[Any] | None:
        """The rule with this id (case-insensitive), or None."""
        wanted = rule_id.strip().upper()
        return next((r for r in self.rules if r.id.upper() == wanted), None)

    @property
    def ids(self) -> tuple[str, ...]:
        """Every rule id, sorted."""
        return tuple(r.id for r in self.rules)


def load_registry(*, rules_folder: Path | None = None, include_entry_points: bool = True) -> Registry:
    """Discover rules (entry points, then ``rules_folder``) and reporters (entry points).

    Raises PluginError (exit 2) naming the distribution, module or file for a
    pack that fails to import, an entry point that loads something other than
    a module or rules, a malformed rule id, a duplicate rule id (naming both
    sources) or a duplicate reporter name. Built-in rules are loaded from the
    ``rules`` package even when the distribution's metadata is missing (a
    source tree run without installation), so they are never skipped silently.
    """
    gathered = _Gatherer()
    reporters: dict[str, type] = {}
    if include_entry_points:
        eps = sorted(metadata.entry_points(group=RULES_GROUP), key=lambda e: (e.name, e.value))
        if not any(ep.value.split(":")[0] == BUILTIN_RULES_PACKAGE for ep in eps):
            logger.debug(
                "no %s entry point for %r; loading built-ins directly", RULES_GROUP, BUILTIN_RULES_PACKAGE
            )
            gathered.add_all(_rules_in_package(BUILTIN_RULES_PACKAGE, f"package {BUILTIN_RULES_PACKAGE!r}"))
        for ep in eps:
            gathered.add_all(_rules_of_entry_point(ep))
        reporters = _load_reporters()
    if rules_folder is not None:
        gathered.add_all(_rules_in_folder(rules_folder))
    rules = tuple(sorted(gathered.rules.values(), key=lambda r: r.id))
    logger.info("loaded %d rule(s) and %d reporter(s)", len(rules), len(reporters))
    return Registry(rules=rules, reporters=dict(sorted(reporters.items())))


def rule_source(rule: Rule[Any]) -> str:
    """Where a rule came from, for ``rules show`` and error messages.

    ``rules.credentials (ahds-audit 0.1.0)`` for a distribution's module,
    ``/path/to/folder/mine.py`` for a local-folder module, or the bare module
    name when no distribution claims it.
    """
    module_name = getattr(rule.check, "__module__", None) or "<unknown module>"
    module = sys.modules.get(module_name)
    if module_name.startswith(LOCAL_NAMESPACE + ".") and module is not None:
        return str(getattr(module, "__file__", module_name))
    dist = _distribution_of(module_name.split(".")[0])
    return f"{module_name} ({dist})" if dist else module_name


class _Gatherer:
    """Collects rules by id, refusing duplicates and malformed ids; tolerates one object seen twice."""

    def __init__(self) -> None:
        self.rules: dict[str, Rule[Any]] = {}

    def add_all(self, found: Iterable[tuple[Rule[Any], str]]) -> None:
        for rule_obj, origin in found:
            self.add(rule_obj, origin)

    def add(self, rule_obj: Rule[Any], origin: str) -> None:
        rid = rule_obj.meta.id
        if not isinstance(rid, str) or not RULE_ID_PATTERN.match(rid):
            raise PluginError(
                f"rule id {rid!r} from {origin} is malformed",
                hint="rule ids look like PREFIX-AREA-NNN, e.g. ACME-STOR-001 (AHDS- is for built-ins)",
            )
        other = self.rules.get(rid)
        if other is None:
            self.rules[rid] = rule_obj
        elif other is not rule_obj:  # the same object re-exported by another module is fine
            raise PluginError(
                f"duplicate rule id {rid}: defined in {rule_source(other)} and in {rule_source(rule_obj)} ({origin})",
                hint="rule ids are permanent public names; give the pack's rule its own prefix or number",
            )


def _rules_of_entry_point(ep: metadata.EntryPoint) -> Iterator[tuple[Rule[Any], str]]:
    """Rules named by one entry point: a package (walked), a module, a Rule or an iterable of Rules."""
    origin = _ep_origin(ep)
    target = _load_entry_point(ep, f"rule pack {origin}")
    if isinstance(target, types.ModuleType):
        if hasattr(target, "__path__"):
            yield from _rules_in_package(target.__name__, origin)
        else:
            yield from ((r, origin) for r in _rules_in_module(target))
    elif isinstance(target, Rule):
        yield target, origin
    elif isinstance(target, (list, tuple)) and all(isinstance(r, Rule) for r in target):
        yield from ((r, origin) for r in target)
    else:
        raise PluginError(
            f"rule pack {origin} loads a {type(target).__name__}, not a module or rules",
            hint="point the entry point at a package or module holding module-level Rule objects",
        )


def _rules_in_package(package_name: str, origin: str) -> Iterator[tuple[Rule[Any], str]]:
    """Import a package and its public submodules (names not starting with ``_``), depth first, sorted."""
    package = _import(package_name, origin)
    yield from ((r, origin) for r in _rules_in_module(package))
    for name in _public_submodules(package, origin):
        yield from ((r, origin) for r in _rules_in_module(_import(name, origin)))


def _public_submodules(package: types.ModuleType, origin: str) -> list[str]:
    names: list[str] = []
    for info in sorted(pkgutil.iter_modules(package.__path__, package.__name__ + "."), key=lambda i: i.name):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        names.append(info.name)
        if info.ispkg:
            names.extend(_public_submodules(_import(info.name, origin), origin))
    return names


def _rules_in_module(module: types.ModuleType) -> list[Rule[Any]]:
    """Module-level ``Rule`` objects, in definition order."""
    return [value for value in vars(module).values() if isinstance(value, Rule)]


def _import(module_name: str, origin: str) -> types.ModuleType:
    try:
        return importlib.import_module(module_name)
    except Exception as exc:  # a pack may raise anything at import
        raise PluginError(
            f"rule module {module_name} from {origin} failed to import: {type(exc).__name__}: {exc}",
            hint="fix or remove the module; a compliance run never skips rules silently",
        ) from exc


def _rules_in_folder(folder: Path) -> Iterator[tuple[Rule[Any], str]]:
    """Import every ``*.py`` in ``folder`` (not ``_``-prefixed) as ``ahds_audit_local_rules.<key>.<stem>``.

    Each folder gets its own private package whose ``__path__`` is the folder,
    so modules may import their ``_helpers`` relatively. Modules are imported
    afresh on each call, so the registry always reflects the files on disk.
    """
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise PluginError(
            f"rules folder {folder} does not exist or is not a directory",
            hint="check rules.folder in the config (relative paths are relative to the config file)",
        )
    package_name = f"{LOCAL_NAMESPACE}.f{hashlib.sha256(str(folder).encode()).hexdigest()[:12]}"
    _install_folder_package(package_name, folder)
    for path in sorted(folder.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        if not path.stem.isidentifier():
            raise PluginError(
                f"rule module {path} has a name Python cannot import",
                hint="name rule files like my_rules.py (letters, digits, underscores)",
            )
        try:
            module = importlib.import_module(f"{package_name}.{path.stem}")
        except Exception as exc:  # a local module may raise anything at import
            raise PluginError(
                f"rule module {path} failed to import: {type(exc).__name__}: {exc}",
                hint="fix or remove the file from the rules folder",
            ) from exc
        yield from ((r, str(path)) for r in _rules_in_module(module))


def _install_folder_package(package_name: str, folder: Path) -> None:
    """Register fresh (namespace parent and) folder packages in ``sys.modules``, dropping stale children."""
    if LOCAL_NAMESPACE not in sys.modules:
        parent = types.ModuleType(
            LOCAL_NAMESPACE, "Private namespace of ahds-audit local-folder rule modules."
        )
        parent.__path__ = []
        sys.modules[LOCAL_NAMESPACE] = parent
    for name in [n for n in sys.modules if n == package_name or n.startswith(package_name + ".")]:
        del sys.modules[name]
    package = types.ModuleType(package_name, f"ahds-audit local rules from {folder}")
    package.__path__ = [str(folder)]
    package.__file__ = None
    sys.modules[package_name] = package
    importlib.invalidate_caches()


def _load_reporters() -> dict[str, type]:
    """Reporter classes by format name from ``ahds_audit.reporters``; duplicate names are refused."""
    found: dict[str, tuple[type, str]] = {}
    for ep in sorted(metadata.entry_points(group=REPORTERS_GROUP), key=lambda e: (e.name, e.value)):
        origin = _ep_origin(ep)
        if ep.name in found and found[ep.name][1] != origin:
            raise PluginError(
                f"duplicate reporter format {ep.name!r}: from {found[ep.name][1]} and from {origin}",
                hint="uninstall one of the packs, or give its reporter another format name",
            )
        target = _load_entry_point(ep, f"reporter {origin}")
        if not isinstance(target, type):
            raise PluginError(
                f"reporter {origin} loads a {type(target).__name__}, not a class",
                hint="point the entry point at a Reporter subclass (module:Class)",
            )
        found[ep.name] = (target, origin)
    return {name: cls for name, (cls, _) in found.items()}


def _load_entry_point(ep: metadata.EntryPoint, what: str) -> object:
    """``ep.load()``, any failure turned into a PluginError naming ``what`` (the pack and entry point)."""
    try:
        return ep.load()
    except Exception as exc:  # a third-party pack may raise anything while importing
        raise PluginError(
            f"{what} failed to import: {type(exc).__name__}: {exc}",
            hint="fix or uninstall the pack; a compliance run never skips plugins silently",
        ) from exc


def _ep_origin(ep: metadata.EntryPoint) -> str:
    """``distribution acme-rules 1.0 (entry point ahds_audit.rules:acme = acme_rules)``."""
    dist = ep.dist
    who = f"distribution {dist.name} {dist.version}" if dist is not None else "an unnamed distribution"
    return f"{who} (entry point {ep.group}:{ep.name} = {ep.value})"


def _distribution_of(top_level: str) -> str | None:
    """``name version`` of the distribution that provides a top-level package, if any claims it."""
    names: Mapping[str, list[str]] = metadata.packages_distributions()
    for dist_name in names.get(top_level, []):
        try:
            return f"{dist_name} {metadata.version(dist_name)}"
        except metadata.PackageNotFoundError:
            continue
    return None
