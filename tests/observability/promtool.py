"""Running promtool from tests: found in .tools/ (make promtool) or on PATH. Outside CI a missing
promtool skips these tests; in CI (CI=true) it fails them, so the rule tests can never silently
stop running."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.observability import labels as lm

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".tools" / "prometheus" / "usr" / "bin" / "promtool"
AMTOOL = ROOT / ".tools" / "alertmanager" / "usr" / "bin" / "amtool"


def promtool(local: Path | None = None, name: str = "promtool") -> str:
    local = LOCAL if local is None else local
    found = str(local) if local.is_file() else shutil.which(name)
    if found:
        return found
    message = f"{name} not found: run `make promtool` (Debian's prometheus packages into .tools/) or install it"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def amtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(AMTOOL, "amtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def write_json(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(json.dumps(doc, indent=1))  # JSON is YAML: promtool reads it as is
    return path


# Values for the labels Prometheus, the operator and the exporters set, so test series carry
# exactly the labels of the label model.
TARGET_VALUES = {
    "job": "llm-chat/chat-blue", "instance": "10.0.3.7:8000", "pod": "chat-blue-7d9f-abcde", "container": "vllm",
    "endpoint": "http", "service": "dcgm-exporter", "model_name": "Qwen/Qwen2.5-7B-Instruct", "engine": "0",
    "handler": "/v1/chat/completions", "method": "POST", "status": "2xx", "gpu": "0", "UUID": "GPU-1234",
    "device": "nvidia0", "modelName": "NVIDIA A10G", "node": "ip-10-0-3-7.ec2.internal", "scaledObject": "chat-blue",
    "scaler": "prometheusScaler", "scalerIndex": "0", "metric": "s0-prometheus", "type": "ScaledObject",
    "exported_namespace": "llm-chat", "model": "qwen.qwen2.5-7b-instruct", "environment": "prod", "team": "applied-ai",
}


def series(metric: str, given: dict[str, str]) -> str:
    """`metric{...}` carrying every label the model says it carries after scraping, no more."""
    names = lm.series_labels(metric)
    assert names, f"{metric} is not in the label model"
    extra = set(given) - names
    assert not extra, f"{metric}: labels {extra} are not in the label model"
    values = {name: given.get(name, TARGET_VALUES.get(name)) for name in sorted(names)}
    missing = [n for n, v in values.items() if v is None]
    assert not missing, f"{metric}: no test value for {missing}"
    return metric + "{" + ",".join(f'{k}="{v}"' for k, v in values.items()) + "}"
