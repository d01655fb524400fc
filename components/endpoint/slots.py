"""What each slot of an endpoint runs, from its config: a pure function the component and
`llmctl release status` share.

- live slot (weight > 0): its configured replicas (min..max, autoscaled);
- idle slot (weight 0) with a model: exactly `standbyReplicas` (min = max, no autoscaling; it takes
  only header-routed gate traffic). 0 keeps the Deployment at zero pods and frees its GPUs, at the
  price of a cold start before a gate or a rollback;
- slot without a model: nothing (no Deployment, no Service, no target group).
"""

from __future__ import annotations

from dataclasses import dataclass

from components.endpoint.models import SLOTS, EndpointConfig


@dataclass(frozen=True)
class SlotPlan:
    slot: str
    weight: int
    model: str | None
    min_replicas: int
    max_replicas: int
    scale_to_zero: bool

    @property
    def deployed(self) -> bool:
        return self.model is not None

    @property
    def live(self) -> bool:
        return self.weight > 0


def slot_plan(endpoint: EndpointConfig, slot: str) -> SlotPlan:
    cfg = getattr(endpoint.slots, slot)
    weight = getattr(endpoint.weights, slot)
    if cfg.empty:
        return SlotPlan(slot, weight, None, 0, 0, False)
    if weight > 0:
        return SlotPlan(slot, weight, cfg.model, cfg.replicas.min, cfg.replicas.max, endpoint.scale_to_zero and cfg.replicas.min == 0)
    standby = endpoint.standby_replicas
    return SlotPlan(slot, 0, cfg.model, standby, standby, False)


def slot_plans(endpoint: EndpointConfig) -> list[SlotPlan]:
    return [slot_plan(endpoint, slot) for slot in SLOTS]
