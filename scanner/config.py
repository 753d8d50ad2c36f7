"""The configuration file: pydantic models of ``config.yaml`` and a loader whose errors name file:line:column.

``load_config`` reads YAML into a node tree first, so every problem it reports
(syntax, unknown key, bad value, literal secret) points at the line and column
of the offending key or value. Secrets never live in the file: the loader
refuses literal secret values before anything else and never repeats them.
Relative paths resolve against the directory of the config file.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from scanner.errors import ConfigError
from scanner.rule import Severity

CloudName = Literal["AzureCloud", "AzureUSGovernment", "AzureChinaCloud", "custom"]
AuthMethod = Literal[
    "default", "client-secret", "certificate", "managed-identity", "azure-cli", "workload-identity"
]
FailOn = Literal["critical", "high", "medium", "low", "none"]

TENANT_ENV = "AZURE_TENANT_ID"
CLIENT_ENV = "AZURE_CLIENT_ID"
FEDERATED_TOKEN_ENV = "AZURE_FEDERATED_TOKEN_FILE"
DEFAULT_FORMATS = ("json", "sarif", "html", "junit", "md")

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_FORMAT_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
# Key Vault secret identifier: https://<vault host>/secrets/<name>[/<version>]
# (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers)
_KV_SECRET_URI = re.compile(r"^https://[^/\s?#]+/secrets/[0-9A-Za-z-]{1,127}(/[0-9A-Za-z]{1,64})?/?$")


# --------------------------------------------------------------------------- field types


def _https_url(value: str) -> str:
    """An absolute https URL without query or fragment, trailing slashes removed (bearer tokens need TLS)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value.strip())
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ValueError("must be an https:// URL (bearer tokens are never sent over plain http)")
    if parts.query or parts.fragment:
        raise ValueError("must not have a query string or fragment")
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError("has an invalid port") from None
    return value.strip().rstrip("/")


def _resolve_path(value: Path, info: ValidationInfo) -> Path:
    """Expand ``~`` and anchor a relative path at the config file's directory (or the cwd without one)."""
    value = value.expanduser()
    if value.is_absolute():
        return value
    base = (info.context or {}).get("base_dir")
    return (Path(base) if base is not None else Path.cwd()) / value


def _guid(value: str) -> str:
    if not _GUID.match(value):
        raise ValueError("must be a GUID like 00000000-0000-0000-0000-000000000000")
    return value.lower()


def _tenant(value: str) -> str:
    if _GUID.match(value):
        return value.lower()
    if _DOMAIN.match(value):
        return value.lower()
    raise ValueError("must be a tenant GUID or a verified domain name such as contoso.onmicrosoft.com")


def _env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError("must be the NAME of an environment variable (letters, digits, underscore)")
    return value


def _kv_secret_uri(value: str) -> str:
    if not _KV_SECRET_URI.match(value.strip()):
        raise ValueError("must be a Key Vault secret URI like https://<vault>.vault.azure.net/secrets/<name>")
    return value.strip().rstrip("/")


HttpsUrl = Annotated[str, AfterValidator(_https_url)]
ConfigPath = Annotated[Path, AfterValidator(_resolve_path)]
Guid = Annotated[str, AfterValidator(_guid)]
TenantId = Annotated[str, AfterValidator(_tenant)]
EnvVarName = Annotated[str, AfterValidator(_env_name)]
KeyVaultSecretUri = Annotated[str, AfterValidator(_kv_secret_uri)]


