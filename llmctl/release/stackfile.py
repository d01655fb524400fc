"""Edit a stack file in place without disturbing its comments or layout.

ruamel.yaml round-trips the file (comments, quotes, flow/block style) and the result is written
atomically (temp file + os.replace), so an interrupt leaves either the old or the new file, never a
half-written one, and both weights of an endpoint always change in the same write.
"""

from __future__ import annotations

import difflib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML

from components.endpoint.models import weights_error
from components.serving.models import ReplicasConfig
from infra.config import PROJECT, ConfigError, StackConfig, load_config
from llmctl.release.errors import ReleaseError

ENDPOINTS_KEY = f"{PROJECT}:endpoints"


def _yaml() -> YAML:
    rt = YAML()
    rt.preserve_quotes = True
    rt.width = 4096
    # The stack files indent block sequences under their key (`key:\n  - item`).
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def _dump(doc: Any) -> str:
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` with `text` in one rename (same folder, so same filesystem)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _edit(path: Path, source: str, change: Callable[[Any], None]) -> tuple[str, str, StackConfig]:
    """(old text, new text, validated new config) after applying `change` to the round-tripped doc."""
    old = path.read_text()
    doc = _yaml().load(old)
    change(doc["config"])
    new = _dump(doc)
    try:
        cfg = load_config(yaml.safe_load(new)["config"], source)
    except ConfigError as exc:
        raise ReleaseError(f"refusing to write an invalid stack file: {exc}") from None
    return old, new, cfg


def _endpoint_node(config: Any, endpoint: str) -> Any:
    try:
        return config[ENDPOINTS_KEY][endpoint]
    except (KeyError, TypeError):
        raise ReleaseError(f"{ENDPOINTS_KEY}.{endpoint}: no such endpoint in the stack file") from None


def set_weights(path: Path, source: str, endpoint: str, weights: dict[str, int]) -> tuple[str, str]:
    """Write `weights` for `endpoint`; returns (old text, new text). Only the weight lines change."""
    if set(weights) != {"blue", "green"}:
        raise ReleaseError(f"weights name exactly blue and green, got {weights}")
    if error := weights_error(weights["blue"], weights["green"]):
        raise ReleaseError(f"weights {weights}: {error}")

    def change(config: Any) -> None:
        node = _endpoint_node(config, endpoint)["weights"]
        for slot in ("blue", "green"):
            node[slot] = int(weights[slot])

    old, new, _ = _edit(path, source, change)
    changed = _changed_lines(old, new)
    if any(not line.strip().startswith(("blue:", "green:")) for line in changed):
        raise ReleaseError(f"{source}: cannot rewrite the weights without changing other lines: {changed[:3]}")
    if new != old:
        write_atomic(path, new)
    return old, new


def set_slot(path: Path, source: str, endpoint: str, slot: str, model: str, image: str | None, replicas: int | None) -> tuple[str, str]:
    """Point `slot` at `model` (and optionally an image and a replica floor); returns (old, new)."""

    def change(config: Any) -> None:
        node = _endpoint_node(config, endpoint)
        slots = node.setdefault("slots", {})
        if slots.get(slot) is None:
            slots[slot] = {}
        target = slots[slot]
        target["model"] = model
        if image is not None:
            target["image"] = image
        if replicas is not None:
            counts = target.setdefault("replicas", {})
            counts["min"] = replicas
            counts["max"] = max(int(counts.get("max", ReplicasConfig.model_fields["max"].default)), replicas)

    old, new, _ = _edit(path, source, change)
    removed = [line for line in _changed_lines(old, new, "-") if not line.strip().startswith(("model:", "image:", "min:", "max:"))]
    if removed:
        raise ReleaseError(f"{source}: cannot set the slot without changing other lines: {removed[:3]}")
    if new != old:
        write_atomic(path, new)
    return old, new


def _changed_lines(old: str, new: str, signs: str = "+-") -> list[str]:
    return [line[1:] for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
            if line[:1] in signs and not line.startswith(("+++", "---"))]
