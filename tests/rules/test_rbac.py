"""AHDS-RBAC-001..006: FHIR data roles, their scopes and holders, custom roles, control-plane roles, orphans."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from rules import rbac
from rules._fhir_roles import (
    CONTRIBUTOR,
    FHIR_DATA_CONTRIBUTOR,
    FHIR_DATA_IMPORTER,
    FHIR_DATA_READER,
    FHIR_DATA_WRITER,
    OWNER,
    RBAC_ADMINISTRATOR,
    USER_ACCESS_ADMINISTRATOR,
)
from scanner.inventory import Subscription, is_within
from scanner.rule import Status
from tests.factories import RG, SUB, SUB2, snapshot
from tests.rules._builders_access import (
    assignment,
    fhir,
    group,
    legacy_fhir,
    mg_scope,
    rg_scope,
    role_def,
    run,
    statuses,
    sub_scope,
    user,
    workspace,
)

ALICE = "11111111-aaaa-0000-0000-000000000001"
GUEST = "11111111-aaaa-0000-0000-000000000002"
GONE = "11111111-aaaa-0000-0000-000000000003"
TEAM = "11111111-aaaa-0000-0000-000000000004"
UNKNOWN_ROLE = "99999999-0000-0000-0000-000000000000"
CUSTOM_READ = "cccccccc-0000-0000-0000-000000000001"
CUSTOM_WRITE = "cccccccc-0000-0000-0000-000000000002"
FHIR_READ = "Microsoft.HealthcareApis/workspaces/fhirservices/resources/read"
FHIR_WRITE = "Microsoft.HealthcareApis/workspaces/fhirservices/resources/write"

SVC = fhir("fhir1", "ws1")
OTHER_RG = "rg-other"


def estate(**lists: object) -> dict[str, object]:
    """Inventory lists with one workspace and one FHIR service in SUB/RG, plus ``lists``."""
    base: dict[str, object] = {"workspaces": [workspace("ws1")], "fhir_services": [SVC]}
    base.update(lists)
    return base


# --- AHDS-RBAC-001 --------------------------------------------------------------------------------


class TestFhirDataRolesScopedToFhirResources:
    rule = rbac.fhir_data_roles_scoped_to_fhir_resources

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-RBAC-001"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_assignment_at_the_fhir_service_passes(self) -> None:
        a = assignment("a1", scope=SVC.id, role=FHIR_DATA_READER, principal=ALICE)
        [result] = run(self.rule, snapshot(**estate(role_assignments=[a], principals=[user(ALICE, "alice")])))
        assert result.status is Status.PASS
        assert result.resource_id == a.id
        assert result.resource_type == "Microsoft.Authorization/roleAssignments"
        assert result.evidence["fhirServicesInScope"] == 1
        assert result.evidence["principalDisplayName"] == "alice"

    def test_assignment_at_the_workspace_passes(self) -> None:
        a = assignment("a1", scope=workspace("ws1").id, role=FHIR_DATA_WRITER, principal=ALICE)
        [result] = run(self.rule, snapshot(**estate(role_assignments=[a])))
        assert result.status is Status.PASS
        assert result.evidence["fhirServices"] == ["ws1/fhir1"]

    @pytest.mark.parametrize(
        ("scope", "level"),
        [
            (rg_scope(), "resourceGroup"),
            (sub_scope(), "subscription"),
            (mg_scope("mg-health"), "managementGroup"),
            ("/", "root"),
        ],
    )
    def test_broad_scopes_fail(self, scope: str, level: str) -> None:
        a = assignment("a1", scope=scope, role=FHIR_DATA_READER, principal=ALICE)
        [result] = run(self.rule, snapshot(**estate(role_assignments=[a])))
        assert result.status is Status.FAIL
        assert result.evidence["scopeLevel"] == level
        assert result.evidence["fhirServicesInScope"] == 1
        assert level in result.message and "FHIR Data Reader" in result.message

    def test_mixed_case_scopes_are_compared_case_insensitively(self) -> None:
        narrow = assignment(
            "a1",
            scope=SVC.id.lower().replace("fhirservices", "FHIRServices"),
            role=FHIR_DATA_READER,
            principal=ALICE,
        )
        broad = assignment(
            "a2",
            scope=f"/SUBSCRIPTIONS/{SUB.upper()}/resourcegroups/{RG.upper()}/",
            role=FHIR_DATA_READER,
            principal=ALICE,
        )
        results = run(self.rule, snapshot(**estate(role_assignments=[narrow, broad])))
        assert statuses(results) == ["pass", "fail"]
        assert [r.evidence["fhirServicesInScope"] for r in results] == [1, 1]

    def test_assignment_inherited_from_a_management_group_reaches_its_subscriptions_services(self) -> None:
        subs = [
            Subscription(
                subscription_id=SUB,
                management_group_ids=["/providers/Microsoft.Management/managementGroups/MG-Health"],
            ),
            Subscription(subscription_id=SUB2, management_group_ids=["mg-other"]),
        ]
        other = fhir("fhir2", "ws2", sub=SUB2)
        inherited = assignment("a1", scope=mg_scope("mg-health"), role=FHIR_DATA_READER, principal=ALICE)
        results = run(
            self.rule,
            snapshot(**estate(subscriptions=subs, fhir_services=[SVC, other], role_assignments=[inherited])),
        )
        [result] = results
        assert result.status is Status.FAIL
        assert result.evidence["fhirServices"] == ["ws1/fhir1"]
        assert result.subscription_id is None

    def test_management_group_assignment_applies_when_ancestry_is_unknown(self) -> None:
        inherited = assignment("a1", scope=mg_scope("mg-any"), role=FHIR_DATA_READER, principal=ALICE)
        [result] = run(self.rule, snapshot(**estate(role_assignments=[inherited])))
        assert result.evidence["fhirServicesInScope"] == 1

    @pytest.mark.parametrize(
        ("complete", "reached"), [(True, ["ws1/fhir1"]), (False, ["ws1/fhir1", "ws2/fhir2"])]
    )
    def test_subscription_without_listed_groups_did_not_inherit_unless_read_incompletely(
        self, complete: bool, reached: list[str]
    ) -> None:
        subs = [
            Subscription(subscription_id=SUB, management_group_ids=[mg_scope("mg-health")]),
            Subscription(subscription_id=SUB2, management_group_ids=[], complete=complete),
        ]
        inherited = assignment("a1", scope=mg_scope("mg-health"), role=FHIR_DATA_READER, principal=ALICE)
        inv = snapshot(
            **estate(
                subscriptions=subs,
                fhir_services=[SVC, fhir("fhir2", "ws2", sub=SUB2)],
                role_assignments=[inherited],
            )
        )
        [result] = run(self.rule, inv)
        assert result.evidence["fhirServices"] == reached

    def test_legacy_service_is_reached_too(self) -> None:
        a = assignment("a1", scope=rg_scope(), role=FHIR_DATA_READER, principal=ALICE)
        [result] = run(
            self.rule, snapshot(legacy_fhir_services=[legacy_fhir("legacy1")], role_assignments=[a])
        )
        assert result.status is Status.FAIL
        assert result.evidence["fhirServices"] == ["legacy1"]

    def test_custom_fhir_role_is_a_data_role_and_cancelled_one_is_not(self) -> None:
        defs = [
            role_def(CUSTOM_READ, "Custom FHIR reader", data_actions=[FHIR_READ]),
            role_def(
                CUSTOM_WRITE,
                "Cancelled",
                data_actions=["Microsoft.HealthcareApis/*"],
                not_data_actions=["Microsoft.HealthcareApis/*"],
            ),
        ]
        assignments = [
            assignment("a1", scope=sub_scope(), role=CUSTOM_READ, principal=ALICE),
            assignment("a2", scope=sub_scope(), role=CUSTOM_WRITE, principal=ALICE),
        ]
        [result] = run(self.rule, snapshot(**estate(role_definitions=defs, role_assignments=assignments)))
        assert result.status is Status.FAIL
        assert result.evidence["roleName"] == "Custom FHIR reader"

    def test_non_fhir_roles_are_not_examined(self) -> None:
        a = assignment("a1", scope=sub_scope(), role=CONTRIBUTOR, principal=ALICE)
        assert run(self.rule, snapshot(**estate(role_assignments=[a]))) == []

    def test_unknown_role_definition_reaching_fhir_is_an_error(self) -> None:
        reaching = assignment("a1", scope=sub_scope(), role=UNKNOWN_ROLE, principal=ALICE)
        elsewhere = assignment("a2", scope=rg_scope(rg=OTHER_RG), role=UNKNOWN_ROLE, principal=ALICE)
        [result] = run(self.rule, snapshot(**estate(role_assignments=[reaching, elsewhere])))
        assert result.status is Status.ERROR
        assert UNKNOWN_ROLE in result.message


# --- AHDS-RBAC-002 --------------------------------------------------------------------------------


class TestFhirWriteRolesHeldByAllowedPrincipals:
    rule = rbac.fhir_write_roles_held_by_allowed_principals

    def inv(self) -> object:
        defs = [
            role_def(CUSTOM_READ, "Custom reader", data_actions=[FHIR_READ]),
            role_def(CUSTOM_WRITE, "Custom writer", data_actions=[FHIR_READ, FHIR_WRITE]),
        ]
        return snapshot(
            **estate(
                role_definitions=defs,
                role_assignments=[
                    assignment("w", scope=SVC.id, role=FHIR_DATA_WRITER, principal=ALICE),
                    assignment(
                        "c", scope=SVC.id, role=FHIR_DATA_CONTRIBUTOR, principal=TEAM, principal_type="Group"
                    ),
                    assignment("i", scope=SVC.id, role=FHIR_DATA_IMPORTER, principal=ALICE),
                    assignment("cw", scope=SVC.id, role=CUSTOM_WRITE, principal=ALICE),
                    assignment("r", scope=SVC.id, role=FHIR_DATA_READER, principal=ALICE),
                    assignment("cr", scope=SVC.id, role=CUSTOM_READ, principal=ALICE),
                ],
                principals=[user(ALICE, "alice"), group(TEAM, "fhir-writers")],
            )
        )

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-RBAC-002"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_default_empty_allow_list_fails_every_writer_and_says_so(self) -> None:
        results = run(self.rule, self.inv())
        assert [r.resource_id.rsplit("/", 1)[-1] for r in results] == ["w", "c", "i", "cw"]
        assert set(statuses(results)) == {"fail"}
        assert all("no allowed_principals are configured" in r.message for r in results)
        assert results[0].evidence["allowedPrincipalsConfigured"] is False
        assert "write" in results[0].evidence["writeOperations"]

    def test_allowed_principal_passes_case_insensitively(self) -> None:
        results = run(self.rule, self.inv(), allowed_principals=[f"  {TEAM.upper()} "])
        by_name = {r.resource_id.rsplit("/", 1)[-1]: r for r in results}
        assert by_name["c"].status is Status.PASS
        assert by_name["w"].status is Status.FAIL
        assert "not in allowed_principals" in by_name["w"].message

    def test_unknown_role_definition_reaching_fhir_is_an_error(self) -> None:
        a = assignment("u", scope=SVC.id, role=UNKNOWN_ROLE, principal=ALICE)
        [result] = run(self.rule, snapshot(**estate(role_assignments=[a])))
        assert result.status is Status.ERROR

    def test_allow_list_must_be_a_list(self) -> None:
        with pytest.raises(ValidationError):
            rbac.AllowedPrincipalsSettings(allowed_principals="abc")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            rbac.AllowedPrincipalsSettings(allowed=[])  # type: ignore[call-arg]


# --- AHDS-RBAC-003 --------------------------------------------------------------------------------


class TestFhirDataRolesNotHeldByGuests:
    rule = rbac.fhir_data_roles_not_held_by_guests

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-RBAC-003"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_guest_fails_member_and_group_pass(self) -> None:
        inv = snapshot(
            **estate(
                role_assignments=[
                    assignment("g", scope=SVC.id, role=FHIR_DATA_READER, principal=GUEST),
                    assignment("m", scope=SVC.id, role=FHIR_DATA_READER, principal=ALICE),
                    assignment(
                        "t", scope=SVC.id, role=FHIR_DATA_READER, principal=TEAM, principal_type="Group"
                    ),
                    assignment("o", scope=SVC.id, role=OWNER, principal=GUEST),
                ],
                principals=[user(GUEST, "vendor", guest=True), user(ALICE, "alice"), group(TEAM, "team")],
            )
        )
        results = run(self.rule, inv)
        assert statuses(results) == ["fail", "pass", "pass"]
        assert "Guest user" in results[0].message and "#EXT#" in results[0].message
        assert results[0].evidence["userType"] == "Guest"

    def test_missing_user_type_falls_back_to_ext_upn(self) -> None:
        a = assignment("g", scope=SVC.id, role=FHIR_DATA_READER, principal=GUEST)
        inv = snapshot(
            **estate(role_assignments=[a], principals=[user(GUEST, "vendor", guest=True, user_type=None)])
        )
        assert statuses(run(self.rule, inv)) == ["fail"]

    def test_unresolved_directory_is_an_error(self) -> None:
        a = assignment("g", scope=SVC.id, role=FHIR_DATA_READER, principal=GUEST)
        [result] = run(self.rule, snapshot(**estate(role_assignments=[a], principals_resolved=False)))
        assert result.status is Status.ERROR
        assert "directory could not be read" in result.message

    def test_deleted_principal_is_not_a_guest(self) -> None:
        a = assignment("g", scope=SVC.id, role=FHIR_DATA_READER, principal=GONE)
        [result] = run(self.rule, snapshot(**estate(role_assignments=[a], unresolved_principal_ids=[GONE])))
        assert result.status is Status.PASS
        assert "AHDS-RBAC-006" in result.message


# --- AHDS-RBAC-004 --------------------------------------------------------------------------------


class TestCustomRolesGrantNoWildcardFhirDataActions:
    rule = rbac.custom_roles_grant_no_wildcard_fhir_data_actions

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-RBAC-004"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    @pytest.mark.parametrize(
        "wildcard",
        [
            "*",
            "Microsoft.HealthcareApis/*",
            "microsoft.healthcareapis/workspaces/fhirservices/*",
            "Microsoft.HealthcareApis/services/fhir/*",
        ],
    )
    def test_wildcards_granting_fhir_data_fail(self, wildcard: str) -> None:
        inv = snapshot(role_definitions=[role_def(CUSTOM_WRITE, "Too broad", data_actions=[wildcard])])
        [result] = run(self.rule, inv)
        assert result.status is Status.FAIL
        assert result.evidence["wildcardDataActions"] == [wildcard]
        assert result.resource_type == "Microsoft.Authorization/roleDefinitions"
        assert "Too broad" in result.message

    def test_wildcard_cancelled_by_not_data_actions_passes(self) -> None:
        d = role_def(
            CUSTOM_WRITE,
            "Cancelled",
            data_actions=["Microsoft.HealthcareApis/*"],
            not_data_actions=["Microsoft.HealthcareApis/*"],
        )
        [result] = run(self.rule, snapshot(role_definitions=[d]))
        assert result.status is Status.PASS
        assert result.evidence["fhirOperationsGranted"] == []

    def test_explicit_actions_and_unrelated_wildcards_pass(self) -> None:
        defs = [
            role_def(CUSTOM_READ, "Explicit", data_actions=[FHIR_READ]),
            role_def(
                CUSTOM_WRITE,
                "Storage",
                data_actions=["Microsoft.Storage/*"],
                actions=["Microsoft.HealthcareApis/*"],
            ),
        ]
        results = run(self.rule, snapshot(role_definitions=defs))
        assert statuses(results) == ["pass", "pass"]
        assert "explicitly" in results[0].message and "no FHIR data action" in results[1].message

    def test_builtins_are_not_examined_and_duplicates_are_examined_once(self) -> None:
        defs = [
            role_def(
                FHIR_DATA_CONTRIBUTOR,
                "FHIR Data Contributor",
                data_actions=["Microsoft.HealthcareApis/*"],
                custom=False,
            ),
            role_def(CUSTOM_WRITE, "Shared", data_actions=["*"], sub=SUB),
            role_def(CUSTOM_WRITE, "Shared", data_actions=["*"], sub=SUB2),
        ]
        results = run(self.rule, snapshot(role_definitions=defs))
        assert statuses(results) == ["fail"]


# --- AHDS-RBAC-005 --------------------------------------------------------------------------------


class TestFhirAccessGrantingRolesHeldByAllowedPrincipals:
    rule = rbac.fhir_access_granting_roles_held_by_allowed_principals

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-RBAC-005"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_each_privileged_assignment_over_fhir_is_listed_with_its_principal(self) -> None:
        assignments = [
            assignment("owner-sub", scope=sub_scope(), role=OWNER, principal=ALICE, role_sub=SUB2),
            assignment(
                "uaa-rg",
                scope=rg_scope().upper(),
                role=USER_ACCESS_ADMINISTRATOR,
                principal=TEAM,
                principal_type="Group",
            ),
            assignment("rbac-mg", scope=mg_scope("mg-health"), role=RBAC_ADMINISTRATOR, principal=ALICE),
            assignment("owner-svc", scope=SVC.id.lower(), role=OWNER, principal=ALICE),
            assignment("owner-other-rg", scope=rg_scope(rg=OTHER_RG), role=OWNER, principal=ALICE),
            assignment("contrib-sub", scope=sub_scope(), role=CONTRIBUTOR, principal=ALICE),
        ]
        inv = snapshot(
            **estate(role_assignments=assignments, principals=[user(ALICE, "alice"), group(TEAM, "admins")])
        )
        results = run(self.rule, inv)
        assert [r.resource_id.rsplit("/", 1)[-1] for r in results] == [
            "owner-sub",
            "uaa-rg",
            "rbac-mg",
            "owner-svc",
        ]
        assert set(statuses(results)) == {"fail"}
        assert results[1].evidence["roleName"] == "User Access Administrator"
        assert results[1].evidence["principalType"] == "Group"
        assert results[1].evidence["principalDisplayName"] == "admins"
        assert "Group 'admins'" in results[1].message

    def test_break_glass_accounts_pass(self) -> None:
        a = assignment("owner-sub", scope=sub_scope(), role=OWNER, principal=ALICE)
        [result] = run(
            self.rule, snapshot(**estate(role_assignments=[a])), allowed_principals=[ALICE.upper()]
        )
        assert result.status is Status.PASS

    def test_condition_is_shown(self) -> None:
        a = assignment("rbac", scope=sub_scope(), role=RBAC_ADMINISTRATOR, principal=ALICE).model_copy(
            update={
                "condition": "@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {x}"
            }
        )
        [result] = run(self.rule, snapshot(**estate(role_assignments=[a])))
        assert "condition" in result.evidence


# --- AHDS-RBAC-006 --------------------------------------------------------------------------------


class TestFhirRoleAssignmentPrincipalsExist:
    rule = rbac.fhir_role_assignment_principals_exist

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-RBAC-006"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def assignments(self) -> list[object]:
        return [
            assignment("exists", scope=SVC.id, role=FHIR_DATA_READER, principal=ALICE),
            assignment("listed-gone", scope=sub_scope(), role=CONTRIBUTOR, principal=GONE),
            assignment("absent", scope=workspace("ws1").id, role=UNKNOWN_ROLE, principal=TEAM),
            assignment("inside", scope=f"{SVC.id}/child/x", role=CONTRIBUTOR, principal=ALICE),
            assignment(
                "data-role-elsewhere", scope=rg_scope(rg=OTHER_RG), role=FHIR_DATA_READER, principal=GONE
            ),
            assignment("irrelevant", scope=rg_scope(rg=OTHER_RG), role=CONTRIBUTOR, principal=GONE),
        ]

    def test_orphans_fail_and_existing_principals_pass(self) -> None:
        inv = snapshot(
            **estate(
                role_assignments=self.assignments(),
                principals=[user(ALICE, "alice")],
                unresolved_principal_ids=[GONE],
            )
        )
        results = run(self.rule, inv)
        assert [(r.resource_id.rsplit("/", 1)[-1], r.status.value) for r in results] == [
            ("exists", "pass"),
            ("listed-gone", "fail"),
            ("absent", "fail"),
            ("inside", "pass"),
            ("data-role-elsewhere", "fail"),
        ]
        assert results[1].evidence["directoryState"] == "deleted"

    def test_unreadable_directory_gives_errors_for_unresolved_principals(self) -> None:
        inv = snapshot(
            **estate(
                role_assignments=self.assignments(),
                principals=[user(ALICE, "alice")],
                principals_resolved=False,
            )
        )
        results = run(self.rule, inv)
        assert statuses(results) == ["pass", "error", "error", "pass", "error"]
        assert "directory could not be read" in results[1].message

    def test_listed_unresolved_id_is_deleted_even_if_lookup_was_partial(self) -> None:
        a = assignment("gone", scope=SVC.id, role=OWNER, principal=GONE.upper())
        inv = snapshot(
            **estate(role_assignments=[a], unresolved_principal_ids=[GONE], principals_resolved=False)
        )
        assert statuses(run(self.rule, inv)) == ["fail"]


def test_scope_level_classifies_every_scope_kind() -> None:
    assert rbac.scope_level("/") == "root"
    assert rbac.scope_level("/providers/microsoft.management/managementGroups/x") == "managementGroup"
    assert rbac.scope_level(f"/subscriptions/{SUB}/") == "subscription"
    assert rbac.scope_level(f"/subscriptions/{SUB}/ResourceGroups/x") == "resourceGroup"
    assert rbac.scope_level(SVC.id) == "resource"


def test_scope_index_agrees_with_is_within() -> None:
    """The prefix index is an optimisation of ``is_within``; it must never disagree with it."""
    services = [SVC, fhir("fhir2", "ws1"), fhir("fhir3", "ws3", rg=OTHER_RG), fhir("f4", "w4", sub=SUB2)]
    inv = snapshot(fhir_services=services, legacy_fhir_services=[legacy_fhir("legacy1")])
    index = rbac.fhir_services_index(inv)
    targets = [*services, *inv.legacy_fhir_services]
    scopes = [
        sub_scope(),
        sub_scope().upper() + "/",
        sub_scope(SUB2),
        rg_scope(),
        rg_scope().lower(),
        rg_scope(rg="rg-fhir2"),  # a sibling sharing a name prefix is not a parent
        rg_scope(rg=OTHER_RG),
        workspace("ws1").id,
        workspace("ws").id,
        SVC.id.upper(),
        f"{SVC.id}/child",
        legacy_fhir("legacy1").id.lower(),
        legacy_fhir("legacy").id,
    ]
    for scope in scopes:
        reached = {t.id for t in index.under(scope)}
        assert reached == {t.id for t in targets if is_within(t.id, scope)}, scope
        assert index.inside(scope) == any(is_within(scope, t.id) for t in targets), scope