class _FieldProblem(ValueError):
    """A cross-field problem that belongs to one key, so the error can point at that key's line."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class _Model(BaseModel):
    """Base of every config section: immutable, and an unknown key is an error (a typo must not pass)."""

    # defer_build: the validators are built on first use, not at import.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


# --------------------------------------------------------------------------- sections


class CloudConfig(_Model):
    """Which cloud to talk to; ``custom`` takes its three endpoints from here."""

    name: CloudName = "AzureCloud"
    arm_endpoint: HttpsUrl | None = None
    graph_endpoint: HttpsUrl | None = None
    authority_host: HttpsUrl | None = None
    ca_bundle: ConfigPath | None = None
    """Extra CA certificate(s), PEM, trusted in addition to the system store (any cloud)."""

    @model_validator(mode="after")
    def _custom_needs_endpoints(self) -> CloudConfig:
        if self.name == "custom":
            missing = [k for k in ("arm_endpoint", "graph_endpoint", "authority_host") if getattr(self, k) is None]
            if missing:
                raise _FieldProblem(missing[0],
                                    f"required when cloud.name is 'custom' (missing: {', '.join(missing)})")
        return self


# Which optional auth keys each method reads; any other one set is a mistake worth reporting.
_AUTH_KEYS: dict[str, frozenset[str]] = {
    "default": frozenset({"tenant_id", "managed_identity_client_id"}),
    "client-secret": frozenset({"tenant_id", "client_id", "client_secret_env", "client_secret_keyvault_uri"}),
    "certificate": frozenset({"tenant_id", "client_id", "certificate_path", "certificate_password_env"}),
    "managed-identity": frozenset({"tenant_id", "managed_identity_client_id", "client_id"}),
    "azure-cli": frozenset({"tenant_id"}),
    "workload-identity": frozenset({"tenant_id", "client_id", "federated_token_file"}),
}
_NEEDS_APP = frozenset({"client-secret", "certificate", "workload-identity"})


class AuthConfig(_Model):
    """How to obtain tokens. Secrets are referenced (env var name, Key Vault URI), never stored here."""

    method: AuthMethod = "default"
    tenant_id: TenantId | None = None
    client_id: Guid | None = None
    client_secret_env: EnvVarName | None = None
    client_secret_keyvault_uri: KeyVaultSecretUri | None = None
    certificate_path: ConfigPath | None = None
    certificate_password_env: EnvVarName | None = None
    federated_token_file: ConfigPath | None = None
    managed_identity_client_id: Guid | None = None
    timeout_s: float = Field(default=30.0, gt=0, le=600)
    """Bound on acquiring the first token (covers a Key Vault secret read too)."""

    @model_validator(mode="before")
    @classmethod
    def _environment_fallbacks(cls, data: Any, info: ValidationInfo) -> Any:
        """Fill tenant_id / client_id from AZURE_TENANT_ID / AZURE_CLIENT_ID when absent (loader only)."""
        env = (info.context or {}).get("env")
        if not isinstance(data, dict) or env is None:
            return data
        method = data.get("method", "default")
        filled = dict(data)
        if filled.get("tenant_id") is None and env.get(TENANT_ENV):
            filled["tenant_id"] = env[TENANT_ENV]
        if method in _NEEDS_APP and filled.get("client_id") is None and env.get(CLIENT_ENV):
            filled["client_id"] = env[CLIENT_ENV]
        if (method == "workload-identity" and filled.get("federated_token_file") is None
                and env.get(FEDERATED_TOKEN_ENV)):
            filled["federated_token_file"] = env[FEDERATED_TOKEN_ENV]
        return filled

    @model_validator(mode="after")
    def _method_requirements(self) -> AuthConfig:
        allowed = _AUTH_KEYS[self.method]
        stray = [k for k in sorted(self.model_fields_set) if k not in allowed | {"method", "timeout_s"}]
        stray = [k for k in stray if getattr(self, k) is not None]
        if stray:
            raise _FieldProblem(stray[0], f"not used by method '{self.method}'; remove it or change auth.method")
        if self.method in _NEEDS_APP:
            if self.tenant_id is None:
                raise _FieldProblem("tenant_id", f"required for method '{self.method}' (or set {TENANT_ENV})")
            if self.client_id is None:
                raise _FieldProblem("client_id", f"required for method '{self.method}' (or set {CLIENT_ENV})")
        if self.method == "client-secret":
            given = [k for k in ("client_secret_env", "client_secret_keyvault_uri") if getattr(self, k)]
            if len(given) != 1:
                raise _FieldProblem(
                    given[-1] if given else "client_secret_env",
                    "method 'client-secret' needs exactly one of client_secret_env "
                    "(an environment variable name) or client_secret_keyvault_uri (a Key Vault secret URI)"
                )
        if self.method == "certificate" and self.certificate_path is None:
            raise _FieldProblem("certificate_path", "required for method 'certificate' (a PEM or PFX file)")
        if self.method == "workload-identity" and self.federated_token_file is None:
            raise _FieldProblem(
                "federated_token_file", f"required for method 'workload-identity' (or set {FEDERATED_TOKEN_ENV})"
            )
        return self


class ScopeConfig(_Model):
    """Which subscriptions to read: all visible (both lists empty), only some, or all but some."""

    subscriptions: tuple[Guid, ...] = ()
    exclude_subscriptions: tuple[Guid, ...] = ()

    @field_validator("subscriptions", "exclude_subscriptions")
    @classmethod
    def _dedupe(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(value))

    @model_validator(mode="after")
    def _one_list(self) -> ScopeConfig:
        if self.subscriptions and self.exclude_subscriptions:
            raise _FieldProblem(
                "exclude_subscriptions",
                "cannot be combined with scope.subscriptions: list the ones to read, or the ones to skip",
            )
        return self


class CollectionConfig(_Model):
    """How hard the collectors may push Azure."""

    concurrency: int = Field(default=32, ge=1, le=256)
    """Requests in flight at most (ARM and Graph together; see docs/configuration.md for why 32)."""
    timeout_s: float = Field(default=60.0, gt=0, le=600)
    """Read timeout of one request."""
    max_retries: int = Field(default=5, ge=0, le=20)
    graph: bool = True
    """Collect Entra applications and service principals from Microsoft Graph."""


class OutputConfig(_Model):
    """Where reports go and which formats to write."""

    dir: ConfigPath = Path("ahds-audit-output")
    formats: tuple[str, ...] = DEFAULT_FORMATS

    @field_validator("formats")
    @classmethod
    def _format_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("list at least one format")
        for name in value:
            if not _FORMAT_NAME.match(name):
                raise ValueError(f"'{name}' is not a format name (lower case, e.g. json, sarif)")
        return tuple(dict.fromkeys(value))


class RulesConfig(_Model):
    """Which rules run, their severities and settings. Ids and settings are checked by the engine."""

    enable: tuple[str, ...] = ("*",)
    """Rule ids or globs (``AHDS-TLS-*``)."""
    disable: tuple[str, ...] = ()
    severity: dict[str, Severity] = Field(default_factory=dict)
    settings: dict[str, dict[str, Any]] = Field(default_factory=dict)
    folder: ConfigPath | None = None
    """A folder of extra local rule modules."""


class GateConfig(_Model):
    """What makes the run fail in CI (see the exit codes in the README)."""

    fail_on: FailOn = "high"
    fail_on_new: bool = False
    allow_incomplete: bool = False


class SarifConfig(_Model):
    """SARIF output tuning for code scanning."""

    category: str | None = None
    """Default ``ahds-audit/<tenant>/``."""
    iac_map: dict[str, str] = Field(default_factory=dict)
    """ARM id glob -> repository file path, so alerts land on the Bicep/Terraform file."""


class Config(_Model):
    """The whole configuration; every section has defaults, so ``{}`` is a valid (if useless) document."""

    cloud: CloudConfig = CloudConfig()
    auth: AuthConfig = AuthConfig()
    scope: ScopeConfig = ScopeConfig()
    collection: CollectionConfig = CollectionConfig()
    output: OutputConfig = OutputConfig()
    rules: RulesConfig = RulesConfig()
    suppressions: ConfigPath | None = None
    """Accepted-risks YAML file."""
    baseline: ConfigPath | None = None
    """An earlier findings.json; results present there are ``unchanged``."""
    gate: GateConfig = GateConfig()
    sarif: SarifConfig = SarifConfig()

    _source: Path | None = PrivateAttr(default=None)

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from (None for ``default_config()``)."""
        return self._source

    def redacted(self) -> dict[str, Any]:
        """The effective configuration as plain JSON data, safe to put in a support bundle or report.

        Holds references only (environment variable names, Key Vault URIs, paths); any value that
        looks like a secret (possible only for a Config built in code) is replaced by ``"<redacted>"``.
        """
        scrubbed: dict[str, Any] = redact_secrets(self.model_dump(mode="json"))
        return scrubbed


