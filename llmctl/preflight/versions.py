"""The Kubernetes version against the pinned EKS calendar, and every pinned add-on build against EKS."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from components.cluster.versions import ADDON_VERSIONS, CALENDAR, SUPPORT_WARNING_DAYS
from llmctl.preflight.rows import BLOCKER, OK, UNKNOWN, WARN, Row


def calendar_row(minor: str, upgrade_policy: str, today: date) -> Row:
    version = CALENDAR.get(minor)
    if version is None:
        return Row("kubernetes-version", UNKNOWN, f"{minor} is not on the pinned EKS calendar", "add it to components/cluster/versions.py CALENDAR")
    ahead = timedelta(days=SUPPORT_WARNING_DAYS)
    standard, extended = version.end_of_standard, version.end_of_extended
    bump = "raise cluster.kubernetesVersion (add-on pins per minor in components/cluster/versions.py)"
    if today >= extended:
        return Row("kubernetes-version", BLOCKER, f"{minor} left EKS extended support on {extended}", bump)
    if today >= standard:
        if upgrade_policy == "STANDARD":
            return Row("kubernetes-version", BLOCKER,
                       f"{minor} left standard support on {standard}; with upgradePolicy STANDARD AWS upgrades the control plane under the stack", bump)
        return Row("kubernetes-version", WARN, f"{minor} is in extended support (extra price per cluster-hour) until {extended}", bump)
    if today + ahead >= standard:
        then = "AWS upgrades the cluster" if upgrade_policy == "STANDARD" else "extended-support pricing starts"
        return Row("kubernetes-version", WARN, f"{minor} leaves standard support on {standard} ({(standard - today).days} days); then {then}", bump)
    return Row("kubernetes-version", OK, f"{minor} is in standard support until {standard} (upgradePolicy {upgrade_policy})")


def addon_rows(eks: Any, minor: str) -> Iterator[Row]:
    for addon, pinned in ADDON_VERSIONS.get(minor, {}).items():
        answer = eks.describe_addon_versions(addonName=addon, kubernetesVersion=minor)
        offered = [
            v for a in answer.get("addons", []) for v in a.get("addonVersions", [])
            if any(c.get("clusterVersion") == minor for c in v.get("compatibilities", []))
        ]
        names = [v["addonVersion"] for v in offered]
        if pinned in names:
            yield Row(f"addon {addon}", OK, f"{pinned} is offered for {minor}")
            continue
        default = next((v["addonVersion"] for v in offered if any(c.get("defaultVersion") for c in v.get("compatibilities", []))), None)
        yield Row(
            f"addon {addon}", BLOCKER, f"{pinned} is not offered for Kubernetes {minor} (CreateAddon would refuse it)",
            f"pin {default or (names[0] if names else 'a version EKS lists')} in components/cluster/versions.py",
        )
