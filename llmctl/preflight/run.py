"""All preflight checks of one stack, in the order a deploy would hit them."""

from __future__ import annotations

from datetime import date
from typing import Any

from components.catalog import availability_zones
from llmctl.preflight import capacity, identity, reach, stores, versions
from llmctl.preflight.clients import Clients
from llmctl.preflight.rows import Row, guarded


def preflight(cfg: Any, clients: Clients, cluster_name: str, today: date) -> list[Row]:
    from llmctl.cost.cli import stack_tag_keys

    pools, zones = list(cfg.gpu.pools), availability_zones(cfg.region, cfg.network.az_count)
    minor = cfg.cluster.kubernetes_version
    rows = guarded("identity", lambda: identity.check(clients.sts, list(cfg.cluster.admin_role_arns)))
    rows.append(versions.calendar_row(minor, cfg.cluster.upgrade_policy, today))
    rows += guarded("addons", lambda: versions.addon_rows(clients.eks, minor))
    rows += guarded("offerings", lambda: capacity.offering_rows(clients.ec2, pools, zones))
    rows += guarded("reservations", lambda: capacity.reservation_rows(clients.ec2, pools))
    rows += guarded("quotas", lambda: capacity.quota_rows(clients.service_quotas, pools, dict(cfg.endpoints)))
    rows += guarded("quota store", lambda: stores.quota_store_rows(clients.elasticache, cfg))
    rows += guarded("weight cache zone", lambda: stores.weight_cache_rows(clients.ec2, cfg))
    rows += guarded("cost tags", lambda: reach.tag_rows(clients.ce, stack_tag_keys(cfg)))
    rows += guarded("api reachability", lambda: reach.reach_rows(clients.eks, cluster_name))
    return rows
