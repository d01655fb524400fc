"""Applying a stack-file change: the Pulumi Automation API, behind a one-method interface so tests
(and dry runs) inject their own.

`pulumi up --target <URN or URN glob>` with target_dependents false touches only those
resources (apply_batches: a slot's resources, or the endpoint's AIGatewayRoute). This module is the
one place that knows what a weight change applies: promote and rollback only call `apply_weights`.
For the route the AI Gateway controller rewrites its HTTPRoute and Envoy Gateway pushes the new
weights to the proxies over xDS in place, without new listeners or connection drops.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from components.endpoint.models import SLOTS
from components.endpoint.names import priorities_urn, route_urn, slot_target
from components.gateway.priorities import needs_priorities, team_classes
from llmctl.release.errors import ReleaseError


class ApplyError(ReleaseError):
    def __init__(self, message: str):
        super().__init__(message, code=1)


class Applier(Protocol):
    def __call__(self, stack: str, targets: list[str] | None) -> None:
        """Bring the stack to the stack file's state; `targets` limits the update (None = whole stack)."""


class PulumiApplier:
    """`pulumi up` of a stack of the project at `root` (Pulumi.yaml, stacks/Pulumi.<stack>.yaml)."""

    def __init__(self, root: Path, on_output: Callable[[str], None] | None = None):
        self.root = root
        self.on_output = on_output

    def __call__(self, stack: str, targets: list[str] | None) -> None:
        try:
            from pulumi import automation as auto

            selected = auto.select_stack(stack_name=stack, work_dir=str(self.root))
            selected.up(target=targets, target_dependents=False if targets else None, on_output=self.on_output,
                        message=f"llmctl release ({', '.join(targets) if targets else 'full update'})")
        except FileNotFoundError:
            raise ApplyError(f"pulumi up -s {stack} failed: the Pulumi CLI is not installed; "
                             "use --no-apply and let CI run `pulumi up`") from None
        except Exception as exc:  # login, lock conflict, failed update: one line, the caller restores
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ApplyError(f"pulumi up -s {stack} failed: {first}") from None


def classed(cfg: Any, endpoint: str) -> bool:
    """Whether the endpoint has a priority filter to move with its route (components.gateway.priorities)."""
    return needs_priorities(cfg.endpoints[endpoint], team_classes(cfg.teams))


def apply_batches(stack: str, endpoint: str, before: dict[str, int], after: dict[str, int], urgent: bool = False,
                  classed: bool = False) -> list[list[str]]:
    """Targeted updates for a weight change, in order. Promote: a slot that starts taking traffic is
    scaled to its live replicas first (Pulumi waits for its Deployment, so the canary never lands
    on missing capacity), then the route moves traffic. Rollback (urgent): the route first, so
    traffic is back on the warm standby pods in seconds, then the slot scales to its live replicas.
    Last, a slot that no longer takes traffic drops to standbyReplicas. `classed`: the endpoint
    has a priority filter (it names the live slot's objectives), updated with the route."""
    growing = [slot_target(stack, endpoint, s) for s in SLOTS if before[s] == 0 < after[s]]
    shrinking = [slot_target(stack, endpoint, s) for s in SLOTS if before[s] > 0 == after[s]]
    route = [route_urn(stack, endpoint), *([priorities_urn(stack, endpoint)] if classed else [])]
    order = (route, growing, shrinking) if urgent else (growing, route, shrinking)
    return [batch for batch in order if batch]


def apply_weights(applier: Applier | None, stack: str, endpoint: str, before: dict[str, int], after: dict[str, int],
                  urgent: bool = False, before_traffic: Callable[[], object] | None = None, classed: bool = False) -> None:
    """Bring the cluster from `before` to `after` (the stack file already holds `after`).
    `before_traffic` runs right before the route update (e.g. capacity.CapacityWait, which
    raises ApplyError when the incoming slot never gets ready, before any weight moves)."""
    if applier is not None:
        for targets in apply_batches(stack, endpoint, before, after, urgent, classed):
            if before_traffic is not None and route_urn(stack, endpoint) in targets:
                before_traffic()
            applier(stack, targets)
