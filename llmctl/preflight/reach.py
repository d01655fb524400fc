"""Cost-allocation tags as billing knows them, and whether this machine reaches an existing cluster's API."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from llmctl.cost.tags import tag_states
from llmctl.preflight.rows import BLOCKER, OK, WARN, Row

REACH_TIMEOUT_S = 3


def tag_rows(ce: Any, keys: list[str]) -> Iterator[Row]:
    states = tag_states(ce, keys)
    inactive = [k for k in keys if states.get(k) == "Inactive"]
    unseen = [k for k in keys if k not in states]
    if not inactive and not unseen:
        yield Row("cost tags", OK, f"all {len(keys)} keys are active cost-allocation tags")
        return
    parts = [f"inactive: {', '.join(inactive)}" if inactive else "", f"not in billing data yet: {', '.join(unseen)}" if unseen else ""]
    yield Row("cost tags", WARN, "; ".join(p for p in parts if p) + " (the budget's environment filter needs `environment` active)",
              "a day after the first tagged usage, run `llmctl cost activate-tags STACK` in the payer account")


def reach_rows(eks: Any, cluster_name: str, connect=socket.create_connection) -> Iterator[Row]:
    try:
        endpoint = eks.describe_cluster(name=cluster_name)["cluster"]["endpoint"]
    except eks.exceptions.ResourceNotFoundException:
        yield Row("api reachability", OK, f"cluster {cluster_name} does not exist yet (first deploy: see the bootstrap steps)")
        return
    url = urlparse(endpoint if "//" in endpoint else f"https://{endpoint}")
    host, port = url.hostname or endpoint, url.port or 443
    try:
        with connect((host, port), timeout=REACH_TIMEOUT_S):
            pass
    except OSError as exc:
        yield Row("api reachability", BLOCKER, f"cannot open {host}:{port} ({exc.__class__.__name__}: {exc})",
                  "deploy from an operator network (cluster.operatorCidrs, VPN, peering) or an in-VPC runner; "
                  "for a first deploy use cluster.bootstrap.deployerCidrs")
        return
    yield Row("api reachability", OK, f"{host}:{port} answers from here")
