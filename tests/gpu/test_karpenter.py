"""Karpenter: IAM against the upstream v1.14 reference, Pod Identity, interruption queue, chart."""

from __future__ import annotations

import pytest

from components.karpenter import iam, versions
from components.karpenter.interruption import EVENT_RULES
from components.karpenter.models import KarpenterConfig
from llmctl.synth.mocks import MOCK_ACCOUNT
from tests.gpu import reference
from tests.gpu.helpers import ACCOUNT, BOUNDARY, CLUSTER, CLUSTER_ARN, CONTROLLER_BOUNDARY, REGION, as_json, karpenter_inventory

NODE_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/{CLUSTER}-karpenter-node"
QUEUE_ARN = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{CLUSTER}"
VALUES = {
    "AWS::Partition": "aws",
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "ClusterName": CLUSTER,
    "KarpenterNodeRole.Arn": NODE_ROLE_ARN,
    "KarpenterInterruptionQueue.Arn": QUEUE_ARN,
}


@pytest.fixture(scope="module")
def inventory():
    return karpenter_inventory()


def _listify(value):
    return sorted(value) if isinstance(value, list) else [value]


def _by_sid(docs):
    return {s["Sid"]: s for doc in docs for s in doc["Statement"]}


def test_every_reference_statement_is_covered_with_its_actions_resources_and_conditions():
    ours = _by_sid(iam.controller_policies(CLUSTER, CLUSTER_ARN, NODE_ROLE_ARN, QUEUE_ARN).values())
    upstream = _by_sid(reference.policy_documents(VALUES).values())
    assert len(upstream) == 18  # 6 lifecycle, 4 IAM, 1 EKS, 1 interruption, 1 zonal shift, 5 discovery
    for sid, ref in upstream.items():
        assert sid in ours, f"missing reference statement {sid}"
        mine = ours[sid]
        assert mine["Effect"] == ref["Effect"], sid
        assert _listify(mine["Action"]) == _listify(ref["Action"]), sid
        assert _listify(mine["Resource"]) == _listify(ref["Resource"]), sid
        assert mine.get("Condition") == ref.get("Condition"), sid
    assert set(ours) == set(upstream), "statements beyond upstream's need a reason"


def test_pass_role_is_only_on_the_node_role_and_only_to_ec2():
    statements = [s for doc in iam.controller_policies(CLUSTER, CLUSTER_ARN, NODE_ROLE_ARN, QUEUE_ARN).values() for s in doc["Statement"]]
    passing = [s for s in statements if "iam:PassRole" in _listify(s["Action"])]
    assert len(passing) == 1
    assert passing[0]["Resource"] == NODE_ROLE_ARN
    assert passing[0]["Condition"]["StringEquals"]["iam:PassedToService"] == ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]
    assert not any(a.endswith("*") for s in statements for a in _listify(s["Action"]))


def test_each_controller_document_fits_the_managed_policy_size_limit():
    for name, doc in iam.controller_policies(CLUSTER, CLUSTER_ARN, NODE_ROLE_ARN, QUEUE_ARN).items():
        import json

        assert len(json.dumps(doc, separators=(",", ":"))) < 6144, name


def test_the_synthesized_policies_are_the_rendered_documents(inventory):
    policies = {r.name.removeprefix("karpenter-"): as_json(r.inputs["policy"]) for r in inventory.of_type("aws:iam/policy:Policy")}
    node_role_arn = f"arn:aws:iam::{MOCK_ACCOUNT}:role/{CLUSTER}-karpenter-node"
    queue_arn = f"arn:aws:sqs:{REGION}:{MOCK_ACCOUNT}:queue/{CLUSTER}"
    assert policies == iam.controller_policies(CLUSTER, CLUSTER_ARN, node_role_arn, queue_arn)
    attached = {r.name for r in inventory.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "controller" in r.name}
    assert attached == {f"karpenter-controller-{short}" for short in policies}


