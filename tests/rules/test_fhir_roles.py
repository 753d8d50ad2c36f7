"""The FHIR data-role catalogue: Azure wildcard semantics, notDataActions, built-ins and custom roles."""

from __future__ import annotations

import pytest

from rules._fhir_roles import (
    BUILTIN_FHIR_DATA_ROLES,
    FHIR_DATA_CONTRIBUTOR,
    FHIR_DATA_CONVERTER,
    FHIR_DATA_EXPORTER,
    FHIR_DATA_IMPORTER,
    FHIR_DATA_READER,
    FHIR_DATA_WRITER,
    FHIR_SMART_USER,
    OWNER,
    RoleCatalogue,
    action_matches,
    evaluate_permissions,
    fhir_data_role_holders,
    operation_of,
    role_guid,
)
from scanner.inventory import Permission
from tests.factories import SUB2, snapshot
from tests.rules._builders_access import assignment, rg_scope, role_def, role_def_id

AHDS_READ = "Microsoft.HealthcareApis/workspaces/fhirservices/resources/read"
LEGACY_WRITE = "Microsoft.HealthcareApis/services/fhir/resources/write"


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("*", AHDS_READ, True),
        ("Microsoft.HealthcareApis/*", AHDS_READ, True),
        ("Microsoft.HealthcareApis/workspaces/fhirservices/*", AHDS_READ, True),
        ("Microsoft.HealthcareApis/services/fhir/*", LEGACY_WRITE, True),
        ("microsoft.healthcareapis/WORKSPACES/fhirServices/resources/READ", AHDS_READ, True),
        ("*/read", AHDS_READ, True),
        ("Microsoft.HealthcareApis/*/resources/read", AHDS_READ, True),
        ("Microsoft.HealthcareApis/services/fhir/*", AHDS_READ, False),
        ("Microsoft.HealthcareApis/workspaces/fhirservices/resources/write", AHDS_READ, False),
        ("Microsoft.HealthcareApis/workspaces/fhirservices/resources/re", AHDS_READ, False),
        ("Microsoft.Storage/*", AHDS_READ, False),
        # regex metacharacters in a pattern are literal text, not syntax
        ("Microsoft.HealthcareApis/workspaces/fhirservices/resources/rea.", AHDS_READ, False),
    ],
)
def test_action_matches_uses_azure_wildcard_semantics(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


def test_role_guid_accepts_ids_from_any_subscription_case_insensitively() -> None:
    assert role_guid(role_def_id(FHIR_DATA_READER.upper(), sub=SUB2)) == FHIR_DATA_READER
    assert role_guid(f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}/") == OWNER
    assert role_guid(FHIR_DATA_WRITER) == FHIR_DATA_WRITER


def test_operation_of_strips_either_namespace() -> None:
    assert (
        operation_of("Microsoft.HealthcareApis/services/fhir/resources/hardDelete/action")
        == "hardDelete/action"
    )
    assert operation_of(AHDS_READ.lower()) == "read"
    assert operation_of("Microsoft.Storage/read") == "Microsoft.Storage/read"


def test_not_data_actions_cancel_a_wildcard_completely() -> None:
    actions, wildcards = evaluate_permissions(
        [
            Permission(
                data_actions=["Microsoft.HealthcareApis/*"], not_data_actions=["Microsoft.HealthcareApis/*"]
            )
        ]
    )
    assert actions == ()
    assert wildcards == ()


def test_not_data_actions_remove_only_what_they_match() -> None:
    actions, wildcards = evaluate_permissions(
        [
            Permission(
                data_actions=["Microsoft.HealthcareApis/workspaces/fhirservices/*"],
                not_data_actions=[
                    "*/write",
                    "*/delete",
                    "*/hardDelete/action",
                    "*/import/action",
                    "*/editProfileDefinitions/action",
                ],
            )
        ]
    )
    ops = {operation_of(a) for a in actions}
    assert "read" in ops and "export/action" in ops
    assert not ops & {"write", "delete", "hardDelete/action", "import/action"}
    assert all(a.startswith("Microsoft.HealthcareApis/workspaces/") for a in actions)
    assert wildcards == ("Microsoft.HealthcareApis/workspaces/fhirservices/*",)


def test_not_data_actions_of_one_block_do_not_cancel_another_block() -> None:
    actions, _ = evaluate_permissions(
        [
            Permission(data_actions=[AHDS_READ]),
            Permission(data_actions=["Microsoft.Storage/*"], not_data_actions=["*"]),
        ]
    )
    assert actions == (AHDS_READ,)


def test_control_plane_actions_grant_no_fhir_data_access() -> None:
    actions, _ = evaluate_permissions([Permission(actions=["*"], data_actions=[])])
    assert actions == ()


def test_a_literal_fhir_data_action_outside_the_catalogue_is_still_seen() -> None:
    future = "Microsoft.HealthcareApis/workspaces/fhirservices/resources/newOperation/action"
    actions, wildcards = evaluate_permissions([Permission(data_actions=[future])])
    assert actions == (future,)
    assert wildcards == ()


@pytest.mark.parametrize(
    ("guid", "write_capable"),
    [
        (FHIR_DATA_READER, False),
        (FHIR_DATA_WRITER, True),
        (FHIR_DATA_CONTRIBUTOR, True),
        (FHIR_DATA_EXPORTER, False),
        (FHIR_DATA_IMPORTER, True),
        (FHIR_SMART_USER, False),
        (FHIR_DATA_CONVERTER, False),
    ],
)
def test_builtin_fhir_roles_are_known_without_their_definitions(guid: str, write_capable: bool) -> None:
    grant = RoleCatalogue.from_snapshot(snapshot()).grant(role_def_id(guid))
    assert grant is not None
    assert grant.grants_data
    assert grant.write_capable is write_capable
    assert grant.role_name == BUILTIN_FHIR_DATA_ROLES[guid]


def test_contributor_builtin_excludes_smart_but_grants_hard_delete() -> None:
    grant = RoleCatalogue.from_snapshot(snapshot()).grant(FHIR_DATA_CONTRIBUTOR)
    assert grant is not None
    assert "smart/action" not in grant.operations
    assert "hardDelete/action" in grant.operations
    assert grant.wildcard_patterns  # built from wildcards, as Microsoft defines it


def test_owner_is_known_and_grants_no_data() -> None:
    grant = RoleCatalogue.from_snapshot(snapshot()).grant(OWNER)
    assert grant is not None and not grant.grants_data


def test_unknown_definition_is_none_not_a_guess() -> None:
    assert (
        RoleCatalogue.from_snapshot(snapshot()).grant(role_def_id("11111111-2222-3333-4444-555555555555"))
        is None
    )


def test_snapshot_definition_wins_over_builtin_fallback() -> None:
    # the snapshot's copy of a built-in is what Azure returned: trust it over the documented table
    changed = role_def(FHIR_DATA_READER, "FHIR Data Reader", data_actions=[LEGACY_WRITE], custom=False)
    grant = RoleCatalogue.from_snapshot(snapshot(role_definitions=[changed])).grant(FHIR_DATA_READER)
    assert grant is not None and grant.write_capable


def test_custom_role_with_wildcard_is_classified() -> None:
    guid = "aaaaaaaa-0000-0000-0000-000000000001"
    inv = snapshot(
        role_definitions=[role_def(guid, "FHIR everything", data_actions=["Microsoft.HealthcareApis/*"])]
    )
    grant = RoleCatalogue.from_snapshot(inv).grant(role_def_id(guid, sub=SUB2))
    assert grant is not None
    assert grant.custom and grant.grants_data and grant.write_capable
    assert grant.wildcard_patterns == ("Microsoft.HealthcareApis/*",)


def test_holders_are_principals_with_any_fhir_data_role() -> None:
    custom = "aaaaaaaa-0000-0000-0000-000000000002"
    inv = snapshot(
        role_definitions=[role_def(custom, "Reader-ish", data_actions=[AHDS_READ])],
        role_assignments=[
            assignment("a1", scope=rg_scope(), role=FHIR_DATA_READER, principal="P-READER"),
            assignment("a2", scope=rg_scope(), role=OWNER, principal="p-owner"),
            assignment("a3", scope=rg_scope(), role=custom, principal="p-custom"),
            assignment(
                "a4", scope=rg_scope(), role="99999999-0000-0000-0000-000000000000", principal="p-unknown"
            ),
        ],
    )
    assert fhir_data_role_holders(inv) == frozenset({"p-reader", "p-custom"})
