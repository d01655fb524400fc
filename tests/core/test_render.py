"""Cluster renderers: add-on values, node launch settings, the kubeconfig, pinned versions."""

from __future__ import annotations

import json

from components.cluster.models import SUPPORTED_KUBERNETES_VERSIONS, ClusterConfig
from components.cluster.render import LOG_TYPES, addon_configuration, kubeconfig, metadata_options, root_volume
from components.cluster.versions import ADDON_VERSIONS

CORE_ADDONS = {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver", "eks-node-monitoring-agent"}


def test_vpc_cni_uses_prefix_delegation_with_one_warm_prefix():
    assert addon_configuration("vpc-cni") == {
        "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}, "enableNetworkPolicy": "true",
    }


def test_coredns_and_ebs_controller_tolerate_the_system_taint():
    toleration = {"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}
    assert toleration in addon_configuration("coredns")["tolerations"]
    ebs = addon_configuration("aws-ebs-csi-driver")
    assert toleration in ebs["controller"]["tolerations"] and ebs["node"]["tolerateAllTaints"] is True
    assert addon_configuration("kube-proxy") is None
    json.dumps(ebs)  # configurationValues is sent as JSON


def test_every_supported_kubernetes_minor_pins_every_core_addon():
    assert set(ADDON_VERSIONS) == set(SUPPORTED_KUBERNETES_VERSIONS)
    for minor, versions in ADDON_VERSIONS.items():
        assert set(versions) == CORE_ADDONS
        assert versions["kube-proxy"].startswith(f"v{minor}."), (minor, versions["kube-proxy"])
        assert all("-eksbuild." in v and v.startswith("v") for v in versions.values())
    assert ClusterConfig().kubernetes_version in ADDON_VERSIONS


def test_nodes_require_imdsv2_with_hop_limit_one_and_an_encrypted_gp3_root():
    assert metadata_options()["http_tokens"] == "required"
    assert metadata_options()["http_put_response_hop_limit"] == 1
    assert root_volume(80) == {"device_name": "/dev/xvda", "ebs": {"volume_size": 80, "volume_type": "gp3", "encrypted": "true",
                                                                   "delete_on_termination": "true"}}


def test_all_five_control_plane_log_types():
    assert set(LOG_TYPES) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}


def test_kubeconfig_gets_a_fresh_token_from_aws_eks_and_stores_no_credential():
    doc = kubeconfig("llm-platform-dev", "https://x.eks.amazonaws.com", "Q0E=", "us-west-2")
    [cluster] = doc["clusters"]
    assert cluster["cluster"] == {"server": "https://x.eks.amazonaws.com", "certificate-authority-data": "Q0E="}
    [user] = doc["users"]
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][:6] == ["eks", "get-token", "--cluster-name", "llm-platform-dev", "--region", "us-west-2"]
    assert set(user["user"]) == {"exec"}
    assert doc["current-context"] == doc["contexts"][0]["name"]