def test_roles_carry_the_boundary_and_the_expected_trust(inventory):
    roles = {r.name: r for r in inventory.of_type("aws:iam/role:Role")}
    assert set(roles) == {"karpenter-node", "karpenter-controller"}
    assert roles["karpenter-node"].inputs["permissionsBoundary"] == BOUNDARY
    assert roles["karpenter-controller"].inputs["permissionsBoundary"] == CONTROLLER_BOUNDARY
    for role in roles.values():
        assert role.tags["component"] == "karpenter"
    controller = as_json(roles["karpenter-controller"].inputs["assumeRolePolicy"])["Statement"]
    assert controller == [
        {"Sid": "EksPodIdentity", "Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": ["sts:AssumeRole", "sts:TagSession"],
         "Condition": {"StringEquals": {
             "aws:SourceAccount": BOUNDARY.split(":")[4], "aws:RequestTag/eks-cluster-name": CLUSTER,
             "aws:RequestTag/kubernetes-namespace": "kube-system", "aws:RequestTag/kubernetes-service-account": "karpenter"}}}
    ]
    node = as_json(roles["karpenter-node"].inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in node] == [{"Service": "ec2.amazonaws.com"}]
    assert roles["karpenter-node"].inputs["name"] == iam.node_role_name(CLUSTER)


