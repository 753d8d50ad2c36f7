"""The inventory's shared fields-set (a memory saving) is invisible to callers."""

from __future__ import annotations

from scanner.inventory import DirectoryPrincipal, RoleAssignment


def _principal(pid: str, user_type: str | None = "Member") -> DirectoryPrincipal:
    return DirectoryPrincipal(
        id=pid, object_type="user", display_name=pid, user_principal_name=f"{pid}@x", user_type=user_type
    )


def test_model_copy_with_update_leaves_other_instances_alone() -> None:
    a, b = _principal("a"), _principal("b")
    changed = a.model_copy(update={"user_type": "Guest"})
    assert changed.user_type == "Guest"
    assert a.user_type == "Member" and b.user_type == "Member"
    assert a.model_fields_set == b.model_fields_set == set(DirectoryPrincipal.model_fields)


def test_partially_given_instances_keep_their_own_fields_set() -> None:
    partial = DirectoryPrincipal(id="p", object_type="group")
    full = _principal("f")
    assert partial.model_fields_set == {"id", "object_type"}
    assert full.model_fields_set == set(DirectoryPrincipal.model_fields)
    # exclude_unset output depends on the per-instance set, and must stay exact
    assert partial.model_dump(exclude_unset=True) == {"id": "p", "object_type": "group"}


def test_round_trip_is_unchanged() -> None:
    ra = RoleAssignment(
        id="/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/x",
        name="x",
        scope="/subscriptions/s",
        role_definition_id="/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/r",
        principal_id="p",
        principal_type="User",
        condition=None,
        created_on=None,
    )
    again = RoleAssignment.model_validate_json(ra.model_dump_json())
    assert again == ra and again.model_dump() == ra.model_dump()
