"""GPU capacity: Karpenter NodePools that only GPU pods land on, inside the environment's GPU budget,
spot outside prod with an on-demand path in prod, from allow-listed families; node classes and
launch templates with IMDSv2 and encrypted volumes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..model import ADVISORY, DISABLED, Context, ResourceView, as_list, get, is_map, number, resource_rule, stack_rule, truthy

NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool"
NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
GPU = "nvidia.com/gpu"
FAMILY, TYPE, CAPACITY = "karpenter.k8s.aws/instance-family", "node.kubernetes.io/instance-type", "karpenter.sh/capacity-type"
_GPU_FAMILY = re.compile(r"^(g\d|p\d)")


def _requirements(pool: ResourceView) -> list[Mapping[str, Any]]:
    return [q for q in as_list(get(pool.props, "spec", "template", "spec", "requirements")) if is_map(q)]


def _values(pool: ResourceView, key: str) -> list[str] | None:
    """Values an `In` requirement on `key` allows, None when the pool does not constrain it."""
    for req in _requirements(pool):
        if get(req, "key") == key and get(req, "operator") == "In":
            return [str(v) for v in as_list(get(req, "values"))]
    return None


def is_gpu_pool(r: ResourceView) -> bool:
    if r.type != NODEPOOL:
        return False
    if get(r.props, "spec", "limits", GPU) is not None:
        return True
    if any(get(q, "key") in ("karpenter.k8s.aws/instance-gpu-count", "karpenter.k8s.aws/instance-gpu-name") for q in _requirements(r)):
        return True
    families = (_values(r, FAMILY) or []) + [t.split(".")[0] for t in _values(r, TYPE) or []]
    return any(_GPU_FAMILY.match(f) for f in families) or (_values(r, "karpenter.k8s.aws/instance-category") or []) in (["g"], ["p"], ["g", "p"], ["p", "g"])


def capacity_types(pool: ResourceView) -> list[str]:
    # Karpenter launches on-demand only when a NodePool does not constrain the capacity type.
    return _values(pool, CAPACITY) or ["on-demand"]


@resource_rule("gpu-nodepool-taint", "gpu", "GPU NodePools taint their nodes nvidia.com/gpu:NoSchedule so only GPU pods land there.")
def gpu_nodepool_taint(r: ResourceView, ctx: Context) -> Iterator[str]:
    if not is_gpu_pool(r):
        return
    taints = as_list(get(r.props, "spec", "template", "spec", "taints"))
    if not any(get(t, "key") == GPU and get(t, "effect") == "NoSchedule" for t in taints):
        yield f"{r.display}: GPU nodes are not tainted; add taint {{key: {GPU}, effect: NoSchedule}} to spec.template.spec.taints"


@stack_rule(
    "gpu-nodepool-limit", "gpu",
    "Every GPU NodePool sets limits.nvidia.com/gpu, and their sum stays within the environment's GPU budget "
    "(policy config gpuBudget; defaults dev 16, staging 32, prod 128).", config_keys=("gpuBudget",),
)
def gpu_nodepool_limit(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    pools = sorted((r for r in resources if is_gpu_pool(r)), key=lambda p: p.k8s_name)
    limits: dict[str, float] = {}
    for pool in pools:
        limit = number(get(pool.props, "spec", "limits", GPU))
        if limit is None:
            yield pool, f"{pool.display}: no limits.{GPU}; a pool without a GPU limit can scale without bound: set spec.limits.{GPU}"
        else:
            limits[pool.k8s_name] = limit
    budget = ctx.settings.gpu_budget.get(ctx.environment)
    total = sum(limits.values())
    if pools and budget is not None and total > budget:
        shares = ", ".join(f"{n} {int(v)}" for n, v in limits.items())
        yield pools[0], (f"{pools[0].display}: GPU NodePools allow {int(total)} GPUs in total ({shares}), over the {ctx.environment} "
                         f"budget of {budget}; lower the pools' gpuLimit or raise policy config gpuBudget.{ctx.environment}")


@resource_rule(
    "gpu-on-demand-path", "gpu",
    "In prod every GPU NodePool can fall back to on-demand or reserved capacity (spot-only pools are for dev and staging).",
)
def gpu_on_demand_path(r: ResourceView, ctx: Context) -> Iterator[str]:
    if ctx.is_prod and is_gpu_pool(r) and not {"on-demand", "reserved"} & set(capacity_types(r)):
        yield f"{r.display}: spot-only GPU pool in prod; add on-demand to the {CAPACITY} requirement (capacityTypes: [spot, on-demand])"


@resource_rule(
    "gpu-spot-first", "gpu",
    "Outside prod every GPU NodePool allows spot capacity (cost).",
    levels={"dev": ADVISORY, "staging": ADVISORY, "prod": DISABLED},
)
def gpu_spot_first(r: ResourceView, ctx: Context) -> Iterator[str]:
    if not ctx.is_prod and is_gpu_pool(r) and "spot" not in capacity_types(r):
        yield f"{r.display}: on-demand-only GPU pool in {ctx.environment}; add spot to the {CAPACITY} requirement (spot costs ~60% less)"


@resource_rule(
    "gpu-instance-families", "gpu",
    "GPU NodePools restrict instance families (or types) to an allowlist (policy config allowedInstanceFamilies).",
    levels={"dev": ADVISORY}, config_keys=("allowedInstanceFamilies",),
)
def gpu_instance_families(r: ResourceView, ctx: Context) -> Iterator[str]:
    if not is_gpu_pool(r):
        return
    families, types = _values(r, FAMILY), _values(r, TYPE)
    if families is None and types is None:
        yield f"{r.display}: no {FAMILY} or {TYPE} requirement; Karpenter could launch any GPU type: list the families"
        return
    chosen = sorted(set((families or []) + [t.split(".")[0] for t in types or []]))
    outside = [f for f in chosen if f not in ctx.settings.allowed_instance_families]
    if outside:
        yield (f"{r.display}: instance families {', '.join(outside)} are not allowed; allowed: "
               f"{', '.join(ctx.settings.allowed_instance_families)} (policy config allowedInstanceFamilies)")


@resource_rule("imdsv2-required", "gpu", "EC2NodeClasses and launch templates require IMDSv2 (metadata httpTokens required).")
def imdsv2_required(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type == NODECLASS:
        if get(r.props, "spec", "metadataOptions", "httpTokens") != "required":
            yield f"{r.display}: IMDSv2 not enforced; set spec.metadataOptions.httpTokens required (hop limit 1)"
    elif r.type == LAUNCH_TEMPLATE and get(r.props, "metadataOptions", "httpTokens") != "required":
        yield f"{r.display}: IMDSv2 not enforced; set metadata_options http_tokens required"


@resource_rule("encrypted-volumes", "gpu", "EC2NodeClasses and launch templates declare their EBS volumes encrypted.")
def encrypted_volumes(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type == NODECLASS:
        mappings, where, fix = as_list(get(r.props, "spec", "blockDeviceMappings")), "spec.blockDeviceMappings", "ebs.encrypted true"
    elif r.type == LAUNCH_TEMPLATE:
        mappings, where, fix = as_list(get(r.props, "blockDeviceMappings")), "block_device_mappings", "ebs.encrypted true"
    else:
        return
    if not mappings:
        yield f"{r.display}: no {where}; declare the root/data volumes with {fix}"
    for i, mapping in enumerate(mappings):
        if not truthy(get(mapping, "ebs", "encrypted")):
            yield f"{r.display}: {where}[{i}] ({get(mapping, 'deviceName', default='?')}) is not encrypted; set {fix}"


SHARED_NODES_LABEL = "llm-platform/shared-nodes"  # set by components/gpu_pools on a sharedNodes: true pool


@stack_rule(
    "gpu-node-cost-tags", "gpu",
    "Each vLLM Deployment runs on a NodePool whose EC2NodeClass tags its instances and volumes with the Deployment's team and a model, "
    "and no NodePool serves two teams unless it is labelled shared (sharedNodes: true).",
)
def gpu_node_cost_tags(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    from .tags import is_vllm_deployment

    pools = {r.k8s_name: r for r in resources if is_gpu_pool(r)}
    classes = {r.k8s_name: r for r in resources if r.type == NODECLASS}
    teams: dict[str, set[str]] = {}
    for deployment in sorted((r for r in resources if is_vllm_deployment(r)), key=lambda r: r.display):
        name = str(get(deployment.props, "spec", "template", "spec", "nodeSelector", "karpenter.sh/nodepool", default=""))
        pool = pools.get(name)
        if pool is None:
            continue
        team = str(deployment.labels.get("team", ""))
        teams.setdefault(name, set()).add(team)
        if get(pool.props, "metadata", "labels", SHARED_NODES_LABEL) == "true":
            continue
        node_class = classes.get(str(get(pool.props, "spec", "template", "spec", "nodeClassRef", "name", default="")))
        tags = get(node_class.props, "spec", "tags", default={}) if node_class is not None else {}
        tags = tags if is_map(tags) else {}
        if tags.get("team") != team or not tags.get("model"):
            yield deployment, (f"{deployment.display}: its NodePool {name} tags GPU instances team={tags.get('team')!r} model={tags.get('model')!r}; "
                               f"its spend must bill to team {team!r} and its model: give each slot its own NodePool (components/gpu_pools/attribution.py)")
    for name, owners in sorted(teams.items()):
        if len(owners) > 1 and get(pools[name].props, "metadata", "labels", SHARED_NODES_LABEL) != "true":
            yield pools[name], f"{pools[name].display}: serves teams {', '.join(sorted(owners))}; split it per slot or set sharedNodes: true on the pool"