def test_node_role_has_the_reference_managed_policies_and_an_ec2_linux_access_entry(inventory):
    ref = reference.resources_of("AWS::IAM::Role")["KarpenterNodeRole"]["Properties"]["ManagedPolicyArns"]
    expected = {reference.resolve(p["!Sub"], VALUES) for p in ref}
    attached = {r.inputs["policyArn"] for r in inventory.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if r.name.startswith("karpenter-node-")}
    assert attached == expected
    (entry,) = inventory.of_type("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["type"] == "EC2_LINUX"
    assert entry.inputs["clusterName"] == CLUSTER
    assert entry.inputs["principalArn"].endswith(f":role/{CLUSTER}-karpenter-node")


@pytest.mark.parametrize("namespace", ["kube-system", "karpenter"])
def test_controller_uses_pod_identity_for_its_service_account(namespace):
    inventory = karpenter_inventory(KarpenterConfig(namespace=namespace))
    (assoc,) = inventory.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert assoc.inputs["namespace"] == namespace
    assert assoc.inputs["serviceAccount"] == "karpenter"
    assert assoc.inputs["roleArn"].endswith(f":role/{CLUSTER}-karpenter-controller")
    release = next(r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.name == "karpenter-controller")
    assert release.inputs["namespace"] == namespace
    assert release.inputs["values"]["serviceAccount"] == {"create": True, "name": "karpenter"}


def test_interruption_queue_matches_the_reference(inventory):
    (queue,) = inventory.of_type("aws:sqs/queue:Queue")
    ref = reference.resources_of("AWS::SQS::Queue")["KarpenterInterruptionQueue"]["Properties"]
    assert queue.inputs["messageRetentionSeconds"] == ref["MessageRetentionPeriod"] == 300
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["name"] == CLUSTER
    (policy,) = inventory.of_type("aws:sqs/queuePolicy:QueuePolicy")
    statements = as_json(policy.inputs["policy"])["Statement"]
    allow = next(s for s in statements if s["Effect"] == "Allow")
    # Only the stack's own rules, in its own account, may deliver (no confused deputy).
    assert allow["Principal"] == {"Service": "events.amazonaws.com"} and allow["Action"] == "sqs:SendMessage"
    rule_names = sorted(r.inputs["name"] for r in inventory.of_type("aws:cloudwatch/eventRule:EventRule"))
    assert len(rule_names) == len(EVENT_RULES)
    assert allow["Condition"] == {
        "ArnEquals": {"aws:SourceArn": sorted(f"arn:aws:events:{REGION}:{MOCK_ACCOUNT}:rule/{n}" for n in rule_names)},
        "StringEquals": {"aws:SourceAccount": MOCK_ACCOUNT},
    }
    deny = next(s for s in statements if s["Effect"] == "Deny")
    assert deny["Principal"] == "*" and deny["Action"] == "sqs:*"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert {s["Resource"] for s in statements} == {f"arn:aws:sqs:{REGION}:{MOCK_ACCOUNT}:queue/{CLUSTER}"}


def test_every_reference_event_rule_exists_with_a_target_to_the_queue(inventory):
    import json

    ref_patterns = [r["Properties"]["EventPattern"] for r in reference.resources_of("AWS::Events::Rule").values()]
    rules = {r.name: r for r in inventory.of_type("aws:cloudwatch/eventRule:EventRule")}
    patterns = [json.loads(r.inputs["eventPattern"]) for r in rules.values()]
    assert sorted(json.dumps(p, sort_keys=True) for p in patterns) == sorted(json.dumps(p, sort_keys=True) for p in ref_patterns)
    detail_types = {p["detail-type"][0] for p in patterns}
    for kind in ("AWS Health Event", "EC2 Spot Instance Interruption Warning", "EC2 Instance Rebalance Recommendation", "EC2 Instance State-change Notification"):
        assert kind in detail_types
    targets = {t.name: t for t in inventory.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    assert set(targets) == set(rules) == {f"karpenter-{k}" for k in EVENT_RULES}
    for name, target in targets.items():
        assert target.inputs["arn"] == f"arn:aws:sqs:{REGION}:{MOCK_ACCOUNT}:queue/{CLUSTER}"
        assert target.inputs["rule"] == rules[name].inputs["name"]


def test_chart_is_pinned_from_oci_with_crds_in_their_own_release(inventory):
    releases = {r.name: r.inputs for r in inventory.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(releases) == {"karpenter-crd", "karpenter-controller"}
    crd, controller = releases["karpenter-crd"], releases["karpenter-controller"]
    assert controller["chart"] == "oci://public.ecr.aws/karpenter/karpenter"
    assert crd["chart"] == "oci://public.ecr.aws/karpenter/karpenter-crd"
    assert controller["version"] == crd["version"] == versions.VERSION
    assert versions.VERSION.startswith("1.14.")  # the CRDs and IAM reference are v1.14
    assert controller["skipCrds"] is True
    values = controller["values"]
    assert values["settings"] == {"clusterName": CLUSTER, "interruptionQueue": CLUSTER, "featureGates": {"reservedCapacity": True, "nodeRepair": True}}
    assert values["replicas"] == 2
    assert values["tolerations"] == [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]
    assert values["podDisruptionBudget"]["maxUnavailable"] == 1
    resources = values["controller"]["resources"]
    assert resources["requests"] == resources["limits"] == {"cpu": "1", "memory": "1024Mi"}
    never_on_own_nodes = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert never_on_own_nodes["nodeSelectorTerms"][0]["matchExpressions"] == [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]


def test_every_taggable_resource_is_tagged_by_component(inventory):
    for resource in inventory.resources:
        if resource.tags is not None:
            assert resource.inputs.get("tags", {}).get("component") == "karpenter", resource.name


def test_every_controller_action_is_within_the_stack_boundary():
    import fnmatch

    from components.boundary.iam import controller_boundary

    boundary = controller_boundary(f"arn:aws:iam::{ACCOUNT}:policy/{CLUSTER}-controller-boundary", REGION, CLUSTER, iam.node_role_name(CLUSTER))
    allowed = [a for s in boundary["Statement"] if s["Effect"] == "Allow" for a in _listify(s.get("Action", []))]
    documents = iam.controller_policies(CLUSTER, CLUSTER_ARN, NODE_ROLE_ARN, QUEUE_ARN).values()
    actions = {a for doc in documents for s in doc["Statement"] for a in _listify(s["Action"])}
    outside = sorted(a for a in actions if not any(fnmatch.fnmatchcase(a, pattern) for pattern in allowed))
    assert outside == [], "the boundary would silently deny these Karpenter actions"
