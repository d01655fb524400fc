"""Pins and the bootstrap path: builds EKS publishes for the stack's minor, a calendar that keeps every
stack in standard support, and a public endpoint that opens only while bootstrapping."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import pytest

from components.cluster.versions import ADDON_VERSIONS, CALENDAR, COREDNS_FOR_MINOR, SUPPORTED_KUBERNETES_VERSIONS
from infra.config import ConfigError, load_config
from tests.core.test_components import cluster
from tests.support.paths import REPO_ROOT

STACKS = ("dev", "staging", "prod")
# Never published by EKS (an earlier user-guide table listed them); assembled so this file does not contain them.
UNPUBLISHED = [f"v1.{minor}-eksbuild.{build}" for minor, build in (("34.0", 5), ("33.3", 11), ("32.6", 13))]


def _minor(build: str) -> str:
    return ".".join(build.lstrip("v").split(".")[:2])


@pytest.mark.parametrize("minor", SUPPORTED_KUBERNETES_VERSIONS)
def test_kube_proxy_and_coredns_follow_the_cluster_minor(minor):
    pins = ADDON_VERSIONS[minor]
    assert _minor(pins["kube-proxy"]) == minor
    assert pins["coredns"].startswith(COREDNS_FOR_MINOR[minor] + ".")
    assert set(pins) == {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver", "eks-node-monitoring-agent"}


def test_every_stack_pins_builds_of_its_own_minor_and_is_at_least_1_35(inventories):
    assert inventories
    for stack, inv in inventories.items():
        [eks] = inv.of_type("aws:eks/cluster:Cluster")
        minor = eks.inputs["version"]
        assert tuple(int(x) for x in minor.split(".")) >= (1, 35), stack
        addons = {a.inputs["addonName"]: a.inputs["addonVersion"] for a in inv.of_type("aws:eks/addon:Addon")}
        assert _minor(addons["kube-proxy"]) == minor, stack
        assert addons["coredns"].startswith(COREDNS_FOR_MINOR[minor] + "."), stack


def test_the_unpublished_kube_proxy_builds_appear_nowhere_in_the_repository():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO_ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    files = [REPO_ROOT / f for f in tracked if f and (REPO_ROOT / f).is_file()]
    assert len(files) > 100
    hits = [(f.name, b) for f in files for b in UNPUBLISHED if b in f.read_text(errors="ignore")]
    assert hits == []


def test_every_stack_stays_in_standard_support_six_months_after_2026_12_01(configs):
    assert configs
    for stack, cfg in configs.items():
        version = CALENDAR[cfg.cluster.kubernetes_version]
        assert version.end_of_standard >= date(2026, 12, 1) + timedelta(days=182), stack
        assert version.end_of_standard < version.end_of_extended


def test_every_pinned_minor_is_on_the_calendar():
    assert set(SUPPORTED_KUBERNETES_VERSIONS) <= set(CALENDAR)


def test_upgrade_policy_is_a_config_choice_per_environment(configs, inventories):
    chosen = {stack: cfg.cluster.upgrade_policy for stack, cfg in configs.items()}
    assert chosen == {"dev": "STANDARD", "staging": "STANDARD", "prod": "EXTENDED"}
    for stack, inv in inventories.items():
        [eks] = inv.of_type("aws:eks/cluster:Cluster")
        assert eks.inputs["upgradePolicy"] == {"supportType": chosen[stack]}


# ---- bootstrap and operator networks ---------------------------------------------------------

def test_bootstrap_opens_the_public_endpoint_to_the_deployer_only_and_says_so():
    [eks] = cluster(bootstrap={"deployer_cidrs": ["203.0.113.7/32"]}).of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["vpcConfig"]["endpointPublicAccess"] is True
    assert eks.inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.7/32"]
    assert eks.inputs["tags"]["llm-platform-bootstrap"] == "open"
    [closed] = cluster().of_type("aws:eks/cluster:Cluster")
    assert closed.inputs["vpcConfig"]["endpointPublicAccess"] is False and "llm-platform-bootstrap" not in closed.inputs["tags"]


def test_operator_networks_reach_the_private_endpoint_on_443_only():
    inv = cluster(operator_cidrs=["10.250.0.0/16", "100.64.8.0/24"])
    rules = {r.name: r.inputs for r in inv.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    ops = {n: r for n, r in rules.items() if n.startswith("t-cluster-from-operators-")}
    assert sorted(r["cidrIpv4"] for r in ops.values()) == ["10.250.0.0/16", "100.64.8.0/24"]
    assert all((r["fromPort"], r["toPort"], r["ipProtocol"]) == (443, 443, "tcp") for r in ops.values())
    assert not any(r.get("cidrIpv4") == "0.0.0.0/0" for r in rules.values())


def _raw(stack: str, **cluster_keys) -> dict:
    from infra.config import read_stack_file

    raw = read_stack_file(REPO_ROOT / "stacks" / f"Pulumi.{stack}.yaml")
    raw["llm-platform:cluster"].update(cluster_keys)
    return raw


@pytest.mark.parametrize(("keys", "message"), [
    ({"operatorCidrs": ["0.0.0.0/0"]},
     'stacks/Pulumi.prod.yaml: llm-platform:cluster.operatorCidrs: ["0.0.0.0/0"]: 0.0.0.0/0 is not a private network; operator '
     "networks are RFC 1918 or 100.64.0.0/10 ranges (VPN, peering)"),
    ({"bootstrap": {"deployerCidrs": ["198.51.100.0/16"]}}, "198.51.100.0/16"),
    ({"bootstrap": {"deployerCidrs": ["10.1.2.3/32"]}},
     "llm-platform:cluster.bootstrap.deployerCidrs[0]: '10.1.2.3/32': a private range never reaches the public endpoint"),
])
def test_bad_operator_or_bootstrap_cidrs_are_one_line_errors(keys, message):
    with pytest.raises(ConfigError) as err:
        load_config(_raw("prod", **keys), "stacks/Pulumi.prod.yaml")
    assert message in str(err.value) and "\n" not in str(err.value)


def test_prod_may_bootstrap_and_then_ends_private(configs):
    cfg = load_config(_raw("prod", bootstrap={"deployerCidrs": ["203.0.113.7/32"]}), "stacks/Pulumi.prod.yaml")
    assert cfg.cluster.in_bootstrap and cfg.cluster.endpoint_public_cidrs == ["203.0.113.7/32"]
    assert configs["prod"].cluster.endpoint_public_cidrs == [] and not configs["prod"].cluster.in_bootstrap