def default_config(**overrides: Any) -> Config:
    """A Config with every default (e.g. for ``--demo``); keyword sections override, validated as usual."""
    return Config.model_validate(overrides, context={"base_dir": Path.cwd()})


# --------------------------------------------------------------------------- secrets

_SECRET_WORDS = frozenset(
    {"secret", "secrets", "password", "passwd", "passphrase", "token", "sas", "credential", "credentials"}
)
_SECRET_PHRASES = ("client_secret", "connection_string", "api_key", "access_key", "account_key",
                   "private_key", "shared_key", "certificate_password", "sas_token")
_REFERENCE_SUFFIXES = ("_env", "_uri", "_url", "_file", "_path")
# Entra ID client secrets: 3 chars, a digit, "Q~", then 31-34 chars (the pattern secret scanners use).
_ENTRA_SECRET = re.compile(r"[A-Za-z0-9_~.\-]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*")
_KEY_ASSIGNMENT = re.compile(r"(AccountKey|SharedAccessKey|SharedAccessSignature|sig)=[A-Za-z0-9%+/=]{16,}",
                             re.IGNORECASE)


def _secret_named(key: str) -> bool:
    """True for keys that would hold a secret's value (``client_secret``), not a reference (``..._env``)."""
    k = key.lower().replace("-", "_")
    if k.endswith(_REFERENCE_SUFFIXES):
        return False
    return any(p in k for p in _SECRET_PHRASES) or bool(_SECRET_WORDS & set(k.split("_")))


