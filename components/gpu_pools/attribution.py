"""Which Karpenter NodePool + EC2NodeClass each serving slot launches its GPU nodes from, and the
tags and GPU limit each one carries (pure; the component, config checks and golden files share it).

A NodePool + EC2NodeClass per slot, derived from the shared pool definition (families, sizes,
capacity types, reservations, disruption): Karpenter copies the node class's `spec.tags` onto the
instances, volumes and fleet it creates (CreateFleet tag specifications,
pkg/providers/instance/types.go, v1.14.1) and onto the network interfaces and spot requests of its
launch templates (pkg/providers/launchtemplate/types.go), so Cost Explorer and Budgets grouped by
team or model see GPU spend exactly, with no allocation model. Per slot rather than per endpoint:
blue and green may serve different models during a release, and a node carries one `model` tag.

Limits: Karpenter limits are per NodePool, so a team's `gpuLimit` (and the shared pool's) is split
over its slots' NodePools so their sum never exceeds it: each slot gets its floor (gpus x
replicas.min) plus a share of the headroom proportional to what it may still ask for, in whole
replicas. Derived from the stack file's replica bounds, not from the weights, so a promote (which
only edits weights) never changes a NodePool.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from components.endpoint.models import SLOTS, EndpointConfig
from components.gpu_pools.models import GpuPoolConfig
from components.teams.models import TeamConfig

MAX_NAME = 63  # NodePool names become the karpenter.sh/nodepool label value


@dataclass(frozen=True)
class SlotDemand:
    endpoint: str
    slot: str
    team: str
    model: str
    gpus: int  # per replica
    floor: int  # GPUs at replicas.min
    want: int  # GPUs at the most replicas the slot may run, plus one surge replica


@dataclass(frozen=True)
class NodePoolPlan:
    """One NodePool + EC2NodeClass: `name` is both objects' name; `pool` the shared definition."""

    name: str
    pool: GpuPoolConfig
    tags: dict[str, str]
    gpu_limit: int
    team: str | None = None  # None: a shared pool (sharedNodes: true)
    endpoint: str | None = None
    slot: str | None = None


def shared_plan(pool: GpuPoolConfig, stack_tags: Mapping[str, str]) -> NodePoolPlan:
    """The pool as one NodePool for every slot naming it: its nodes bill to the stack's tags."""
    return NodePoolPlan(pool.name, pool, {**dict(sorted(stack_tags.items())), "pool": pool.name}, pool.gpu_limit)


def node_pool_name(pool: str, endpoint: str, slot: str) -> str:
    return f"{pool}-{endpoint}-{slot}"


def slot_node_pool(pool: GpuPoolConfig, endpoint: str, slot: str) -> str:
    """The NodePool a slot's pods select (karpenter.sh/nodepool)."""
    return pool.name if pool.shared_nodes else node_pool_name(pool.name, endpoint, slot)


def demands(endpoints: Mapping[str, EndpointConfig]) -> list[SlotDemand]:
    """Every slot with a model, in config order."""
    out = []
    for name, endpoint in endpoints.items():
        for slot in SLOTS:
            cfg = getattr(endpoint.slots, slot)
            if cfg.empty:
                continue
            # + 1: the Deployment surges one replica on a rollout (maxSurge 1) and Karpenter launches a
            # drift/expiry replacement before it drains the old node; both need room under the limit.
            most = max(cfg.replicas.max, endpoint.standby_replicas) + 1
            out.append(SlotDemand(name, slot, endpoint.team, str(cfg.model), cfg.gpus, cfg.gpus * cfg.replicas.min, cfg.gpus * most))
    return out


