"""Directory look-ups for role-assignment principals: who a principal is, whether it still exists, guests.

Built once per check from the snapshot's resolved principals; every look-up is O(1)
and case-insensitive on the object id.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from scanner.inventory import DirectoryPrincipal, RoleAssignment, Snapshot


class PrincipalState(StrEnum):
    """What the directory says about a principal id."""

    EXISTS = "exists"
    DELETED = "deleted"
    UNKNOWN = "unknown"
    """The directory could not be read (``principals_resolved`` False) and the id was not returned."""


class Directory:
    """The snapshot's view of Entra principals, keyed by lower-case object id."""

    def __init__(self, inv: Snapshot) -> None:
        self._principals: dict[str, DirectoryPrincipal] = {p.id.lower(): p for p in inv.principals}
        self._unresolved: frozenset[str] = frozenset(i.lower() for i in inv.unresolved_principal_ids)
        self.resolved: bool = inv.principals_resolved
        """True when every assignment principal was looked up, so absence means deleted."""
        self._evidence: dict[tuple[str, str | None], dict[str, str | None]] = {}
        """(principal id, type) -> its evidence block: a principal usually holds many assignments."""
        self._labels: dict[tuple[str, str | None], str] = {}

    def lookup(self, principal_id: str) -> DirectoryPrincipal | None:
        """The resolved principal, or None when the directory did not return it."""
        return self._principals.get(principal_id.lower())

    def state(self, principal_id: str) -> PrincipalState:
        """EXISTS when returned by the directory; DELETED when listed as unresolved, or absent from a
        complete look-up; UNKNOWN when the look-up did not complete and the id was not returned."""
        key = principal_id.lower()
        if key in self._principals:
            return PrincipalState.EXISTS
        if key in self._unresolved or self.resolved:
            return PrincipalState.DELETED
        return PrincipalState.UNKNOWN

    def label(self, assignment: RoleAssignment) -> str:
        """A short human label for an assignment's principal: ``'Name' (User)`` or the bare object id."""
        key = (assignment.principal_id, assignment.principal_type)
        found = self._labels.get(key)
        if found is None:
            found = self._labels[key] = self._label_of(assignment)
        return found

    def _label_of(self, assignment: RoleAssignment) -> str:
        principal = self.lookup(assignment.principal_id)
        kind = assignment.principal_type or (principal.object_type if principal else None) or "principal"
        if principal is not None and principal.display_name:
            return f"{kind} '{principal.display_name}' ({assignment.principal_id})"
        return f"{kind} {assignment.principal_id}"

    def evidence(self, assignment: RoleAssignment) -> Mapping[str, str | None]:
        """Observed identity of an assignment's principal, for result evidence (one shared, read-only
        mapping per principal: merge it into the result's own evidence, never change it)."""
        key = (assignment.principal_id, assignment.principal_type)
        found = self._evidence.get(key)
        if found is None:
            found = self._evidence[key] = self._evidence_of(assignment)
        return found

    def _evidence_of(self, assignment: RoleAssignment) -> dict[str, str | None]:
        principal = self.lookup(assignment.principal_id)
        state = self.state(assignment.principal_id)
        return {
            "principalId": assignment.principal_id,
            "principalType": assignment.principal_type,
            "principalDisplayName": principal.display_name if principal else None,
            "userPrincipalName": principal.user_principal_name if principal else None,
            "userType": principal.user_type if principal else None,
            "directoryState": state.value,
        }


def is_guest(principal: DirectoryPrincipal) -> bool:
    """True for a B2B guest user.

    ``userType == "Guest"`` decides; when Graph returned no userType, a ``#EXT#`` user
    principal name (how Entra names invited external users) is taken as guest.
    """
    if principal.object_type != "user":
        return False
    if principal.user_type is not None:
        return principal.user_type.strip().lower() == "guest"
    return "#ext#" in (principal.user_principal_name or "").lower()
