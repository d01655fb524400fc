"""Promote waits for capacity: before any traffic moves to a slot, its Deployment must have at
least as many ready replicas as the live slot's (read through the Kubernetes API with the
operator's kubeconfig). The Deployment ignores `spec.replicas` (KEDA owns it), so `pulumi up`
returns as soon as the ScaledObject's new minimum is written, long before GPU nodes launch and
weights load; this is the wait that `pulumi up` does not do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from llmctl.release.apply import ApplyError
from llmctl.release.errors import ReleaseError


def deployment_name(endpoint: str, slot: str) -> str:
    """The slot's Deployment (components.serving SlotSpec.name)."""
    return f"{endpoint}-{slot}"


class CapacityTimeoutError(ApplyError):
    """The incoming slot did not reach the live slot's ready replicas in time (exit 1)."""


class DeploymentReader(Protocol):
    def ready_replicas(self, namespace: str, name: str) -> int:
        """status.readyReplicas of the Deployment (0 when it has none or does not exist)."""


class KubernetesReader:
    """apps/v1 Deployment status through the `kubernetes` client and a kubeconfig (default: the
    operator's ~/.kube/config or $KUBECONFIG, e.g. written by `aws eks update-kubeconfig`)."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None, timeout_seconds: float = 10.0):
        from kubernetes import client, config

        try:
            api = config.new_client_from_config(config_file=kubeconfig, context=context)
        except (config.ConfigException, OSError, TypeError, ValueError) as exc:
            where = kubeconfig or "the default kubeconfig"
            raise ReleaseError(f"--kubeconfig {where}: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
        self.apps = client.AppsV1Api(api)
        self.timeout = timeout_seconds

    def ready_replicas(self, namespace: str, name: str) -> int:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            deployment = self.apps.read_namespaced_deployment_status(name, namespace, _request_timeout=self.timeout)
        except ApiException as exc:
            if exc.status == 404:
                return 0  # not created yet: no capacity
            raise ApplyError(f"reading Deployment {namespace}/{name}: HTTP {exc.status} {exc.reason}") from None
        except HTTPError as exc:
            raise ApplyError(f"reading Deployment {namespace}/{name}: {type(exc).__name__}: {exc}") from None
        status = deployment.status
        return int((status.ready_replicas if status is not None else 0) or 0)


@dataclass(frozen=True)
class CapacityWait:
    """Wait until `incoming` has >= the live slot's ready replicas (capped at what it may run)."""

    reader: DeploymentReader
    timeout_seconds: float
    poll_seconds: float = 15.0
    echo: Callable[[str], None] = print
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def __call__(self, namespace: str, incoming: str, live: str, max_replicas: int) -> int:
        """Returns the incoming slot's ready replicas; raises CapacityTimeoutError before the deadline passes."""
        live_ready = self.reader.ready_replicas(namespace, live)
        needed = min(max(live_ready, 1), max(max_replicas, 1))
        began = self.clock()
        while True:
            ready = self.reader.ready_replicas(namespace, incoming)
            waited = self.clock() - began
            self.echo(f"capacity: {namespace}/{incoming} {ready}/{needed} ready (live {live}: {live_ready}), "
                      f"{waited:.0f}s of {self.timeout_seconds:.0f}s")
            if ready >= needed:
                return ready
            if waited + self.poll_seconds > self.timeout_seconds:
                raise CapacityTimeoutError(f"{namespace}/{incoming} has {ready}/{needed} ready replicas after {waited:.0f}s "
                                      f"(timeout {self.timeout_seconds:.0f}s); no traffic moved")
            self.sleep(self.poll_seconds)
