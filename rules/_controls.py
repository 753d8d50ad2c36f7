"""The control catalogue: every compliance id a rule may cite, with its title.

Rules cite ids; reports show titles; a contract test checks that every id a
rule cites is listed here, so a typo cannot invent a control in an audit report.
"""

from __future__ import annotations

HIPAA: dict[str, str] = {
    "164.308(a)(1)(ii)(B)": "Security management process: risk management",
    "164.308(a)(1)(ii)(D)": "Security management process: information system activity review",
    "164.308(a)(3)(ii)(A)": "Workforce security: authorization and/or supervision",
    "164.308(a)(3)(ii)(C)": "Workforce security: termination procedures",
    "164.308(a)(4)": "Information access management",
    "164.308(a)(4)(ii)(B)": "Information access management: access authorization",
    "164.308(a)(4)(ii)(C)": "Information access management: access establishment and modification",
    "164.308(a)(5)(ii)(D)": "Security awareness and training: password management",
    "164.308(a)(7)(ii)(A)": "Contingency plan: data backup plan",
    "164.312(a)(1)": "Access control",
    "164.312(a)(2)(i)": "Access control: unique user identification",
    "164.312(a)(2)(iv)": "Access control: encryption and decryption",
    "164.312(b)": "Audit controls",
    "164.312(c)(1)": "Integrity",
    "164.312(d)": "Person or entity authentication",
    "164.312(e)(1)": "Transmission security",
    "164.312(e)(2)(i)": "Transmission security: integrity controls",
    "164.312(e)(2)(ii)": "Transmission security: encryption",
}
"""HIPAA Security Rule (45 CFR Part 164 Subpart C) sections."""

NIST: dict[str, str] = {
    "AC-2": "Account Management",
    "AC-2(3)": "Account Management | Disable Accounts",
    "AC-3": "Access Enforcement",
    "AC-4": "Information Flow Enforcement",
    "AC-5": "Separation of Duties",
    "AC-6": "Least Privilege",
    "AC-6(1)": "Least Privilege | Authorize Access to Security Functions",
    "AC-6(5)": "Least Privilege | Privileged Accounts",
    "AC-6(7)": "Least Privilege | Review of User Privileges",
    "AC-17": "Remote Access",
    "AC-17(2)": "Remote Access | Protection of Confidentiality and Integrity Using Encryption",
    "CM-6": "Configuration Settings",
    "CM-7": "Least Functionality",
    "IA-2": "Identification and Authentication (Organizational Users)",
    "IA-4": "Identifier Management",
    "IA-5": "Authenticator Management",
    "IA-5(1)": "Authenticator Management | Password-based Authentication",
    "IA-5(2)": "Authenticator Management | Public Key-based Authentication",
    "IA-9": "Service Identification and Authentication",
    "SA-22": "Unsupported System Components",
    "SC-7": "Boundary Protection",
    "SC-7(3)": "Boundary Protection | Access Points",
    "SC-8": "Transmission Confidentiality and Integrity",
    "SC-8(1)": "Transmission Confidentiality and Integrity | Cryptographic Protection",
    "SC-12": "Cryptographic Key Establishment and Management",
    "SC-12(1)": "Cryptographic Key Establishment and Management | Availability",
    "SC-13": "Cryptographic Protection",
    "SC-17": "Public Key Infrastructure Certificates",
    "SC-23": "Session Authenticity",
    "SC-28": "Protection of Information at Rest",
    "SC-28(1)": "Protection of Information at Rest | Cryptographic Protection",
    "SI-2": "Flaw Remediation",
}
"""NIST SP 800-53 Rev. 5 controls and enhancements."""

MCSB: dict[str, str] = {
    "NS-1": "Establish network segmentation boundaries",
    "NS-2": "Secure cloud native services with network controls",
    "NS-8": "Detect and disable insecure services and protocols",
    "DP-3": "Encrypt sensitive data in transit",
    "DP-4": "Enable data at rest encryption by default",
    "DP-5": "Use customer-managed key option in data at rest encryption when required",
    "DP-6": "Use a secure key management process",
    "DP-7": "Use a secure certificate management process",
    "DP-8": "Ensure security of key and certificate repository",
    "IM-1": "Use centralized identity and authentication system",
    "IM-3": "Manage application identities securely and automatically",
    "IM-8": "Restrict the exposure of credentials and secrets",
    "PA-1": "Separate and limit highly privileged/administrative users",
    "PA-4": "Review and reconcile user access regularly",
    "PA-7": "Follow just enough administration (least privilege) principle",
    "AM-2": "Use only approved services",
    "PV-1": "Define and establish secure configurations",
    "PV-5": "Perform vulnerability assessments",
}
"""Microsoft Cloud Security Benchmark v1 controls."""

FRAMEWORKS: dict[str, dict[str, str]] = {"hipaa": HIPAA, "nist": NIST, "mcsb": MCSB}
"""Framework key (as in ``Compliance`` fields) -> control id -> title."""

FRAMEWORK_NAMES: dict[str, str] = {
    "hipaa": "HIPAA Security Rule",
    "nist": "NIST SP 800-53 Rev. 5",
    "mcsb": "Microsoft Cloud Security Benchmark v1",
}
