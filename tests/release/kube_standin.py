"""A stand-in Kubernetes API server on 127.0.0.1: answers apps/v1 Deployment status reads from a
script of readyReplicas per poll, and writes a kubeconfig pointing at itself."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

from tests.support.http_standin import JsonHandler, LocalServer

STATUS = re.compile(r"^/apis/apps/v1/namespaces/([^/]+)/deployments/([^/]+)/status$")


class KubeStandIn:
    """`ready` maps (namespace, name) to a list of readyReplicas, one per read (the last repeats)."""

    def __init__(self, ready: dict[tuple[str, str], list[int]]):
        self.ready = {key: list(values) for key, values in ready.items()}
        self.reads: list[tuple[str, str]] = []
        self.read_at: list[float] = []  # time.monotonic() of each read
        standin = self

        class Handler(JsonHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                match = STATUS.match(self.path.split("?")[0])
                key = (match.group(1), match.group(2)) if match else None
                if key not in standin.ready:
                    return self.send_json(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404})
                standin.reads.append(key)
                standin.read_at.append(time.monotonic())
                values = standin.ready[key]
                ready = values.pop(0) if len(values) > 1 else values[0]
                self.send_json(200, deployment(key[0], key[1], ready))


        self._local = LocalServer(Handler)
        self.url = self._local.url

    def kubeconfig(self, path: Path) -> Path:
        doc = {
            "apiVersion": "v1", "kind": "Config", "current-context": "standin",
            "clusters": [{"name": "standin", "cluster": {"server": self.url}}],
            "contexts": [{"name": "standin", "context": {"cluster": "standin", "user": "operator"}}],
            "users": [{"name": "operator", "user": {"token": "standin-token"}}],
        }
        path.write_text(json.dumps(doc))
        return path

    def __enter__(self) -> KubeStandIn:
        return self

    def __exit__(self, *exc) -> None:
        self._local.close()


def deployment(namespace: str, name: str, ready: int) -> dict:
    status = {"observedGeneration": 2, "replicas": max(ready, 1), "updatedReplicas": max(ready, 1)}
    if ready:
        status |= {"readyReplicas": ready, "availableReplicas": ready}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "generation": 2, "uid": f"uid-{name}"},
        "spec": {"replicas": max(ready, 1), "selector": {"matchLabels": {"app.kubernetes.io/name": "vllm"}},
                 "template": {"metadata": {"labels": {"app.kubernetes.io/name": "vllm"}},
                              "spec": {"containers": [{"name": "vllm", "image": "vllm"}]}}},
        "status": status,
    }
