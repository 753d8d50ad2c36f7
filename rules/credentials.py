"""Credential rules (AHDS-CRED-*): app registration secrets and certificates, Key Vault secrets and keys.

Decisions shared by every rule here:

- Days are whole days: ``days_remaining = floor((expiry - now) / 1 day)``. A credential
  fails the "expiring" rules when ``days_remaining <= warn_days`` (the threshold day
  itself fails) and gets high severity when ``days_remaining <= critical_days``.
- A credential has expired when ``expiry <= now``. Expired credentials are reported by
  the "expired" rules only; the "expiring" rules do not examine them (no result).
- A credential without an expiry date never expires: it passes the "expired" and
  "expiring" rules, and the evidence says so. It fails the lifetime and "no expiry" rules.
- Datetimes without a time zone are read as UTC (Graph and Key Vault send UTC);
  others are converted, so ``+02:00`` offsets compare correctly.
- An app with no credential of the rule's kind yields no result for that rule.
- Key Vault items that are disabled pass the "expired" and "expiring" rules (they cannot
  be used; the evidence says so) but are still examined by the "no expiry" rules, since they
  can be re-enabled. An item without ``enabled`` is taken as enabled (the service default).
- A vault whose secrets (or keys) could not be listed yields one error result for that vault
  in each secret (or key) rule: its items are unknown, not compliant.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal, TypeVar

from pydantic import Field, model_validator

from rules._fhir_roles import HEALTHCARE_APIS_APP_ID, RoleCatalogue, fhir_data_role_holders
from scanner.inventory import AppCredential, Application, Snapshot, VaultItem, normalize_id
from scanner.rule import (
    Compliance,
    JSONValue,
    NoSettings,
    Remediation,
    Result,
    RuleContext,
    RuleMeta,
    RuleSettings,
    Severity,
    entra_id,
    rule,
)

NEVER = "(not set: never expires)"
_DAY = timedelta(days=1)
CredentialKind = Literal["password", "certificate"]
_AnySettings = TypeVar("_AnySettings", bound=RuleSettings)

_REF_AHDS_APP = "https://learn.microsoft.com/en-us/azure/healthcare-apis/register-application"
_REF_APP_BEST = (
    "https://learn.microsoft.com/en-us/entra/identity-platform/security-best-practices-for-app-registration"
)
_REF_CERT_CREDS = "https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials"
_REF_GRAPH_PWD = "https://learn.microsoft.com/en-us/graph/api/resources/passwordcredential"
_REF_GRAPH_KEY = "https://learn.microsoft.com/en-us/graph/api/resources/keycredential"
_REF_KV_SECRETS = "https://learn.microsoft.com/en-us/azure/key-vault/secrets/secrets-best-practices"
_REF_KV_KEY_ROTATION = "https://learn.microsoft.com/en-us/azure/key-vault/keys/how-to-configure-key-rotation"
_REF_KV_ABOUT = "https://learn.microsoft.com/en-us/azure/key-vault/general/about-keys-secrets-certificates"

# Azure Policy built-in definitions (GUIDs checked against the published built-in list):
# "Key Vault secrets should have an expiration date", "Key Vault keys should have an expiration date",
# "Secrets should have more than the specified number of days before expiration", and the same for keys.
_POLICY_KV_SECRET_EXPIRY = "98728c90-32c7-4049-8429-847dc0f4fe37"
_POLICY_KV_KEY_EXPIRY = "152b15f7-8e1f-4c1f-ab71-8c010ba5dbc0"
_POLICY_KV_SECRET_DAYS = "b0eb591a-5e70-4534-a8bf-04b9c489584a"
_POLICY_KV_KEY_DAYS = "5ff38825-c5d8-47c5-b70e-069a21955146"


# --- settings -----------------------------------------------------------------------------------


class AppScopeSettings(RuleSettings):
    """Which app registrations an app-credential rule examines."""

    scope: Literal["fhir", "all"] = Field(
        "fhir",
        description=(
            "'fhir' (default): only apps whose service principal holds a FHIR data role, is listed in an "
            "Azure API for FHIR access policy, or that request Azure Healthcare APIs permissions; "
            "'all': every app registration."
        ),
    )


class _WindowMixin(RuleSettings):
    warn_days: int = Field(
        30, ge=0, description="Fail when the credential expires in this many whole days or fewer."
    )
    critical_days: int = Field(
        7,
        ge=0,
        description="Raise the failure to high severity at this many whole days or fewer (<= warn_days).",
    )

    @model_validator(mode="after")
    def _critical_within_warn(self) -> _WindowMixin:
        if self.critical_days > self.warn_days:
            raise ValueError(
                f"critical_days ({self.critical_days}) must not exceed warn_days ({self.warn_days})"
            )
        return self


class AppExpirySettings(_WindowMixin, AppScopeSettings):
    """Expiry window and app scope of the "expiring" app-credential rules."""


class AppLifetimeSettings(AppScopeSettings):
    """Maximum lifetime and app scope of the app-credential lifetime rules."""

    max_lifetime_days: int = Field(
        365,
        ge=1,
        description=(
            "Fail when endDateTime - startDateTime exceeds this many whole days. Microsoft's AHDS guidance "
            "recommends 6-month secrets; rotate at least every 12 months."
        ),
    )


class VaultExpirySettings(_WindowMixin):
    """Expiry window of the "expiring" Key Vault rules."""


# --- time helpers -------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """``moment`` as aware UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@lru_cache(maxsize=65536)
def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, for evidence (cached: each date is written by several rules)."""
    return _utc(moment).isoformat().replace("+00:00", "Z")


def whole_days(later: datetime, earlier: datetime) -> int:
    """Whole days from ``earlier`` to ``later``, floored (negative when ``later`` is earlier)."""
    return (_utc(later) - _utc(earlier)) // _DAY


# --- app registrations --------------------------------------------------------------------------

_KIND_LABEL: dict[str, str] = {"password": "client secret", "certificate": "certificate"}


def _fhir_relevance(inv: Snapshot, ctx: RuleContext[Any]) -> dict[str, str]:
    """appId (lower case) -> why the app is FHIR-relevant; built once per evaluation for the six rules."""
    return ctx.memo("credentials.fhir_relevance", lambda: _fhir_relevance_of(inv, ctx))


def _fhir_relevance_of(inv: Snapshot, ctx: RuleContext[Any]) -> dict[str, str]:
    """Linear in assignments, principals and apps."""
    holders = fhir_data_role_holders(inv, RoleCatalogue.shared(inv, ctx))
    policy_ids = {oid.lower() for svc in inv.legacy_fhir_services for oid in svc.access_policy_object_ids}
    reasons: dict[str, str] = {}
    for sp in inv.service_principals:
        if not sp.app_id:
            continue
        if sp.id.lower() in holders:
            reasons.setdefault(sp.app_id.lower(), "its service principal holds a FHIR data role")
        elif sp.id.lower() in policy_ids:
            reasons.setdefault(
                sp.app_id.lower(), "its service principal is in an Azure API for FHIR access policy"
            )
    for app in inv.applications:
        if any(r.resource_app_id.lower() == HEALTHCARE_APIS_APP_ID for r in app.required_resource_access):
            reasons.setdefault(app.app_id.lower(), "it requests Azure Healthcare APIs permissions")
    return reasons


def _app_credentials(
    inv: Snapshot, ctx: RuleContext[Any], kind: CredentialKind
) -> Iterator[tuple[Application, AppCredential, dict[str, JSONValue]]]:
    """Each examined (app, credential) with the evidence every app-credential rule shares."""
    settings: AppScopeSettings = ctx.settings
    relevance = _fhir_relevance(inv, ctx) if settings.scope == "fhir" else {}
    for app in inv.applications:
        if settings.scope == "fhir":
            reason = relevance.get(app.app_id.lower())
            if reason is None:
                continue
        else:
            reason = "scope: all"
        creds = app.password_credentials if kind == "password" else app.key_credentials
        for cred in creds:
            evidence: dict[str, JSONValue] = {
                "appDisplayName": app.display_name,
                "appId": app.app_id,
                "credentialType": kind,
                "keyId": cred.key_id,
                "credentialDisplayName": cred.display_name,
                "startDateTime": iso(cred.start_date_time) if cred.start_date_time else None,
                "endDateTime": iso(cred.end_date_time) if cred.end_date_time else NEVER,
                "fhirRelevance": reason,
            }
            if kind == "certificate":
                evidence["usage"] = cred.usage
            yield app, cred, evidence


def _app_name(app: Application) -> str:
    return app.display_name or app.app_id


def _cred_name(cred: AppCredential, kind: CredentialKind) -> str:
    label = _KIND_LABEL[kind]
    return f"{label} '{cred.display_name}' ({cred.key_id})" if cred.display_name else f"{label} {cred.key_id}"


def _check_app_expired(
    inv: Snapshot, ctx: RuleContext[AppScopeSettings], kind: CredentialKind
) -> Iterator[Result]:
    now = _utc(ctx.now)
    for app, cred, evidence in _app_credentials(inv, ctx, kind):
        rid = entra_id("application", app.id)
        what = f"App registration '{_app_name(app)}' {_cred_name(cred, kind)}"
        if cred.end_date_time is None:
            yield ctx.passed(
                rid, f"{what} has no end date and never expires.", evidence=evidence, sub_id=cred.key_id
            )
            continue
        days = whole_days(cred.end_date_time, now)
        evidence["daysRemaining"] = days
        if _utc(cred.end_date_time) <= now:
            yield ctx.failed(
                rid,
                f"{what} expired on {iso(cred.end_date_time)} ({-days} day(s) ago).",
                evidence=evidence,
                sub_id=cred.key_id,
            )
        else:
            yield ctx.passed(
                rid,
                f"{what} is valid until {iso(cred.end_date_time)}.",
                evidence=evidence,
                sub_id=cred.key_id,
            )


def _window_result(
    ctx: RuleContext[AppExpirySettings] | RuleContext[VaultExpirySettings],
    rid: str,
    what: str,
    expires: datetime,
    evidence: dict[str, JSONValue],
    *,
    resource_type: str | None = None,
    sub_id: str | None = None,
) -> Result | None:
    """The "expiring" verdict for one credential that has an expiry date; None when already expired."""
    now = _utc(ctx.now)
    if _utc(expires) <= now:
        return None
    days = whole_days(expires, now)
    settings = ctx.settings
    evidence.update(daysRemaining=days, warnDays=settings.warn_days, criticalDays=settings.critical_days)
    if days <= settings.warn_days:
        return ctx.failed(
            rid,
            f"{what} expires on {iso(expires)}, in {days} day(s) (warning window {settings.warn_days} days).",
            resource_type=resource_type,
            evidence=evidence,
            sub_id=sub_id,
            severity=Severity.HIGH if days <= settings.critical_days else None,
        )
    return ctx.passed(
        rid,
        f"{what} expires on {iso(expires)}, in {days} day(s), outside the {settings.warn_days}-day window.",
        resource_type=resource_type,
        evidence=evidence,
        sub_id=sub_id,
    )


def _check_app_expiring(
    inv: Snapshot, ctx: RuleContext[AppExpirySettings], kind: CredentialKind
) -> Iterator[Result]:
    for app, cred, evidence in _app_credentials(inv, ctx, kind):
        rid = entra_id("application", app.id)
        what = f"App registration '{_app_name(app)}' {_cred_name(cred, kind)}"
        if cred.end_date_time is None:
            yield ctx.passed(
                rid, f"{what} has no end date and never expires.", evidence=evidence, sub_id=cred.key_id
            )
            continue
        result = _window_result(ctx, rid, what, cred.end_date_time, evidence, sub_id=cred.key_id)
        if result is not None:
            yield result


def _check_app_lifetime(
    inv: Snapshot, ctx: RuleContext[AppLifetimeSettings], kind: CredentialKind
) -> Iterator[Result]:
    limit = ctx.settings.max_lifetime_days
    for app, cred, evidence in _app_credentials(inv, ctx, kind):
        rid = entra_id("application", app.id)
        what = f"App registration '{_app_name(app)}' {_cred_name(cred, kind)}"
        evidence["maxLifetimeDays"] = limit
        if cred.end_date_time is None:
            evidence["lifetimeDays"] = "(unbounded: no endDateTime)"
            yield ctx.failed(
                rid,
                f"{what} has no end date, so its lifetime is unbounded (limit {limit} days).",
                evidence=evidence,
                sub_id=cred.key_id,
            )
            continue
        if cred.start_date_time is None:
            yield ctx.error(
                rid,
                f"{what} has no startDateTime, so its lifetime cannot be computed.",
                evidence=evidence,
                sub_id=cred.key_id,
            )
            continue
        lifetime = whole_days(cred.end_date_time, cred.start_date_time)
        evidence["lifetimeDays"] = lifetime
        if lifetime > limit:
            yield ctx.failed(
                rid,
                f"{what} is valid for {lifetime} days, longer than the {limit}-day limit.",
                evidence=evidence,
                sub_id=cred.key_id,
            )
        else:
            yield ctx.passed(
                rid,
                f"{what} is valid for {lifetime} days (limit {limit}).",
                evidence=evidence,
                sub_id=cred.key_id,
            )


_SECRET_ROTATE_PORTAL = (
    "1. In the Azure portal open Microsoft Entra ID > App registrations and select the app named in the finding. "
    "2. Select Certificates & secrets > Client secrets > New client secret and choose an expiry of 6 months "
    "(12 at most). 3. Store the new value in Key Vault and update every client that uses the app. "
    "4. Delete the old secret (match its Secret ID to the keyId in the evidence)."
)
_SECRET_ROTATE_CLI = (
    'az ad app credential reset --id <appId> --append --display-name "rotated-<date>" --end-date <YYYY-MM-DD>\n'
    "az ad app credential delete --id <appId> --key-id <keyId>"
)
_CERT_ROTATE_PORTAL = (
    "1. In the Azure portal open Microsoft Entra ID > App registrations and select the app named in the finding. "
    "2. Issue a new certificate (for example from Key Vault with auto-renewal) valid for 12 months at most. "
    "3. Select Certificates & secrets > Certificates > Upload certificate and upload its public part. "
    "4. Deploy the new certificate to every client, then delete the old one (match its thumbprint/keyId)."
)
_CERT_ROTATE_CLI = (
    "az ad app credential reset --id <appId> --append --cert @new-cert.pem\n"
    "az ad app credential delete --id <appId> --key-id <keyId> --cert"
)
_SECRET_COMPLIANCE = Compliance(
    hipaa=("164.308(a)(5)(ii)(D)", "164.312(d)"), nist=("IA-5", "IA-5(1)"), mcsb=("IM-3", "IM-8")
)
_CERT_COMPLIANCE = Compliance(hipaa=("164.312(d)",), nist=("IA-5", "IA-5(2)", "SC-17"), mcsb=("IM-3", "DP-7"))
_APP_TYPE = ("Microsoft.Graph/application",)
_SCOPE_NOTE = (
    " By default only FHIR-relevant apps are examined (service principal holding a FHIR data role or listed "
    "in an Azure API for FHIR access policy, or requesting Azure Healthcare APIs permissions); set scope: all "
    "to examine every app registration. Apps with no credential of this kind yield no result."
)


# --- AHDS-CRED-001..003: client secrets ---------------------------------------------------------


@rule(
    RuleMeta(
        id="AHDS-CRED-001",
        title="App registration client secrets are not expired",
        severity=Severity.HIGH,
        description=(
            "Examines each client secret (passwordCredentials) of the in-scope app registrations and fails "
            "when its endDateTime is at or before the scan time. A secret without an end date never "
            "expires and passes here (AHDS-CRED-003 reports it)." + _SCOPE_NOTE
        ),
        rationale=(
            "An expired secret on a FHIR client app means the integration has stopped authenticating, or "
            "that a dead credential is left in the directory instead of being removed after rotation."
        ),
        remediation=Remediation(portal=_SECRET_ROTATE_PORTAL, cli=_SECRET_ROTATE_CLI),
        references=(_REF_AHDS_APP, _REF_APP_BEST, _REF_GRAPH_PWD),
        compliance=_SECRET_COMPLIANCE,
        resource_types=_APP_TYPE,
    ),
    settings=AppScopeSettings,
)
def app_client_secrets_not_expired(inv: Snapshot, ctx: RuleContext[AppScopeSettings]) -> Iterator[Result]:
    """An endDateTime equal to the scan time counts as expired."""
    return _check_app_expired(inv, ctx, "password")


@rule(
    RuleMeta(
        id="AHDS-CRED-002",
        title="App registration client secrets do not expire within the warning window",
        severity=Severity.MEDIUM,
        description=(
            "Examines each unexpired client secret of the in-scope app registrations and fails when it "
            "expires in warn_days whole days or fewer (default 30); the failure is high severity at "
            "critical_days or fewer (default 7). Secrets without an end date pass; expired secrets are "
            "left to AHDS-CRED-001." + _SCOPE_NOTE
        ),
        rationale=(
            "Rotating before expiry avoids an outage of the clinical integrations that read or write FHIR "
            "data, and leaves time to roll the new secret out to every client."
        ),
        remediation=Remediation(portal=_SECRET_ROTATE_PORTAL, cli=_SECRET_ROTATE_CLI),
        references=(_REF_AHDS_APP, _REF_APP_BEST, _REF_GRAPH_PWD),
        compliance=_SECRET_COMPLIANCE,
        resource_types=_APP_TYPE,
    ),
    settings=AppExpirySettings,
)
def app_client_secrets_not_expiring_soon(
    inv: Snapshot, ctx: RuleContext[AppExpirySettings]
) -> Iterator[Result]:
    """The threshold day fails: ``days_remaining <= warn_days``."""
    return _check_app_expiring(inv, ctx, "password")


@rule(
    RuleMeta(
        id="AHDS-CRED-003",
        title="App registration client secrets have a bounded lifetime",
        severity=Severity.MEDIUM,
        description=(
            "Examines each client secret of the in-scope app registrations and fails when "
            "endDateTime - startDateTime exceeds max_lifetime_days whole days (default 365), or when the "
            "secret has no end date (unbounded). A secret with an end date but no startDateTime is an "
            "error: its lifetime cannot be computed." + _SCOPE_NOTE
        ),
        rationale=(
            "Microsoft's Azure Health Data Services guidance recommends 6-month client secrets; a secret "
            "valid for years gives a leaked value years of access to protected health information."
        ),
        remediation=Remediation(portal=_SECRET_ROTATE_PORTAL, cli=_SECRET_ROTATE_CLI),
        references=(_REF_AHDS_APP, _REF_APP_BEST, _REF_GRAPH_PWD),
        compliance=_SECRET_COMPLIANCE,
        resource_types=_APP_TYPE,
    ),
    settings=AppLifetimeSettings,
)
def app_client_secrets_have_bounded_lifetime(
    inv: Snapshot, ctx: RuleContext[AppLifetimeSettings]
) -> Iterator[Result]:
    """Whole days, floored: a 365-day secret created a few seconds late still passes the 365 limit."""
    return _check_app_lifetime(inv, ctx, "password")


# --- AHDS-CRED-004..006: certificates -----------------------------------------------------------


@rule(
    RuleMeta(
        id="AHDS-CRED-004",
        title="App registration certificates are not expired",
        severity=Severity.HIGH,
        description=(
            "Examines each certificate credential (keyCredentials) of the in-scope app registrations and "
            "fails when its endDateTime is at or before the scan time." + _SCOPE_NOTE
        ),
        rationale=(
            "An expired certificate on a FHIR client app means the integration can no longer authenticate, "
            "or that a dead credential is left in the directory instead of being removed after rotation."
        ),
        remediation=Remediation(portal=_CERT_ROTATE_PORTAL, cli=_CERT_ROTATE_CLI),
        references=(_REF_CERT_CREDS, _REF_APP_BEST, _REF_GRAPH_KEY),
        compliance=_CERT_COMPLIANCE,
        resource_types=_APP_TYPE,
    ),
    settings=AppScopeSettings,
)
def app_certificates_not_expired(inv: Snapshot, ctx: RuleContext[AppScopeSettings]) -> Iterator[Result]:
    """An endDateTime equal to the scan time counts as expired."""
    return _check_app_expired(inv, ctx, "certificate")


@rule(
    RuleMeta(
        id="AHDS-CRED-005",
        title="App registration certificates do not expire within the warning window",
        severity=Severity.MEDIUM,
        description=(
            "Examines each unexpired certificate credential of the in-scope app registrations and fails "
            "when it expires in warn_days whole days or fewer (default 30); the failure is high severity "
            "at critical_days or fewer (default 7). Expired certificates are left to AHDS-CRED-004."
            + _SCOPE_NOTE
        ),
        rationale=(
            "Renewing before expiry avoids an outage of the integrations that authenticate to the FHIR "
            "service with the certificate."
        ),
        remediation=Remediation(portal=_CERT_ROTATE_PORTAL, cli=_CERT_ROTATE_CLI),
        references=(_REF_CERT_CREDS, _REF_APP_BEST, _REF_GRAPH_KEY),
        compliance=_CERT_COMPLIANCE,
        resource_types=_APP_TYPE,
    ),
    settings=AppExpirySettings,
)
def app_certificates_not_expiring_soon(
    inv: Snapshot, ctx: RuleContext[AppExpirySettings]
) -> Iterator[Result]:
    """The threshold day fails: ``days_remaining <= warn_days``."""
    return _check_app_expiring(inv, ctx, "certificate")


@rule(
    RuleMeta(
        id="AHDS-CRED-006",
        title="App registration certificates have a bounded lifetime",
        severity=Severity.LOW,
        description=(
            "Examines each certificate credential of the in-scope app registrations and fails when "
            "endDateTime - startDateTime exceeds max_lifetime_days whole days (default 365), or when it has "
            "no end date. A certificate with an end date but no startDateTime is an error." + _SCOPE_NOTE
        ),
        rationale=(
            "Short-lived certificates limit how long a stolen private key stays useful and keep the "
            "renewal process exercised."
        ),
        remediation=Remediation(portal=_CERT_ROTATE_PORTAL, cli=_CERT_ROTATE_CLI),
        references=(_REF_CERT_CREDS, _REF_APP_BEST, _REF_GRAPH_KEY),
        compliance=_CERT_COMPLIANCE,
        resource_types=_APP_TYPE,
    ),
    settings=AppLifetimeSettings,
)
def app_certificates_have_bounded_lifetime(
    inv: Snapshot, ctx: RuleContext[AppLifetimeSettings]
) -> Iterator[Result]:
    """Whole days, floored, as for client secrets."""
    return _check_app_lifetime(inv, ctx, "certificate")


# --- Key Vault secrets and keys -----------------------------------------------------------------

_VAULT_TYPES: dict[str, str] = {
    "secret": "Microsoft.KeyVault/vaults/secrets",
    "key": "Microsoft.KeyVault/vaults/keys",
}


def _unlisted_vaults(
    inv: Snapshot, ctx: RuleContext[_AnySettings], kind: Literal["secret", "key"]
) -> Iterator[Result]:
    """An error result per vault whose secrets (or keys) could not be listed: its items are unknown."""
    operation = f"{kind}s."
    failed = {normalize_id(e.scope): e for e in inv.errors if e.operation.lower().startswith(operation)}
    if not failed:
        return
    for vault in inv.key_vaults:
        if (err := failed.get(normalize_id(vault.id))) is not None:
            detail = " ".join(str(x) for x in (err.status, err.code) if x)
            yield ctx.error(
                vault.id,
                f"The {kind}s of Key Vault '{vault.name}' could not be listed"
                + (f" ({detail})" if detail else "")
                + f": {err.message}",
                resource_type="Microsoft.KeyVault/vaults",
                evidence={"operation": err.operation, "status": err.status, "code": err.code},
                sub_id=f"{kind}s",
            )


def _vault_items(
    inv: Snapshot, kind: Literal["secret", "key"]
) -> Iterator[tuple[VaultItem, str, dict[str, JSONValue]]]:
    for item in inv.vault_items:
        if item.kind != kind:
            continue
        vault = item.vault_id.rstrip("/").rsplit("/", 1)[-1]
        evidence: dict[str, JSONValue] = {
            "vault": vault,
            "name": item.name,
            "kind": kind,
            "enabled": item.enabled if item.enabled is not None else "(not set: enabled)",
            "expires": iso(item.expires) if item.expires else NEVER,
            "notBefore": iso(item.not_before) if item.not_before else None,
            "created": iso(item.created) if item.created else None,
        }
        yield item, f"Key Vault {kind} '{item.name}' in vault '{vault}'", evidence


def _check_vault_no_expiry(
    inv: Snapshot, ctx: RuleContext[NoSettings], kind: Literal["secret", "key"]
) -> Iterator[Result]:
    yield from _unlisted_vaults(inv, ctx, kind)
    for item, what, evidence in _vault_items(inv, kind):
        if item.expires is None:
            yield ctx.failed(
                item.id,
                f"{what} has no expiration date.",
                resource_type=_VAULT_TYPES[kind],
                evidence=evidence,
            )
        else:
            yield ctx.passed(
                item.id,
                f"{what} expires on {iso(item.expires)}.",
                resource_type=_VAULT_TYPES[kind],
                evidence=evidence,
            )


def _disabled(item: VaultItem) -> bool:
    return item.enabled is False


def _check_vault_expired(
    inv: Snapshot, ctx: RuleContext[NoSettings], kind: Literal["secret", "key"]
) -> Iterator[Result]:
    now = _utc(ctx.now)
    rtype = _VAULT_TYPES[kind]
    yield from _unlisted_vaults(inv, ctx, kind)
    for item, what, evidence in _vault_items(inv, kind):
        if item.expires is None:
            yield ctx.passed(
                item.id,
                f"{what} has no expiration date and never expires.",
                resource_type=rtype,
                evidence=evidence,
            )
            continue
        days = whole_days(item.expires, now)
        evidence["daysRemaining"] = days
        if _utc(item.expires) > now:
            yield ctx.passed(
                item.id, f"{what} is valid until {iso(item.expires)}.", resource_type=rtype, evidence=evidence
            )
        elif _disabled(item):
            yield ctx.passed(
                item.id,
                f"{what} expired on {iso(item.expires)} but is disabled.",
                resource_type=rtype,
                evidence=evidence,
            )
        else:
            yield ctx.failed(
                item.id,
                f"{what} expired on {iso(item.expires)} ({-days} day(s) ago) and is still enabled.",
                resource_type=rtype,
                evidence=evidence,
            )


def _check_vault_expiring(
    inv: Snapshot, ctx: RuleContext[VaultExpirySettings], kind: Literal["secret", "key"]
) -> Iterator[Result]:
    rtype = _VAULT_TYPES[kind]
    yield from _unlisted_vaults(inv, ctx, kind)
    for item, what, evidence in _vault_items(inv, kind):
        if item.expires is None:
            yield ctx.passed(
                item.id,
                f"{what} has no expiration date and never expires.",
                resource_type=rtype,
                evidence=evidence,
            )
            continue
        if _disabled(item):
            if _utc(item.expires) > _utc(ctx.now):
                yield ctx.passed(
                    item.id,
                    f"{what} is disabled, so its expiry on {iso(item.expires)} has no effect.",
                    resource_type=rtype,
                    evidence=evidence,
                )
            continue
        result = _window_result(ctx, item.id, what, item.expires, evidence, resource_type=rtype)
        if result is not None:
            yield result


_KV_PORTAL_EXPIRY = (
    "1. In the Azure portal open the key vault named in the finding and select {plural}. "
    "2. Select the {kind} and its current version. 3. Set an expiration date (and activation date) and "
    "save, or create a new version with an expiration date and update its consumers."
)
_KV_COMPLIANCE_SECRET = Compliance(hipaa=("164.308(a)(5)(ii)(D)",), nist=("IA-5",), mcsb=("DP-6", "IM-8"))
_KV_COMPLIANCE_KEY = Compliance(hipaa=("164.312(a)(2)(iv)",), nist=("SC-12",), mcsb=("DP-6",))
_SECRET_SET = (
    "az keyvault secret set-attributes --vault-name <vault> --name <secret> --expires <YYYY-MM-DDThh:mm:ssZ>"
)
_SECRET_NEW = (
    "az keyvault secret set --vault-name <vault> --name <secret> --file <new-value-file> "
    "--expires <YYYY-MM-DDThh:mm:ssZ>"
)
_KEY_SET = "az keyvault key set-attributes --vault-name <vault> --name <key> --expires <YYYY-MM-DDThh:mm:ssZ>"
_KEY_ROTATE = (
    "az keyvault key rotate --vault-name <vault> --name <key>\n"
    "az keyvault key rotation-policy update --vault-name <vault> --name <key> --value @rotation-policy.json"
)


def _kv_meta(
    rule_id: str,
    *,
    kind: Literal["secret", "key"],
    title: str,
    severity: Severity,
    description: str,
    rationale: str,
    cli: str,
    policies: tuple[str, ...],
) -> RuleMeta:
    plural = "Secrets" if kind == "secret" else "Keys"
    base = _KV_COMPLIANCE_SECRET if kind == "secret" else _KV_COMPLIANCE_KEY
    return RuleMeta(
        id=rule_id,
        title=title,
        severity=severity,
        description=description,
        rationale=rationale,
        remediation=Remediation(portal=_KV_PORTAL_EXPIRY.format(plural=plural, kind=kind), cli=cli),
        references=(_REF_KV_SECRETS if kind == "secret" else _REF_KV_KEY_ROTATION, _REF_KV_ABOUT),
        compliance=Compliance(hipaa=base.hipaa, nist=base.nist, mcsb=base.mcsb, azure_policy=policies),
        resource_types=(_VAULT_TYPES[kind],),
    )


_MGMT_NOTE = " Reads management-plane attributes only; values are never read."


@rule(
    _kv_meta(
        "AHDS-CRED-007",
        kind="secret",
        title="Key Vault secrets have an expiration date",
        severity=Severity.MEDIUM,
        description=(
            "Examines every Key Vault secret (enabled or disabled: a disabled secret can be re-enabled) and fails "
            "when it has no expiration date (attributes.exp)." + _MGMT_NOTE
        ),
        rationale=(
            "Secrets valid forever give an attacker unlimited time to use a leaked value and let rotation be "
            "forgotten; an expiry date forces a rotation decision."
        ),
        cli=_SECRET_SET,
        policies=(_POLICY_KV_SECRET_EXPIRY,),
    )
)
def key_vault_secrets_have_expiry(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """Disabled secrets are examined too."""
    return _check_vault_no_expiry(inv, ctx, "secret")


@rule(
    _kv_meta(
        "AHDS-CRED-008",
        kind="secret",
        title="Key Vault secrets are not expired",
        severity=Severity.HIGH,
        description=(
            "Examines every Key Vault secret and fails when it is enabled and its expiration date is at or "
            "before the scan time. Disabled expired secrets pass (they cannot be used); secrets without an "
            "expiration date pass here and fail AHDS-CRED-007." + _MGMT_NOTE
        ),
        rationale=(
            "An enabled, expired secret means a consumer is about to fail or already failing, or that a retired "
            "credential was left active instead of being disabled."
        ),
        cli=_SECRET_NEW,
        policies=(_POLICY_KV_SECRET_DAYS,),
    )
)
def key_vault_secrets_not_expired(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """An item without ``enabled`` is taken as enabled (service default)."""
    return _check_vault_expired(inv, ctx, "secret")


@rule(
    _kv_meta(
        "AHDS-CRED-009",
        kind="secret",
        title="Key Vault secrets do not expire within the warning window",
        severity=Severity.MEDIUM,
        description=(
            "Examines every enabled, unexpired Key Vault secret and fails when it expires in warn_days whole days "
            "or fewer (default 30); the failure is high severity at critical_days or fewer (default 7). Secrets "
            "without an expiration date pass; expired ones are left to AHDS-CRED-008." + _MGMT_NOTE
        ),
        rationale=(
            "Rotating before expiry leaves time to roll the new value out and avoids an outage of the services "
            "that depend on the secret."
        ),
        cli=_SECRET_NEW,
        policies=(_POLICY_KV_SECRET_DAYS,),
    ),
    settings=VaultExpirySettings,
)
def key_vault_secrets_not_expiring_soon(
    inv: Snapshot, ctx: RuleContext[VaultExpirySettings]
) -> Iterator[Result]:
    """Disabled unexpired secrets pass (the evidence shows ``enabled: false``)."""
    return _check_vault_expiring(inv, ctx, "secret")


@rule(
    _kv_meta(
        "AHDS-CRED-010",
        kind="key",
        title="Key Vault keys have an expiration date",
        severity=Severity.MEDIUM,
        description=(
            "Examines every Key Vault key (enabled or disabled) and fails when it has no expiration date "
            "(attributes.exp). Pair the expiry with a rotation policy so customer-managed keys roll "
            "automatically." + _MGMT_NOTE
        ),
        rationale=(
            "Keys valid forever are never forced through rotation, so a compromised key stays useful; an "
            "expiry date with a rotation policy bounds the exposure."
        ),
        cli=_KEY_SET,
        policies=(_POLICY_KV_KEY_EXPIRY,),
    )
)
def key_vault_keys_have_expiry(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """Disabled keys are examined too."""
    return _check_vault_no_expiry(inv, ctx, "key")


@rule(
    _kv_meta(
        "AHDS-CRED-011",
        kind="key",
        title="Key Vault keys are not expired",
        severity=Severity.HIGH,
        description=(
            "Examines every Key Vault key and fails when it is enabled and its expiration date is at or before "
            "the scan time. Disabled expired keys pass; keys without an expiration date pass here and fail "
            "AHDS-CRED-010." + _MGMT_NOTE
        ),
        rationale=(
            "An expired key cannot encrypt or wrap new data: services using it as a customer-managed key, such "
            "as the FHIR service, lose access to their data."
        ),
        cli=_KEY_ROTATE,
        policies=(_POLICY_KV_KEY_DAYS,),
    )
)
def key_vault_keys_not_expired(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """An item without ``enabled`` is taken as enabled (service default)."""
    return _check_vault_expired(inv, ctx, "key")


@rule(
    _kv_meta(
        "AHDS-CRED-012",
        kind="key",
        title="Key Vault keys do not expire within the warning window",
        severity=Severity.MEDIUM,
        description=(
            "Examines every enabled, unexpired Key Vault key and fails when it expires in warn_days whole days "
            "or fewer (default 30); the failure is high severity at critical_days or fewer (default 7). Keys "
            "without an expiration date pass; expired ones are left to AHDS-CRED-011." + _MGMT_NOTE
        ),
        rationale=(
            "Rotating a key before it expires avoids an outage of every service that encrypts with it."
        ),
        cli=_KEY_ROTATE,
        policies=(_POLICY_KV_KEY_DAYS,),
    ),
    settings=VaultExpirySettings,
)
def key_vault_keys_not_expiring_soon(
    inv: Snapshot, ctx: RuleContext[VaultExpirySettings]
) -> Iterator[Result]:
    """Disabled unexpired keys pass (the evidence shows ``enabled: false``)."""
    return _check_vault_expiring(inv, ctx, "key")
