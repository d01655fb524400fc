"""Run infra/__main__.py under recording mocks and write build/<stack>/.

The program is the one `pulumi up` runs (same file, same config keys); only the engine and
the providers are replaced. Same stack file in -> byte-identical files out.
"""

from __future__ import annotations

import contextlib
import json
import runpy
import shutil
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import yaml

from infra import pulumi_internals as sdk
from infra.config import PROJECT, REGION_KEY, ConfigError, load_config, read_stack_file, stack_file
from llmctl.synth.inventory import (
    Inventory,
    Resource,
    effective_tags,
    iam_documents,
    is_taggable,
    normalise,
    provider_default_tags,
)
from llmctl.synth.mocks import RecordingMocks, RecordingMonitor

REPO_ROOT = Path(__file__).resolve().parents[2]
PROGRAM = REPO_ROOT / "infra" / "__main__.py"


def project_root(start: Path | None = None) -> Path:
    """The project llmctl works on: the nearest folder up from the working directory holding
    Pulumi.yaml and stacks/, else the repository this llmctl is installed from."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "Pulumi.yaml").is_file() and (folder / "stacks").is_dir():
            return folder
    return REPO_ROOT


def run_program(stack: str, config: dict[str, Any], program: Path = PROGRAM) -> Inventory:
    """Run the infra program for `stack` with `config` (`ns:key` -> value) and record it, in the
    program's folder as the working directory, as `pulumi up` does for `main: infra/`."""
    with contextlib.chdir(program.parent):
        return record(lambda: runpy.run_path(str(program), run_name="__main__"), stack, config)


def record(body: Callable[[], Any], stack: str = "test", config: dict[str, Any] | None = None) -> Inventory:
    """Run `body` (a program, or a test's component code) under fresh recording mocks."""
    config = config or {}
    region = str(config.get(REGION_KEY, "us-west-2"))
    mocks = RecordingMocks(region)
    monitor = RecordingMonitor(mocks)
    sdk.reset_root()
    sdk.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    # The engine passes objects as JSON strings and scalars as strings; do the same.
    sdk.set_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})

    outputs: dict[str, Any] = {}

    def program_body() -> None:
        body()
        root = sdk.root_resource()
        exported = dict(getattr(root, "outputs", {}) or {})
        outputs.update(sdk.sync_await(pulumi.Output.from_input(exported).future()) or {})

    try:
        sdk.run_program(program_body)
    except pulumi.RunError as exc:
        raise ConfigError(str(exc)) from None
    return _inventory(stack, monitor, outputs)


def _inventory(stack: str, monitor: RecordingMonitor, outputs: dict[str, Any]) -> Inventory:
    registrations = monitor.registrations
    provider_tags: dict[str, dict[str, str]] = {}
    for reg in registrations.values():
        if reg.type == "pulumi:providers:aws":
            provider_tags[reg.urn] = provider_default_tags(normalise(reg.inputs))
    resources = []
    for urn in sorted(registrations):
        reg = registrations[urn]
        inputs = normalise(reg.inputs)
        provider_urn = reg.provider.rsplit("::", 1)[0] if reg.provider else ""
        tags = None
        if reg.custom and is_taggable(reg.type):
            tags = effective_tags(inputs.get("tags"), provider_tags.get(provider_urn, {}))
        resources.append(Resource(urn, reg.type, reg.name, reg.parent, inputs, provider_urn, tags, dict(reg.options)))
    return Inventory(stack=stack, project=PROJECT, resources=resources, outputs=normalise(outputs))


def synth_stack(stack: str, root: Path = REPO_ROOT) -> Inventory:
    """Validate stacks/Pulumi.<stack>.yaml, then run the program on it."""
    path = stack_file(stack, root)
    source = str(path.relative_to(root))
    raw = read_stack_file(path, source)
    load_config(raw, source)  # fail here, with the file name, before any resource exists
    return run_program(stack, raw)


# ---- writing --------------------------------------------------------------------------------

def _dump_json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


# Top-level fields in the order `kubectl get -o yaml` shows them; everything below is sorted, so
# the files never depend on the order the engine's protobuf maps happened to arrive in.
_TOP_LEVEL_ORDER = ("apiVersion", "kind", "metadata", "spec", "data", "stringData")


def _canonical(doc: Any) -> Any:
    if isinstance(doc, dict):
        head = [k for k in _TOP_LEVEL_ORDER if k in doc]
        return {k: _sorted(doc[k]) for k in [*head, *sorted(k for k in doc if k not in head)]}
    return _sorted(doc)


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def dump_yaml(doc: Any) -> str:
    return yaml.dump(_canonical(doc), Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)


def _file_name(*parts: str) -> str:
    return "-".join(p for p in parts if p).replace("/", "_").replace(":", "_")


def write(inventory: Inventory, out: Path) -> dict[str, int]:
    """Write inventory.json, manifests/, helm/ and iam/ under `out` (replacing what was there)."""
    for sub in ("manifests", "helm", "iam"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True, exist_ok=True)
    (out / "inventory.json").write_text(_dump_json(inventory.to_json()))
    counts = Counter()
    for resource, obj in inventory.kubernetes_objects():
        meta = obj.get("metadata") or {}
        name = _file_name(obj["kind"].lower(), meta.get("namespace", ""), meta.get("name") or resource.name)
        (out / "manifests" / f"{name}.yaml").write_text(dump_yaml(obj))
        counts["manifests"] += 1
    for resource in inventory.resources:
        if resource.type == "kubernetes:helm.sh/v3:Release":
            (out / "helm" / f"{_file_name(resource.name)}.yaml").write_text(dump_yaml(resource.inputs))
            counts["helm"] += 1
        for suffix, doc in iam_documents(resource).items():
            (out / "iam" / f"{_file_name(resource.name)}{suffix}.json").write_text(_dump_json(doc))
            counts["iam"] += 1
    return dict(counts)


def summary(inventory: Inventory, written: dict[str, int], seconds: float, out: Path) -> str:
    by_type = Counter(r.type for r in inventory.resources)
    lines = [f"synth {inventory.stack}: {len(inventory.resources)} resources, "
             f"{written.get('manifests', 0)} manifests, {written.get('helm', 0)} helm releases, "
             f"{written.get('iam', 0)} IAM documents -> {out} in {seconds:.2f}s"]
    for typ, count in sorted(by_type.items()):
        lines.append(f"  {count:4d}  {typ}")
    if inventory.outputs:
        lines.append("  outputs: " + ", ".join(sorted(inventory.outputs)))
    return "\n".join(lines)


def synth_to(stack: str, out: Path, root: Path = REPO_ROOT) -> tuple[Inventory, str]:
    start = time.perf_counter()
    inventory = synth_stack(stack, root)
    written = write(inventory, out)
    return inventory, summary(inventory, written, time.perf_counter() - start, out)