def looks_like_secret(value: str) -> bool:
    """True when a string has the shape of an Entra client secret, a JWT, or a storage key/SAS assignment."""
    return bool(_ENTRA_SECRET.search(value) or _JWT.search(value) or _KEY_ASSIGNMENT.search(value))


_SECRET_ADVICE = (
    "the config file must not hold secrets: name an environment variable in auth.client_secret_env, "
    "or store the secret in Key Vault and give its secret URI in auth.client_secret_keyvault_uri"
)


REDACTED = "<redacted>"


def redact_secrets(data: Any) -> Any:
    """``data`` (JSON-like) with every value under a secret-named key, and every secret-shaped string, replaced.

    The one redaction used for the effective config and, as defence in depth, for evidence bundles.
    Keys that name a reference (``client_secret_env``, ``..._uri``) keep their value: it says where the
    secret lives, not what it is. Booleans, nulls and empty strings are kept (they hold no secret).
    """
    if isinstance(data, dict):
        return {
            str(k): (
                REDACTED
                if _secret_named(str(k)) and isinstance(v, (str, int, float)) and not isinstance(v, bool) and v != ""
                else redact_secrets(v)
            )
            for k, v in data.items()
        }
    if isinstance(data, (list, tuple)):
        return [redact_secrets(v) for v in data]
    if isinstance(data, str) and looks_like_secret(data):
        return REDACTED
    return data


# --------------------------------------------------------------------------- loader