def _shares(group: list[SlotDemand], limit: int) -> dict[tuple[str, str], int]:
    """Headroom above the floors of `group` under `limit`, split in proportion to each slot's
    (want - floor) in whole replicas, then what rounding left over handed out a replica at a time
    (largest remaining want first): sum(floor + share) <= limit always."""
    spare = max(limit - sum(d.floor for d in group), 0)
    asked = sum(d.want - d.floor for d in group)
    shares = {}
    for d in group:
        raw = min(d.want - d.floor, spare * (d.want - d.floor) // asked) if asked else 0
        shares[(d.endpoint, d.slot)] = raw - raw % d.gpus
    left = spare - sum(shares.values())
    for d in sorted(group, key=lambda d: -(d.want - d.floor - shares[(d.endpoint, d.slot)])):
        if d.gpus <= left and shares[(d.endpoint, d.slot)] + d.gpus <= d.want - d.floor:
            shares[(d.endpoint, d.slot)] += d.gpus
            left -= d.gpus
    return shares


def slot_limits(pools: list[GpuPoolConfig], endpoints: Mapping[str, EndpointConfig], teams: Mapping[str, TeamConfig]) -> dict[tuple[str, str], int]:
    """GPU limit of each per-slot NodePool: floor + the smaller of its pool's and its team's share."""
    by_pool = {p.name: p for p in pools}
    slots = [d for d in demands(endpoints) if not by_pool[endpoints[d.endpoint].pool].shared_nodes]
    pool_share: dict[tuple[str, str], int] = {}
    for pool in pools:
        pool_share.update(_shares([d for d in slots if endpoints[d.endpoint].pool == pool.name], pool.gpu_limit))
    team_share: dict[tuple[str, str], int] = {}
    for team in {d.team for d in slots}:
        cfg = teams.get(team)
        group = [d for d in slots if d.team == team]
        limit = cfg.gpu_limit if cfg is not None and cfg.gpu_limit is not None else sum(d.want for d in group)
        team_share.update(_shares(group, limit))
    return {(d.endpoint, d.slot): d.floor + min(pool_share[(d.endpoint, d.slot)], team_share[(d.endpoint, d.slot)]) for d in slots}


def plan_node_pools(
    pools: list[GpuPoolConfig], endpoints: Mapping[str, EndpointConfig], teams: Mapping[str, TeamConfig], stack_tags: Mapping[str, str],
) -> list[NodePoolPlan]:
    """NodePools in config order: each shared pool once; each other pool once per slot on it.
    A pool no slot uses renders nothing (no node could serve anyone)."""
    limits = slot_limits(pools, endpoints, teams)
    base = dict(sorted(stack_tags.items()))
    plans = []
    for pool in pools:
        if pool.shared_nodes:
            plans.append(shared_plan(pool, stack_tags))
            continue
        for d in demands(endpoints):
            if endpoints[d.endpoint].pool != pool.name:
                continue
            team = teams.get(d.team)
            owner = {"owner": team.owner} if team is not None and team.owner else {}
            tags = {**base, **owner, "team": d.team, "model": d.model, "endpoint": d.endpoint, "slot": d.slot, "pool": pool.name}
            name = node_pool_name(pool.name, d.endpoint, d.slot)
            plans.append(NodePoolPlan(name, pool, tags, limits[(d.endpoint, d.slot)], d.team, d.endpoint, d.slot))
    return plans


Problem = tuple[tuple[str | int, ...], object, str]  # (stack key path, value, what is allowed)


def problems(pools: list[GpuPoolConfig], endpoints: Mapping[str, EndpointConfig], teams: Mapping[str, TeamConfig]) -> list[Problem]:
    """Config errors of the per-slot NodePools: team minimums over the team's gpuLimit, a limit
    too small for one replica, a NodePool name over the label limit, a team limit on a shared pool."""
    by_pool = {p.name: p for p in pools}
    found: list[Problem] = []
    slots = demands(endpoints)
    for team, cfg in teams.items():
        if cfg.gpu_limit is None:
            continue
        floor = sum(d.floor for d in slots if d.team == team)
        if floor > cfg.gpu_limit:
            found.append((("teams", team, "gpuLimit"), cfg.gpu_limit,
                          f"the team's endpoints need {floor} GPU(s) at their minimum replicas (gpus x replicas.min of every slot with a model); "
                          f"raise gpuLimit to >= {floor} or lower replicas.min"))
        shared = sorted({e for e, ep in endpoints.items() if ep.team == team and by_pool[ep.pool].shared_nodes})
        if shared:
            found.append((("teams", team, "gpuLimit"), cfg.gpu_limit,
                          f"endpoint {shared[0]} runs on a pool with sharedNodes: true, whose NodePool no team limit can bound; "
                          "drop sharedNodes or the team's gpuLimit"))
    limits = slot_limits(pools, endpoints, teams)
    for d in slots:
        pool = by_pool[endpoints[d.endpoint].pool]
        if pool.shared_nodes:
            continue
        name = node_pool_name(pool.name, d.endpoint, d.slot)
        if len(name) > MAX_NAME:
            found.append((("endpoints", d.endpoint, "pool"), pool.name,
                          f"NodePool {name!r} (<pool>-<endpoint>-<slot>) is {len(name)} characters; at most {MAX_NAME}: shorten the pool name"))
        if limits[(d.endpoint, d.slot)] < d.gpus and d.want > 0:
            team_limit = teams[d.team].gpu_limit if d.team in teams else None
            found.append((("teams", d.team, "gpuLimit") if team_limit is not None else ("gpu", "pools", pools.index(pool), "gpuLimit"),
                          team_limit if team_limit is not None else pool.gpu_limit,
                          f"leaves endpoints.{d.endpoint}.slots.{d.slot} a NodePool limit of {limits[(d.endpoint, d.slot)]} GPU(s), "
                          f"below one replica ({d.gpus}); raise the limit"))
    return found
