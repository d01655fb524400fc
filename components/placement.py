"""Where cluster services run: the one placement object the cluster makes and the composition root
(infra/__main__.py) hands to every component that deploys a controller (Karpenter, KEDA, the
Prometheus stack, the load balancer controller)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SystemPlacement:
    """The system node group's labels (to select it) and its taint's key (to tolerate it)."""

    node_labels: Mapping[str, str]
    taint_key: str

    @property
    def toleration(self) -> dict[str, str]:
        return {"key": self.taint_key, "operator": "Exists", "effect": "NoSchedule"}

    @property
    def tolerations(self) -> list[dict[str, str]]:
        return [self.toleration]

    def node_selector(self, **extra: str) -> dict[str, str]:
        return {**extra, **self.node_labels}

    def pod_fields(self) -> dict[str, Any]:
        """nodeSelector and tolerations, as most charts take them."""
        return {"nodeSelector": self.node_selector(), "tolerations": self.tolerations}
