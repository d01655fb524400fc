"""Storage that exists: every stack creates an encrypted gp3 default StorageClass with its own KMS key,
the EBS CSI driver may use that key, and the Prometheus claim template names the class."""

from __future__ import annotations

import json

from components.cluster.iam import ebs_csi_kms_policy
from components.cost.volumes import STORAGE_CLASS as DEFAULT_STORAGE_CLASS
from components.cost.volumes import storage_class
from tests.support.manifests import validation_errors

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def test_the_storage_class_renders_a_valid_encrypted_default_gp3_class():
    sc = storage_class({"kmsKeyId": "arn:aws:kms:us-west-2:111122223333:key/k"})
    assert validation_errors(sc, "1.36") == []
    assert sc["metadata"]["annotations"] == {"storageclass.kubernetes.io/is-default-class": "true"}
    assert sc["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": "arn:aws:kms:us-west-2:111122223333:key/k",
                                "csi.storage.k8s.io/fstype": "ext4"}
    assert (sc["provisioner"], sc["volumeBindingMode"]) == ("ebs.csi.aws.com", "WaitForFirstConsumer")


def test_every_stack_creates_the_class_and_prometheus_claims_it(inventories):
    assert inventories
    for stack, inv in inventories.items():
        [sc] = inv.of_type(STORAGE_CLASS)
        assert sc.inputs["metadata"]["name"] == DEFAULT_STORAGE_CLASS
        keys = {k.name: k for k in inv.of_type("aws:kms/key:Key")}
        ebs_key = keys[f"llm-platform-{stack}-ebs"]
        assert ebs_key.inputs["enableKeyRotation"] is True
        assert sc.inputs["parameters"]["encrypted"] == "true" and sc.inputs["parameters"]["kmsKeyId"].startswith("arn:aws:kms:")
        [release] = [r for r in inv.of_type("kubernetes:helm.sh/v3:Release") if r.inputs.get("chart") == "kube-prometheus-stack"]
        claim = release.inputs["values"]["prometheus"]["prometheusSpec"]["storageSpec"]["volumeClaimTemplate"]["spec"]
        assert claim["storageClassName"] == sc.inputs["metadata"]["name"], stack


def test_the_ebs_csi_role_may_use_the_key_through_grants_for_aws_resources_only(inventories):
    inv = inventories["prod"]
    [policy] = [p for p in inv.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("-ebs-csi-kms")]
    assert "ebs-csi" in policy.inputs["role"]  # the CSI controller's Pod Identity role (mock IDs derive from names)
    doc = json.loads(policy.inputs["policy"])
    [sc] = inv.of_type(STORAGE_CLASS)
    key_arn = sc.inputs["parameters"]["kmsKeyId"]
    assert doc == ebs_csi_kms_policy(key_arn)
    grants = next(s for s in doc["Statement"] if "kms:CreateGrant" in s["Action"])
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
