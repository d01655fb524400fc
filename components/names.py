"""Name rules: one annotated type per kind of name, each with the reason for its length.

Every name below is an RFC 1123 DNS label (lowercase letters, digits, inner hyphens, starting with
a letter) because it becomes part of Kubernetes object names and label values (at most 63
characters) and of AWS tags; the shorter limits leave room for what is appended to it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints


def dns_label(max_length: int) -> str:
    """The pattern of a DNS label of 1..max_length characters that starts with a letter."""
    return rf"^[a-z]([a-z0-9-]{{0,{max_length - 2}}}[a-z0-9])?$"


# A team becomes a tag value, the `team` label value and the prefix of per-team Secret and
# NodePool names (`<team>-<suffix>`, at most 63): 32 leaves 31 characters for the suffix.
TEAM_NAME_MAX = 32
TEAM_NAME = dns_label(TEAM_NAME_MAX)
TeamName = Annotated[str, StringConstraints(pattern=TEAM_NAME)]

# A pool names its NodePool and EC2NodeClass and is the `karpenter.sh/nodepool` label value
# (at most 63); Karpenter names each NodeClaim `<pool>-<5 characters>`, and per-endpoint pools
# append more: 42 keeps 21 characters for suffixes.
POOL_NAME_MAX = 42
POOL_NAME = dns_label(POOL_NAME_MAX)
PoolName = Annotated[str, StringConstraints(pattern=POOL_NAME)]

# An endpoint prefixes its namespace (`llm-<endpoint>`), every slot object (`<endpoint>-<slot>`
# and suffixes such as `-aws`, `-dashboard`) and the Grafana dashboard uid
# `vllm-<environment>-<endpoint>-<slot>`, which Grafana caps at 40 characters: `vllm-prod-` +
# 22 + `-green` is 38 (the renderer cuts staging's one character over, still unique per slot).
ENDPOINT_NAME_MAX = 22
ENDPOINT_NAME = dns_label(ENDPOINT_NAME_MAX)
EndpointName = Annotated[str, StringConstraints(pattern=ENDPOINT_NAME)]
