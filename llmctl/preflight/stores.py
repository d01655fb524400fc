"""The stack's own data stores against what AWS offers the account: the quota store's pinned
ElastiCache for Valkey version (CreateReplicationGroup refuses an unknown one) and the shared
weight cache's zone ID (which of the account's zone names it is, and whether the stack's subnets
are in it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from components.catalog import availability_zones
from components.gateway.quotas import has_quotas
from components.ratelimit.render import ENGINE_VERSION
from llmctl.preflight.rows import BLOCKER, OK, WARN, Row


def quota_store_rows(elasticache: Any, cfg: Any) -> Iterator[Row]:
    if not has_quotas(dict(cfg.endpoints)) or cfg.gateway.rate_limit_store.kind != "elasticache":
        return
    offered = [v["EngineVersion"] for page in elasticache.get_paginator("describe_cache_engine_versions").paginate(Engine="valkey")
               for v in page.get("CacheEngineVersions", [])]
    # ElastiCache lists major.minor (and patch) versions; a major.minor pin matches either form.
    if any(v == ENGINE_VERSION or v.startswith(f"{ENGINE_VERSION}.") for v in offered):
        yield Row("quota store", OK, f"ElastiCache offers Valkey {ENGINE_VERSION} in {cfg.region}")
        return
    yield Row("quota store", BLOCKER, f"ElastiCache offers no Valkey {ENGINE_VERSION} in {cfg.region} (CreateReplicationGroup would refuse it)",
              f"pin one of {', '.join(sorted(set(offered))) or 'the versions ElastiCache lists'} in components/ratelimit/render.py ENGINE_VERSION")


def _zone_name(ec2: Any, zone_id: str) -> str | None:
    """The account's name of a zone ID; None when the region has no such zone (EC2 answers
    InvalidParameterValue for an unknown ID)."""
    from botocore.exceptions import ClientError

    try:
        zones = ec2.describe_availability_zones(ZoneIds=[zone_id]).get("AvailabilityZones", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InvalidParameterValue":
            return None
        raise
    return zones[0]["ZoneName"] if zones else None


def weight_cache_rows(ec2: Any, cfg: Any) -> Iterator[Row]:
    cache = cfg.model_store.shared_cache
    if cache is None:
        return
    name = _zone_name(ec2, cache.availability_zone_id)
    if name is None:
        yield Row("weight cache zone", BLOCKER, f"{cache.availability_zone_id} is not a zone of {cfg.region} in this account",
                  "set modelStore.sharedCache.availabilityZoneId to an S3 Express zone ID of the region")
        return
    subnets = availability_zones(cfg.region, cfg.network.az_count)
    if name not in subnets:
        yield Row("weight cache zone", WARN, f"{cache.availability_zone_id} is {name} here, where the stack has no subnets "
                  f"({', '.join(subnets)}): every node reads the cache across zones",
                  "pick an S3 Express zone ID that maps to one of the stack's zones")
        return
    yield Row("weight cache zone", OK, f"{cache.availability_zone_id} is {name}, one of the stack's zones")
