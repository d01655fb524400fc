"""The rules through the real pulumi_policy objects (built by hand, no PolicyPack: constructing one
starts a gRPC server and blocks), per-environment levels and the pack's assembly."""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from pathlib import Path

import pulumi_policy
import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from policies.llm_policies import RULES, evaluate, level_of
from policies.llm_policies.pack import policies, to_policy
from tests.policies.compliant import TAGS, find, resources, urn, views
from tests.support.paths import REPO_ROOT

RULE = {rule.name: rule for rule in RULES}


def _opts(parent: str = "") -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], False, [], pulumi_policy.PolicyCustomTimeouts(0, 0, 0), [], parent)


def _aws_provider(default_tags) -> PolicyProviderResource:
    return PolicyProviderResource("pulumi:providers:aws", {"region": "us-east-1", "defaultTags": default_tags}, urn("", "pulumi:providers:aws", "aws"), "aws")


def _validate(policy: ResourceValidationPolicy, args: ResourceValidationArgs) -> list[str]:
    found: list[str] = []
    policy.validate(args, lambda message, urn=None: found.append(message))
    return found


@pytest.mark.parametrize("default_tags", [json.dumps({"tags": TAGS}), {"tags": TAGS}], ids=["json-string", "object-after-check"])
def test_resource_policy_reads_tags_from_the_provider_in_either_form(default_tags):
    policy = to_policy(RULE["required-cost-tags"])
    assert isinstance(policy, ResourceValidationPolicy) and policy.enforcement_level == EnforcementLevel.MANDATORY
    vpc = {"cidrBlock": "10.0.0.0/16", "tags": {"component": "network"}}
    args = ResourceValidationArgs("aws:ec2/vpc:Vpc", unknown_checking_proxy(vpc), urn("", "aws:ec2/vpc:Vpc", "vpc"), "vpc", _opts(),
                                  _aws_provider(default_tags))
    assert _validate(policy, args) == []
    broken = {"tags": {k: v for k, v in TAGS.items() if k != "owner"}}
    args = ResourceValidationArgs("aws:ec2/vpc:Vpc", unknown_checking_proxy(vpc), urn("", "aws:ec2/vpc:Vpc", "vpc"), "vpc", _opts(),
                                  _aws_provider(json.dumps(broken) if isinstance(default_tags, str) else broken))
    assert _validate(policy, args) == [
        "Vpc vpc: effective tags lack owner; set them in the stack's llm-platform:tags (provider default_tags) or on the resource"]


def test_resource_policy_takes_the_environment_from_the_provider_and_config():
    policy = to_policy(RULE["eks-private-endpoint"])
    cluster = find(resources(), "Cluster")
    cluster["vpcConfig"] = {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]}
    typ = "aws:eks/cluster:Cluster"

    def args(environment: str, config=None):
        return ResourceValidationArgs(typ, unknown_checking_proxy(cluster), urn("", typ, "cluster"), "cluster", _opts(),
                                      _aws_provider(json.dumps({"tags": {**TAGS, "environment": environment}})), config)

    assert _validate(policy, args("staging")) == []
    expected = ["Cluster cluster: the API endpoint is public in prod; set vpcConfig.endpointPublicAccess false (reach it over VPN/VPC)"]
    assert _validate(policy, args("prod")) == expected
    assert _validate(policy, args("staging", {"environment": "prod"})) == expected


