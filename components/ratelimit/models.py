"""Where Envoy Gateway's rate-limit service keeps its counters (`llm-platform:gateway.rateLimitStore`).
The store exists only while some endpoint has token quotas (components/gateway/quotas.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from components.config_base import ConfigModel


class RateLimitStoreConfig(ConfigModel):
    kind: Literal["elasticache", "in-cluster"] = Field(
        default="elasticache",
        description="elasticache: ElastiCache for Valkey in the private subnets (TLS, KMS, multi-AZ in prod); "
                    "in-cluster: one Valkey pod on the system nodes (dev: counters are minutes-to-a-day windows, losing them only resets budgets).",
    )
    node_type: str = Field(
        default="cache.t4g.micro", pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$",
        description="ElastiCache node type (a token counter is a few bytes per team, window and endpoint).",
    )
