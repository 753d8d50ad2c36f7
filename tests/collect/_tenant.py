"""A small tenant in real REST shape that exercises every collector (two subscriptions)."""

from __future__ import annotations

from typing import Any

TENANT_ID = "7a1d6a1e-0000-4000-8000-00000000a001"
SUB_A = "a0a0a0a0-0000-4000-8000-00000000000a"
SUB_B = "b0b0b0b0-0000-4000-8000-00000000000b"
RG_A = f"/subscriptions/{SUB_A}/resourceGroups/rg-fhir(prod)"
RG_B = f"/subscriptions/{SUB_B}/resourceGroups/rg-dev"
WS = f"{RG_A}/providers/Microsoft.HealthcareApis/workspaces/wsprod"
VAULT = f"{RG_A}/providers/Microsoft.KeyVault/vaults/kv-prod"
USER_GUEST = "00000000-0000-4000-8000-0000000000e1"
GROUP = "00000000-0000-4000-8000-0000000000f1"
SP = "00000000-0000-4000-8000-00000000005a"
DELETED = "00000000-0000-4000-8000-0000000000dd"
_TLS10 = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10"
CLIENT_SECRET = "emulator-secret-Zq8~not-a-real-one"


def _pec(target: str, status: str) -> dict[str, Any]:
    return {
        "id": f"{target}/privateEndpointConnections/pe-conn",
        "name": "pe-conn",
        "type": "Microsoft.HealthcareApis/workspaces/privateEndpointConnections",
        "properties": {
            "privateEndpoint": {"id": f"{RG_A}/providers/Microsoft.Network/privateEndpoints/pe-fhir"},
            "privateLinkServiceConnectionState": {
                "status": status,
                "description": "auto",
                "actionsRequired": "None",
            },
            "provisioningState": "Succeeded",
        },
    }


