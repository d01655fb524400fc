"""The policy pack `pulumi preview --policy-pack policies` runs. Assembly only: constructing the
PolicyPack starts the analyzer's gRPC server and blocks, so nothing may import this module (the
rules live in llm_policies, which llmctl imports)."""

from llm_policies.pack import policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="llm-platform",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=policies(),
    description="Guardrails for LLM serving on EKS: cost tags, network, EKS, IAM, ECR/S3, GPU capacity, vLLM pods, releases.",
)
