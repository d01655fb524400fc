"""Karpenter controller settings (the `karpenter` key of the gpu section)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from components.config_base import ConfigModel


class KarpenterConfig(ConfigModel):
    namespace: Literal["kube-system", "karpenter"] = Field(
        default="kube-system",
        description="Namespace of the controller; in kube-system its service account gets the API server's workload-high priority (APF).",
    )
    replicas: int = Field(default=2, ge=1, le=5, description="Controller replicas (leader election; 2 survives a system-node loss).")
    cpu: str = Field(default="1", pattern=r"^\d+(m|\.\d+)?$", description="Controller CPU request and limit.")
    memory_mib: int = Field(default=1024, ge=256, le=16384, description="Controller memory request and limit in MiB.")
    log_level: Literal["debug", "info", "error"] = Field(default="info", description="Controller log level.")