def small_tenant() -> dict[str, Any]:
    """The tenant mapping (relative dates resolved by the emulator's loader)."""
    fhir = f"{WS}/fhirservices/fhirprod"
    return {
        "tenant_id": TENANT_ID,
        "display_name": "Small Health",
        "clients": [{"client_id": "c1c1c1c1-0000-4000-8000-0000000000c1", "client_secret": CLIENT_SECRET}],
        "management_groups": [{"name": "mg-health", "display_name": "Health"}],
        "subscriptions": [
            {
                "subscription_id": SUB_A,
                "display_name": "prod <b>health</b>",
                "management_group": "mg-health",
                "resources": [
                    {
                        "id": WS,
                        "location": "eastus",
                        "tags": {"env": "prod"},
                        "properties": {
                            "provisioningState": "Succeeded",
                            "publicNetworkAccess": "Disabled",
                            "privateEndpointConnections": [_pec(WS, "Approved")],
                        },
                        "_children": {
                            "fhirservices": [
                                {
                                    "name": "wsprod/fhirprod",
                                    "id": fhir,
                                    "kind": "fhir-R4",
                                    "location": "eastus",
                                    "identity": {"type": "SystemAssigned"},
                                    "properties": {
                                        "provisioningState": "Succeeded",
                                        "publicNetworkAccess": "Enabled",
                                        "authenticationConfiguration": {
                                            "authority": f"https://login.microsoftonline.com/{TENANT_ID}",
                                            "audience": "https://wsprod-fhirprod.fhir.azurehealthcareapis.com",
                                            "smartProxyEnabled": False,
                                        },
                                        "corsConfiguration": {
                                            "origins": ["*"],
                                            "headers": ["*"],
                                            "methods": ["GET"],
                                            "maxAge": 1440,
                                            "allowCredentials": False,
                                        },
                                        "exportConfiguration": {"storageAccountName": "stexport"},
                                        "encryption": {
                                            "customerManagedKeyEncryption": {
                                                "keyEncryptionKeyUrl": "https://kv-prod.vault.azure.net/keys/cmk"
                                            }
                                        },
                                        "privateEndpointConnections": [_pec(fhir, "Pending")],
                                    },
                                }
                            ]
                        },
                    },
                    {
                        "id": f"{RG_A}/providers/Microsoft.HealthcareApis/services/legacyfhir",
                        "kind": "fhir-R4",
                        "location": "westus2",
                        "properties": {
                            "accessPolicies": [{"objectId": SP}],
                            "cosmosDbConfiguration": {"offerThroughput": 400},
                            "publicNetworkAccess": "Enabled",
                            "authenticationConfiguration": {
                                "audience": "https://legacyfhir.azurehealthcareapis.com"
                            },
                        },
                    },
                    {
                        "id": VAULT,
                        "location": "eastus",
                        "properties": {
                            "tenantId": TENANT_ID,
                            "vaultUri": "https://kv-prod.vault.azure.net/",
                            "enableSoftDelete": True,
                            "softDeleteRetentionInDays": 90,
                            "enableRbacAuthorization": True,
                            "publicNetworkAccess": "Enabled",
                            "networkAcls": {
                                "bypass": "AzureServices",
                                "defaultAction": "Allow",
                                "ipRules": [{"value": "203.0.113.0/24"}],
                                "virtualNetworkRules": [],
                            },
                        },
                        "_children": {
                            "secrets": [
                                {
                                    "name": "db-password",
                                    "properties": {
                                        "contentType": "text/plain",
                                        "attributes": {
                                            "enabled": True,
                                            "exp": "@epoch:now+30d",
                                            "nbf": "@epoch:now-1d",
                                            "created": "@epoch:now-100d",
                                            "updated": "@epoch:now-10d",
                                        },
                                    },
                                },
                                {"name": "no-expiry", "properties": {"attributes": {"enabled": True}}},
                            ],
                            "keys": [
                                {
                                    "name": "cmk",
                                    "properties": {
                                        "kty": "RSA",
                                        "keySize": 2048,
                                        "attributes": {"enabled": True, "exp": "@epoch:now+200d"},
                                        "rotationPolicy": {
                                            "attributes": {"expiryTime": "P1Y"},
                                            "lifetimeActions": [
                                                {
                                                    "action": {"type": "rotate"},
                                                    "trigger": {"timeAfterCreate": "P300D"},
                                                }
                                            ],
                                        },
                                    },
                                },
                            ],
                        },
                    },
                    {
                        "id": f"{RG_A}/providers/Microsoft.Network/privateEndpoints/pe-fhir",
                        "location": "eastus",
                        "properties": {
                            "subnet": {
                                "id": f"{RG_A}/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe"
                            },
                            "privateLinkServiceConnections": [
                                {
                                    "name": "pe-fhir",
                                    "properties": {
                                        "privateLinkServiceId": WS,
                                        "groupIds": ["healthcareworkspace"],
                                        "privateLinkServiceConnectionState": {"status": "Approved"},
                                    },
                                }
                            ],
                            "manualPrivateLinkServiceConnections": [],
                        },
                    },
                    {
                        "id": f"{RG_A}/providers/Microsoft.Network/applicationGateways/agw",
                        "location": "eastus",
                        "properties": {
                            "sku": {"name": "WAF_v2", "tier": "WAF_v2", "capacity": 2},
                            "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20150501"},
                            "sslProfiles": [
                                {
                                    "name": "strict",
                                    "properties": {
                                        "sslPolicy": {
                                            "policyType": "Custom",
                                            "minProtocolVersion": "TLSv1_2",
                                            "cipherSuites": ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"],
                                        }
                                    },
                                }
                            ],
                            "httpListeners": [
                                {"name": "l1", "properties": {"protocol": "Https"}},
                                {"name": "l2", "properties": {"protocol": "Http"}},
                            ],
                            "backendAddressPools": [
                                {
                                    "name": "p",
                                    "properties": {
                                        "backendAddresses": [
                                            {"fqdn": "wsprod-fhirprod.fhir.azurehealthcareapis.com"}
                                        ]
                                    },
                                }
                            ],
                        },
                    },
                    {
                        "id": f"{RG_A}/providers/Microsoft.ApiManagement/service/apim-prod",
                        "location": "eastus",
                        "sku": {"name": "Developer", "capacity": 1},
                        "properties": {
                            "gatewayUrl": "https://apim-prod.azure-api.net",
                            "publicNetworkAccess": "Enabled",
                            "virtualNetworkType": "None",
                            "customProperties": {_TLS10: "True"},
                            "hostnameConfigurations": [
                                {"type": "Proxy", "hostName": "apim-prod.azure-api.net"}
                            ],
                        },
                    },
                    {
                        "id": f"{RG_A}/providers/Microsoft.Storage/storageAccounts/stexport",
                        "location": "eastus",
                        "kind": "StorageV2",
                        "sku": {"name": "Standard_LRS", "tier": "Standard"},
                        "properties": {
                            "minimumTlsVersion": "TLS1_0",
                            "supportsHttpsTrafficOnly": False,
                            "allowBlobPublicAccess": True,
                            "publicNetworkAccess": "Enabled",
                            "networkAcls": {"defaultAction": "Allow", "bypass": "AzureServices"},
                        },
                    },
                ],
            },
            {
                "subscription_id": SUB_B,
                "display_name": "dev",
                "resources": [
                    {
                        "id": f"{RG_B}/providers/Microsoft.Storage/storageAccounts/stdev",
                        "location": "westeurope",
                        "kind": "StorageV2",
                        "sku": {"name": "Standard_GRS"},
                        "properties": {"minimumTlsVersion": "TLS1_2", "supportsHttpsTrafficOnly": True},
                    },
                ],
            },
        ],
        "role_definitions": [
            {
                "name": "5a5a5a5a-0000-4000-8000-00000000c0de",
                "properties": {
                    "roleName": "FHIR wildcard",
                    "type": "CustomRole",
                    "description": "too broad",
                    "assignableScopes": [f"/subscriptions/{SUB_A}"],
                    "permissions": [
                        {
                            "actions": [],
                            "notActions": [],
                            "dataActions": ["Microsoft.HealthcareApis/workspaces/fhirservices/*"],
                            "notDataActions": [],
                        }
                    ],
                },
            }
        ],
        "role_assignments": [
            {
                "role": "Reader",
                "properties": {
                    "scope": "/providers/Microsoft.Management/managementGroups/mg-health",
                    "principalId": GROUP,
                    "principalType": "Group",
                },
            },
            {
                "role": "FHIR Data Contributor",
                "properties": {
                    "scope": f"/subscriptions/{SUB_A}",
                    "principalId": USER_GUEST,
                    "principalType": "User",
                },
            },
            {
                "role": "FHIR wildcard",
                "properties": {
                    "scope": f"{WS}/fhirservices/fhirprod",
                    "principalId": SP,
                    "principalType": "ServicePrincipal",
                },
            },
            {
                "role": "Reader",
                "properties": {
                    "scope": f"/subscriptions/{SUB_B}",
                    "principalId": DELETED,
                    "principalType": "User",
                },
            },
        ],
        "graph": {
            "applications": [
                {
                    "id": "0a0a0a0a-0000-4000-8000-000000000a01",
                    "appId": "0b0b0b0b-0000-4000-8000-000000000b01",
                    "displayName": "fhir-importer",
                    "signInAudience": "AzureADMyOrg",
                    "createdDateTime": "@now-400d",
                    "passwordCredentials": [
                        {
                            "keyId": "0c0c0c0c-0000-4000-8000-000000000c01",
                            "displayName": "ci",
                            "hint": "abc",
                            "secretText": None,
                            "customKeyIdentifier": None,
                            "startDateTime": "@now-400d",
                            "endDateTime": "@now-5d",
                        }
                    ],
                    "keyCredentials": [
                        {
                            "keyId": "0d0d0d0d-0000-4000-8000-000000000d01",
                            "displayName": "CN=cert",
                            "type": "AsymmetricX509Cert",
                            "usage": "Verify",
                            "key": None,
                            "startDateTime": "@now-10d",
                            "endDateTime": "@now+355d",
                        }
                    ],
                    "requiredResourceAccess": [
                        {
                            "resourceAppId": "00000003-0000-0000-c000-000000000000",
                            "resourceAccess": [
                                {"id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope"},
                                {"id": "7ab1d382-f21e-4acd-a863-ba3e13f7da61", "type": "Role"},
                            ],
                        }
                    ],
                },
            ],
            "servicePrincipals": [
                {
                    "id": SP,
                    "appId": "0b0b0b0b-0000-4000-8000-000000000b01",
                    "displayName": "fhir-importer",
                    "servicePrincipalType": "Application",
                    "accountEnabled": True,
                    "appOwnerOrganizationId": TENANT_ID,
                },
                {
                    "id": "00000000-0000-4000-8000-00000000005b",
                    "appId": "c1c1c1c1-0000-4000-8000-0000000000c1",
                    "displayName": "ahds-audit",
                    "servicePrincipalType": "Application",
                    "accountEnabled": True,
                },
            ],
            "users": [
                {
                    "id": USER_GUEST,
                    "displayName": "Ext Guest",
                    "userType": "Guest",
                    "userPrincipalName": "guest_example.com#EXT#@small.onmicrosoft.com",
                },
            ],
            "groups": [{"id": GROUP, "displayName": "Health readers", "securityEnabled": True}],
        },
    }
