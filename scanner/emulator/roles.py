"""Built-in Azure role definitions the emulator serves, with their real GUIDs and permissions.

Source: the "Azure built-in roles" reference on learn.microsoft.com (general and
integration pages; the JSON blocks there). Only the roles the scanner reasons
about are listed; a tenant file adds custom roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class BuiltInRole:
    """One built-in role: its GUID, name, description and single permission block."""

    guid: str
    role_name: str
    description: str
    actions: tuple[str, ...] = ()
    not_actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def properties(self) -> dict[str, Any]:
        """The ``properties`` object ARM returns for this role definition."""
        return {
            "roleName": self.role_name,
            "type": "BuiltInRole",
            "description": self.description,
            "assignableScopes": ["/"],
            "permissions": [
                {
                    "actions": list(self.actions),
                    "notActions": list(self.not_actions),
                    "dataActions": list(self.data_actions),
                    "notDataActions": list(self.not_data_actions),
                }
            ],
            "createdOn": "2015-02-02T21:55:09.8806423Z",
            "updatedOn": "2024-04-04T18:25:03.8418305Z",
            "createdBy": None,
            "updatedBy": None,
        }


_FHIR = "Microsoft.HealthcareApis/services/fhir/resources"
_FHIR_WS = "Microsoft.HealthcareApis/workspaces/fhirservices/resources"
_WRITER_ACTIONS = (
    "read",
    "write",
    "delete",
    "export/action",
    "resourceValidate/action",
    "reindex/action",
    "convertData/action",
    "editProfileDefinitions/action",
    "import/action",
)

BUILT_IN_ROLES: tuple[BuiltInRole, ...] = (
    BuiltInRole(
        guid="8e3af657-a8ff-443c-a75c-2fe8c4bcb635",
        role_name="Owner",
        description="Grants full access to manage all resources, including the ability to assign roles "
        "in Azure RBAC.",
        actions=("*",),
    ),
    BuiltInRole(
        guid="b24988ac-6180-42a0-ab88-20f7382dd24c",
        role_name="Contributor",
        description="Grants full access to manage all resources, but does not allow you to assign roles "
        "in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
        actions=("*",),
        not_actions=(
            "Microsoft.Authorization/*/Delete",
            "Microsoft.Authorization/*/Write",
            "Microsoft.Authorization/elevateAccess/Action",
            "Microsoft.Blueprint/blueprintAssignments/write",
            "Microsoft.Blueprint/blueprintAssignments/delete",
            "Microsoft.Compute/galleries/share/action",
            "Microsoft.Purview/consents/write",
            "Microsoft.Purview/consents/delete",
            "Microsoft.Resources/deploymentStacks/manageDenySetting/action",
            "Microsoft.Subscription/cancel/action",
            "Microsoft.Subscription/enable/action",
        ),
    ),
    BuiltInRole(
        guid="acdd72a7-3385-48ef-bd42-f606fba81ae7",
        role_name="Reader",
        description="View all resources, but does not allow you to make any changes.",
        actions=("*/read",),
    ),
    BuiltInRole(
        guid="18d7d88d-d35e-4fb5-a5c3-7773c4a72b9d",
        role_name="User Access Administrator",
        description="Lets you manage user access to Azure resources.",
        actions=("*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"),
    ),
    BuiltInRole(
        guid="f58310d9-a9f6-439a-9e8d-f62e7b41a168",
        role_name="Role Based Access Control Administrator",
        description="Manage access to Azure resources by assigning roles using Azure RBAC. This role does "
        "not allow you to manage access using other ways, such as Azure Policy.",
        actions=(
            "Microsoft.Authorization/roleAssignments/write",
            "Microsoft.Authorization/roleAssignments/delete",
            "*/read",
            "Microsoft.Support/*",
        ),
    ),
    BuiltInRole(
        guid="5a1fc7df-4bf1-4951-a576-89034ee01acd",
        role_name="FHIR Data Contributor",
        description="Role allows user or principal full access to FHIR Data",
        data_actions=(f"{_FHIR}/*", f"{_FHIR_WS}/*"),
        not_data_actions=(f"{_FHIR}/smart/action", f"{_FHIR_WS}/smart/action"),
    ),
    BuiltInRole(
        guid="a1705bd2-3a8f-45a5-8683-466fcfd5cc24",
        role_name="FHIR Data Converter",
        description="Role allows user or principal to convert data from legacy format to FHIR",
        data_actions=(f"{_FHIR}/convertData/action", f"{_FHIR_WS}/convertData/action"),
    ),
    BuiltInRole(
        guid="3db33094-8700-4567-8da5-1501d4e7e843",
        role_name="FHIR Data Exporter",
        description="Role allows user or principal to read and export FHIR Data",
        data_actions=(
            f"{_FHIR}/read",
            f"{_FHIR}/export/action",
            f"{_FHIR_WS}/read",
            f"{_FHIR_WS}/export/action",
        ),
    ),
    BuiltInRole(
        guid="4465e953-8ced-4406-a58e-0f6e3f3b530b",
        role_name="FHIR Data Importer",
        description="Role allows user or principal to read and import FHIR Data",
        data_actions=(f"{_FHIR_WS}/read", f"{_FHIR_WS}/import/action"),
    ),
    BuiltInRole(
        guid="4c8d0bbc-75d3-4935-991f-5f3c56d81508",
        role_name="FHIR Data Reader",
        description="Role allows user or principal to read FHIR Data",
        data_actions=(f"{_FHIR}/read", f"{_FHIR_WS}/read"),
    ),
    BuiltInRole(
        guid="3f88fce4-5892-4214-ae73-ba5294559913",
        role_name="FHIR Data Writer",
        description="Role allows user or principal to read and write FHIR Data",
        data_actions=tuple(f"{_FHIR}/{a}" for a in _WRITER_ACTIONS)
        + tuple(f"{_FHIR_WS}/{a}" for a in _WRITER_ACTIONS),
    ),
    BuiltInRole(
        guid="4ba50f17-9666-485c-a643-ff00808643f0",
        role_name="FHIR SMART User",
        description="Role allows user to access FHIR Service according to SMART on FHIR specification",
        data_actions=(
            f"{_FHIR}/read",
            f"{_FHIR_WS}/read",
            f"{_FHIR}/smart/action",
            f"{_FHIR_WS}/smart/action",
        ),
    ),
    BuiltInRole(
        guid="00482a5a-887f-4fb3-b363-3b7fe8e74483",
        role_name="Key Vault Administrator",
        description="Perform all data plane operations on a key vault and all objects in it, including "
        "certificates, keys, and secrets. Cannot manage key vault resources or manage role "
        "assignments. Only works for key vaults that use the 'Azure role-based access control' "
        "permission model.",
        actions=(
            "Microsoft.Authorization/*/read",
            "Microsoft.Insights/alertRules/*",
            "Microsoft.Resources/deployments/*",
            "Microsoft.Resources/subscriptions/resourceGroups/read",
            "Microsoft.Support/*",
            "Microsoft.KeyVault/checkNameAvailability/read",
            "Microsoft.KeyVault/deletedVaults/read",
            "Microsoft.KeyVault/locations/*/read",
            "Microsoft.KeyVault/vaults/*/read",
            "Microsoft.KeyVault/operations/read",
        ),
        data_actions=("Microsoft.KeyVault/vaults/*",),
    ),
)
