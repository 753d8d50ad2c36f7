"""The subscriptions in scope: every one the identity can see, or the configured subset.

This is the first ARM call of a run, so an authentication failure here is
allowed to propagate (the CLI turns it into a clear auth error). A subscription
asked for by id that is not visible is recorded as a ``CollectionError`` and
kept in the snapshot as incomplete: a partial scan says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import ClientAuthenticationError

from scanner.collect._errors import EXPECTED, to_collection_error
from scanner.collect._normalize import text
from scanner.collect._paging import arm_pages, arm_url
from scanner.collect._run import Run
from scanner.inventory import CollectionError, ScopeRequest


@dataclass(frozen=True, slots=True)
class SubscriptionInfo:
    """One subscription as listed (or as asked for, when not visible)."""

    subscription_id: str
    display_name: str | None
    state: str | None
    tenant_id: str | None
    visible: bool = True


def _info(raw: dict[str, Any]) -> SubscriptionInfo | None:
    sid = text(raw, "subscriptionId")
    if not sid:
        rid = text(raw, "id") or ""
        parts = rid.strip("/").split("/")
        sid = parts[1] if len(parts) == 2 and parts[0].lower() == "subscriptions" else None
    if not sid:
        return None
    return SubscriptionInfo(
        subscription_id=sid,
        display_name=text(raw, "displayName"),
        state=text(raw, "state"),
        tenant_id=text(raw, "tenantId"),
    )


async def list_subscriptions(run: Run, scope: ScopeRequest) -> tuple[list[SubscriptionInfo], bool]:
    """The subscriptions to collect, and whether the listing itself completed.

    ``include`` keeps the listed ids (those not visible come back with
    ``visible=False`` and an error recorded); ``exclude`` drops them; ``all``
    keeps every visible one. Raises ``ClientAuthenticationError`` when the
    identity cannot authenticate at all. Disabled subscriptions are kept (they
    can still hold assignments and data); their lists may fail and are recorded.
    """
    found: dict[str, SubscriptionInfo] = {}
    complete = True
    try:
        async for page in arm_pages(
            run, run.arm.subscriptions, arm_url(run, "/subscriptions", "subscriptions")
        ):
            for raw in page:
                if (info := _info(raw)) is not None:
                    found.setdefault(info.subscription_id.lower(), info)
    except ClientAuthenticationError:
        raise
    except EXPECTED as exc:
        run.record(to_collection_error("/subscriptions", "subscriptions.list", exc), None)
        complete = False

    wanted = {s.strip().lower(): s.strip() for s in scope.subscriptions if s.strip()}
    if scope.mode == "all":
        chosen = list(found.values())
    elif scope.mode == "exclude":
        chosen = [info for key, info in found.items() if key not in wanted]
    else:
        chosen = []
        for key, asked in wanted.items():
            if key in found:
                chosen.append(found[key])
                continue
            if not complete:  # the listing failed: try the subscription anyway
                chosen.append(SubscriptionInfo(asked, None, None, None))
                continue
            chosen.append(SubscriptionInfo(asked, None, None, None, visible=False))
            run.record(
                CollectionError(
                    scope=f"/subscriptions/{asked}",
                    operation="subscriptions.list",
                    status=None,
                    code="SubscriptionNotFound",
                    message="subscription is not visible to this identity (wrong id, or no role on it)",
                ),
                asked,
            )
    return sorted(chosen, key=lambda i: i.subscription_id.lower()), complete