def load_config(path: Path, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate a config file.

    Raises ``ConfigError`` (exit code 2) with one line ``<file>:<line>:<col>: <key.path>: <problem>``
    for every kind of problem; never another exception for bad input, never a secret in the message.
    ``environ`` (default ``os.environ``) supplies the AZURE_TENANT_ID / AZURE_CLIENT_ID fallbacks.
    """
    name = str(path)
    text = _read_text(path, name)
    try:
        root = _compose(text, name)
        if root is None:
            raise ConfigError(f"{name}: the file is empty", hint="start from sample-config.yaml")
        if not isinstance(root, yaml.MappingNode):
            raise ConfigError(f"{_at(name, root.start_mark)}: the top level must be a mapping of sections "
                              f"(cloud, auth, scope, ...), not a {_node_kind(root)}")
        _check_expansion(root, name)
        _check_keys(root, name, ())
        _refuse_literal_secrets(root, name, ())
        data = _construct(root, name)
    except RecursionError:
        raise ConfigError(f"{name}: the document is nested too deeply to be a configuration") from None
    base_dir = path.resolve().parent
    context = {"base_dir": base_dir, "env": os.environ if environ is None else environ}
    try:
        config = Config.model_validate(data, context=context)
    except ValidationError as exc:
        raise _to_config_error(exc, root, name) from None
    config._source = path
    return config


def _read_text(path: Path, name: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{name}: no such file", hint="pass --config or set AHDS_AUDIT_CONFIG") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}: is a directory, not a config file") from None
    except PermissionError:
        raise ConfigError(f"{name}: permission denied") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (invalid byte at offset {exc.start})") from None


def _compose(text: str, name: str) -> yaml.Node | None:
    """The YAML node tree (with marks); syntax errors become ConfigError with line and column."""
    try:
        loader = yaml.SafeLoader(text)  # the reader refuses control characters here already
    except yaml.reader.ReaderError as exc:
        raise ConfigError(f"{name}: YAML syntax error: {exc.reason} at character offset {exc.position}") from None
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _at(name, mark) if mark is not None else name
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{where}: YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError(f"{name}: YAML syntax error: {exc.reason} at character offset {exc.position}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{name}: YAML syntax error: {str(exc).splitlines()[0]}") from None
    finally:
        loader.dispose()


_MAX_EXPANDED_NODES = 100_000
"""A real configuration has a few hundred values; aliases may not multiply that past this bound."""


def _check_expansion(root: yaml.Node, name: str) -> None:
    """Refuse a recursive alias, or aliases that expand past ``_MAX_EXPANDED_NODES`` (a "billion laughs").

    The node graph shares aliased nodes, so it is small; every later step walks it expanded. Sizes are
    memoised per node, so this check itself stays linear in the graph.
    """
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise ConfigError(f"{_at(name, node.start_mark)}: an alias refers to the value that contains it")
        active.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        total = 1
        for child in children:
            total += size(child)
            if total > _MAX_EXPANDED_NODES:
                raise ConfigError(f"{_at(name, child.start_mark)}: aliases expand this document past "
                                  f"{_MAX_EXPANDED_NODES} values; write the values out instead")
        active.discard(key)
        sizes[key] = total
        return total

    size(root)


def _construct(root: yaml.Node, name: str) -> Any:
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        where = _at(name, exc.problem_mark) if exc.problem_mark is not None else name
        raise ConfigError(f"{where}: {exc.problem or 'invalid value'}") from None
    except ValueError as exc:  # e.g. a date-shaped scalar that is no date (2024-02-30)
        raise ConfigError(f"{name}: invalid value: {exc}") from None
    finally:
        loader.dispose()


def _at(name: str, mark: yaml.Mark) -> str:
    return f"{name}:{mark.line + 1}:{mark.column + 1}"


def _node_kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "list"
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    return "scalar value"


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.*-]+$")


def _dotted(path: tuple[str | int, ...]) -> str:
    """``a.b[0].c``; a key that is not a plain name is quoted (repr), so it cannot break the line."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        shown = part if _PLAIN_KEY.match(part) else repr(part)
        out += f".{shown}" if out else shown
    return out or "(top level)"


def _check_keys(node: yaml.Node, name: str, path: tuple[str | int, ...]) -> None:
    """Refuse non-string and duplicate keys, which PyYAML would otherwise coerce or silently overwrite."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag != "tag:yaml.org,2002:str":
                raise ConfigError(f"{_at(name, key.start_mark)}: {_dotted(path)}: keys must be plain names "
                                  "(quote it if it is meant literally)")
            if key.value in seen:
                raise ConfigError(f"{_at(name, key.start_mark)}: {_dotted(path + (key.value,))}: duplicate key")
            seen.add(key.value)
            _check_keys(value, name, path + (key.value,))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_keys(item, name, path + (i,))


def _scalars(node: yaml.Node) -> list[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        return [node]
    if isinstance(node, yaml.SequenceNode):
        return [s for item in node.value for s in _scalars(item)]
    if isinstance(node, yaml.MappingNode):
        return [s for _, item in node.value for s in _scalars(item)]
    return []


def _refuse_literal_secrets(node: yaml.Node, name: str, path: tuple[str | int, ...]) -> None:
    """Refuse a secret-named key with a literal value, or any value shaped like a secret, anywhere."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = path + (key.value,)
            if _secret_named(key.value):
                literal = [s for s in _scalars(value) if s.tag != "tag:yaml.org,2002:null" and s.value != ""]
                if literal:
                    raise ConfigError(f"{_at(name, key.start_mark)}: {_dotted(here)}: a literal secret is not "
                                      f"allowed; {_SECRET_ADVICE}")
            _refuse_literal_secrets(value, name, here)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _refuse_literal_secrets(item, name, path + (i,))
    elif isinstance(node, yaml.ScalarNode) and looks_like_secret(node.value):
        raise ConfigError(f"{_at(name, node.start_mark)}: {_dotted(path)}: this value looks like a secret "
                          f"(client secret, token or key); {_SECRET_ADVICE}")


def _find(root: yaml.Node, loc: tuple[str | int, ...]) -> tuple[tuple[str | int, ...], yaml.Node | None, yaml.Node]:
    """Follow a pydantic ``loc`` through the node tree as far as it exists.

    Returns (the part of loc that exists, the key node of its last mapping step or None, the value node).
    """
    node, key_node = root, None
    found: tuple[str | int, ...] = ()
    for part in loc:
        nxt = None
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if k.value == part:
                    nxt, key_node = v, k
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            nxt, key_node = node.value[part], node.value[part]
        if nxt is None:
            break
        node, found = nxt, found + (part,)
    return found, key_node, node


def _fields_at(loc: tuple[str | int, ...]) -> list[str]:
    """The keys the model at ``loc`` accepts (for "did you mean")."""
    model: type[BaseModel] = Config
    for part in loc:
        field = model.model_fields.get(str(part))
        sub = _model_of(field.annotation) if field is not None else None
        if sub is None:
            return []
        model = sub
    return list(model.model_fields)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return None


def _message(err: ErrorDetails, loc: tuple[str | int, ...]) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        options = _fields_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), options, n=1, cutoff=0.6)
        if close:
            return f"unknown key; did you mean '{close[0]}'?"
        return "unknown key; expected one of: " + ", ".join(options) if options else "unknown key"
    if kind in ("literal_error", "enum"):
        expected = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        close = difflib.get_close_matches(str(err.get("input")), expected, n=1, cutoff=0.6) if expected else []
        text = "expected one of " + ", ".join(f"'{e}'" for e in expected) if expected else msg
        return text + (f"; did you mean '{close[0]}'?" if close else "")
    if kind == "missing":
        return "required key is missing"
    msg = msg.removeprefix("Value error, ")
    return msg[:1].lower() + msg[1:] if msg[:2] != msg[:2].upper() else msg