def test_unknown_inputs_raise_the_engines_unknown_error():
    policy = to_policy(RULE["ecr-immutable-tags"])
    typ = "aws:ecr/repository:Repository"
    props = unknown_checking_proxy({"imageTagMutability": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError):
        _validate(policy, ResourceValidationArgs(typ, props, urn("", typ, "r"), "r", _opts(), None))


def _stack_args(rows, config=None) -> StackValidationArgs:
    provider = _aws_provider(next(r for r in rows if r["type"] == "pulumi:providers:aws")["props"]["defaultTags"])
    out = []
    for view in views(rows):
        out.append(PolicyResource(view.type, unknown_checking_proxy(dict(view.props)), view.urn, view.name, _opts(view.parent),
                                  provider if view.type.startswith("aws:") else None, None, [], {}))
    return StackValidationArgs(out, config)


def test_stack_policies_through_stack_validation_args():
    rows = resources()
    for name in ("vpc-flow-logs", "gpu-nodepool-limit", "endpoint-no-empty-slot", "vllm-pdb"):
        policy = to_policy(RULE[name])
        assert isinstance(policy, StackValidationPolicy)
        reported: list[tuple[str, str | None]] = []
        policy.validate(_stack_args(rows), lambda m, u=None, out=reported: out.append((m, u)))
        assert reported == [], name
    find(rows, "NodePool")["spec"]["limits"]["nvidia.com/gpu"] = 20
    policy = to_policy(RULE["gpu-nodepool-limit"])
    reported = []
    policy.validate(_stack_args(rows, {"gpuBudget": {"prod": 16}}), lambda m, u=None: reported.append((m, u)))
    assert reported == [("NodePool gpu-spot: GPU NodePools allow 20 GPUs in total (gpu-spot 20), over the prod budget of 16; lower the "
                         "pools' gpuLimit or raise policy config gpuBudget.prod",
                         urn("llm-platform:gpu_pools:GpuPools", "kubernetes:karpenter.sh/v1:NodePool", "gpu-spot"))]


def test_every_rule_becomes_a_policy_with_its_prod_level_and_config_schema():
    built = policies()
    assert [p.name for p in built] == [r.name for r in RULES]
    for policy, rule in zip(built, RULES, strict=True):
        assert isinstance(policy, StackValidationPolicy if rule.stack else ResourceValidationPolicy)
        assert policy.enforcement_level == EnforcementLevel(rule.level("prod"))
        assert {"environment", "accountId"} <= set(policy.config_schema.properties)
        assert set(rule.config_keys) <= set(policy.config_schema.properties)


def test_levels_follow_the_environment_and_the_policy_config():
    rule = RULE["gpu-spot-first"]
    assert [level_of(rule, env, None) for env in ("dev", "staging", "prod")] == ["advisory", "advisory", "disabled"]
    assert level_of(rule, "prod", {"gpu-spot-first": "mandatory"}) == "mandatory"
    assert level_of(rule, "prod", {"all": {"enforcementLevel": "advisory"}}) == "advisory"
    with pytest.raises(ValueError, match="enforcement level 'warn'; allowed: mandatory, advisory, disabled"):
        level_of(rule, "prod", {"gpu-spot-first": "warn"})


def test_advisory_violations_are_reported_with_their_level():
    rows = resources()
    find(rows, "aws")["defaultTags"] = json.dumps({"tags": {**TAGS, "environment": "dev"}})
    find(rows, "NodePool")["spec"]["limits"]["nvidia.com/gpu"] = 8
    find(rows, "NodePool")["spec"]["template"]["spec"]["requirements"][0]["values"] = ["g4dn"]
    assert [(v.policy, v.level) for v in evaluate(views(rows))] == [("gpu-instance-families", "advisory")]
    assert [(v.policy, v.level) for v in evaluate(views(rows), {"all": "mandatory"})] == [("gpu-instance-families", "mandatory")]


def test_importing_the_rules_never_imports_the_pack_main():
    code = ("import sys, llmctl.cli, llmctl.check, policies.llm_policies.pack; "
            "assert 'policies.__main__' not in sys.modules, 'pack main imported'; "
            "assert not any(getattr(m, '__file__', '') and str(m.__file__).endswith('policies/__main__.py') for m in list(sys.modules.values()))")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO_ROOT)
    for path in [*(REPO_ROOT / "llmctl").rglob("*.py"), *(REPO_ROOT / "policies" / "llm_policies").rglob("*.py")]:
        text = path.read_text()
        assert "policies.__main__" not in text and "from policies import __main__" not in text, path


def test_pack_main_assembles_every_rule(monkeypatch):
    built = {}

    def fake_pack(**kwargs):
        built.update(kwargs)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", fake_pack)
    monkeypatch.syspath_prepend(str(REPO_ROOT / "policies"))  # as the engine runs the pack: from its folder
    for name in [m for m in sys.modules if m == "llm_policies" or m.startswith("llm_policies.")]:
        monkeypatch.delitem(sys.modules, name)
    runpy.run_path(str(REPO_ROOT / "policies" / "__main__.py"), run_name="__main__")
    assert built["name"] == "llm-platform"
    assert [p.name for p in built["policies"]] == [r.name for r in RULES]


def test_pack_files_are_complete():
    folder = REPO_ROOT / "policies"
    import yaml

    meta = yaml.safe_load((folder / "PulumiPolicy.yaml").read_text())
    assert meta["runtime"]["name"] == "python" and meta["version"]
    requirements = (folder / "requirements.txt").read_text()
    assert "pulumi-policy>=1.21,<2" in requirements
    assert Path(folder / "__main__.py").read_text().count("PolicyPack(") == 1


def test_readme_lists_every_policy_with_its_levels():
    from policies.llm_policies.docs import rules_table

    readme = (REPO_ROOT / "README.md").read_text()
    assert "## Policy checks" in readme
    assert rules_table() in readme  # currency: tests/test_generated.py (make generate)


def test_unknown_tags_do_not_stop_stack_policies():
    rows = resources()
    find(rows, "Vpc")["tags"] = {"component": "network", "Name": UNKNOWN_STRING_VALUE}
    find(rows, "FlowLog", None).clear()  # and the VPC lost its flow log
    reported: list[str] = []
    to_policy(RULE["vpc-flow-logs"]).validate(_stack_args(rows), lambda m, u=None: reported.append(m))
    assert reported == ["Vpc net-vpc: no VPC flow log; add an aws.ec2.FlowLog (trafficType ALL) for this VPC"]
