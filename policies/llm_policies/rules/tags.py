"""Cost attribution: the tag keys that reach the AWS bill, on Pulumi-managed resources, on what
Karpenter launches (EC2NodeClass spec.tags) and on serving resources down to the model."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import REQUIRED_TAG_KEYS, Context, ResourceView, get, is_map, resource_rule

NODECLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
SERVING_COMPONENT = "llm-platform:serving:"
VLLM_NAME = "vllm"


def _missing(tags: object) -> list[str]:
    tags = tags if is_map(tags) else {}
    return [k for k in REQUIRED_TAG_KEYS if not tags.get(k)]


@resource_rule(
    "required-cost-tags", "tags",
    "Every taggable AWS resource (effective tags, provider default_tags included) and every EC2NodeClass spec.tags "
    "carry project, environment, team, cost-center and owner, so all spend reaches a team on the bill.",
)
def required_cost_tags(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type == NODECLASS:
        missing = _missing(get(r.props, "spec", "tags"))
        if missing:
            yield (f"{r.display}: spec.tags lacks {', '.join(missing)}; instances Karpenter launches would not be "
                   "attributed: render the stack's tags into spec.tags")
    elif r.tags is not None:
        missing = _missing(r.tags)
        if missing:
            yield (f"{r.display}: effective tags lack {', '.join(missing)}; set them in the stack's "
                   "llm-platform:tags (provider default_tags) or on the resource")


def is_vllm_deployment(r: ResourceView) -> bool:
    return r.kind == "Deployment" and r.is_kubernetes and r.labels.get("app.kubernetes.io/name") == VLLM_NAME


@resource_rule(
    "serving-model-tag", "tags",
    "Serving resources name their model and owning team: `model`/`team` tags on AWS resources of a serving slot, "
    "`model`/`team` labels on vLLM Deployments and their pods (EKS split cost allocation).",
)
def serving_model_tag(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.tags is not None and r.under(SERVING_COMPONENT):
        missing = [k for k in ("model", "team") if not r.tags.get(k)]
        if missing:
            yield f"{r.display}: serving resource lacks tag(s) {', '.join(missing)}; pass team=..., model=... to resource_tags()"
    elif is_vllm_deployment(r):
        pod_labels = get(r.props, "spec", "template", "metadata", "labels", default={})
        for where, labels in (("metadata.labels", r.labels), ("spec.template.metadata.labels", pod_labels)):
            missing = [k for k in ("model", "team") if not (is_map(labels) and labels.get(k))]
            if missing:
                yield f"{r.display}: {where} lacks {', '.join(missing)}; label serving pods with their model and team"