def _to_config_error(exc: ValidationError, root: yaml.Node, name: str) -> ConfigError:
    """The first validation error as one ``file:line:col: key.path: problem`` line."""
    err = exc.errors(include_url=False, include_input=True)[0]
    # Drop pydantic's internal loc steps (e.g. "function-after[...]", "[key]") that are not config keys.
    raw = err["loc"]
    unknown = err["type"] == "extra_forbidden"  # its last step is the user's own key, whatever it looks like
    loc = tuple(
        p
        for i, p in enumerate(raw)
        if isinstance(p, int) or not re.search(r"[\[\]()]", p) or (unknown and i == len(raw) - 1)
    )
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, _FieldProblem):
        loc = (*loc, cause.field)
    found, key_node, value_node = _find(root, loc)
    if (err["type"] == "extra_forbidden" or isinstance(cause, _FieldProblem)) and found == loc and key_node:
        mark = key_node.start_mark
    elif found == loc and isinstance(value_node, yaml.ScalarNode | yaml.SequenceNode):
        mark = value_node.start_mark
    else:
        mark = key_node.start_mark if key_node is not None else root.start_mark
    extra = len(exc.errors()) - 1
    more = f" (and {extra} more problem{'s' if extra > 1 else ''})" if extra else ""
    return ConfigError(f"{_at(name, mark)}: {_dotted(loc)}: {_message(err, loc)}{more}")
