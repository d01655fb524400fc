"""Edit a stack file in place without disturbing its comments or layout.

ruamel.yaml round-trips the file (comments, quotes, flow/block style) and the result is written
atomically (temp file + fsync + os.replace + fsync of the folder), so an interrupt or a crash leaves
either the old or the new file, never a half-written one. Weights are edited in place, digits only
(`set_weights`): the rest of each line, and every other line, stays byte for byte.
"""

from __future__ import annotations

import difflib
import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from components.endpoint.models import weights_error
from components.serving.models import ReplicasConfig
from infra.config import PROJECT, ConfigError, StackConfig, load_config, parse_stack_text
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
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable: a crash right after must not bring the old file back."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _edit(path: Path, source: str, change: Callable[[Any], None]) -> tuple[str, str, StackConfig]:
    """(old text, new text, validated new config) after applying `change` to the round-tripped doc."""
    old = path.read_text()
    doc = _yaml().load(old)
    change(doc["config"])
    new = _dump(doc)
    return old, new, _validate(new, source)


def _endpoint_node(config: Any, endpoint: str) -> Any:
    try:
        return config[ENDPOINTS_KEY][endpoint]
    except (KeyError, TypeError):
        raise ReleaseError(f"{ENDPOINTS_KEY}.{endpoint}: no such endpoint in the stack file") from None


@dataclass(frozen=True)
class WeightLine:
    """Where one slot's weight sits in the stack file (0-based line and column of its digits)."""

    line: int
    col: int
    value: int


def _anchor(node: Any) -> str | None:
    anchor = getattr(node, "anchor", None)
    return getattr(anchor, "value", None)


def _shared(node: Any, key: str) -> str | None:
    """The anchor through which `node[key]` is shared with other parts of the file, if any: an
    anchor on the value (`weights: &w`, so `*w` aliases it) or a merge key that supplies it."""
    if key not in dict(node.non_merged_items()) and key in node:
        merged = [_anchor(m) or "(inline map)" for m in node.merge]
        return f"<<: *{merged[0]}" if merged else "<<"
    value = node[key]
    name = _anchor(value)
    if name:
        return f"&{name}"
    merged = getattr(value, "merge", None) if key == "weights" else None  # `weights: {<<: *w, ...}`
    if merged:
        return f"<<: *{_anchor(merged[0]) or '(inline map)'}"
    return None


def locate_weights(text: str, source: str, endpoint: str) -> dict[str, WeightLine]:
    """The two weight lines of `endpoint`; refuses (exit 2) weights reached through a YAML anchor,
    alias or merge key, since editing them would change every endpoint sharing the anchor."""
    config = _yaml().load(text)["config"]
    node = _endpoint_node(config, endpoint)
    where = f"{ENDPOINTS_KEY}.{endpoint}"
    for owner, key, path in ((config, ENDPOINTS_KEY, ENDPOINTS_KEY), (config[ENDPOINTS_KEY], endpoint, where),
                             (node, "weights", f"{where}.weights")):
        shared = _shared(owner, key) if key in owner else None
        if shared:
            raise ReleaseError(f"{source}: {path}: reached through the YAML anchor {shared}; a release would change every "
                               f"place that shares it: write the endpoint's own `weights:` with plain numbers")
    weights = node.get("weights")
    if weights is None or not all(slot in weights for slot in SLOT_NAMES):
        raise ReleaseError(f"{source}: {where}.weights: needs both blue and green")
    lines = text.splitlines(keepends=True)
    found = {}
    for slot in SLOT_NAMES:
        shared = _shared(weights, slot)
        if shared:
            raise ReleaseError(f"{source}: {where}.weights.{slot}: reached through the YAML anchor {shared}; write a plain number")
        line, col = weights.lc.value(slot)
        match = _DIGITS.match(lines[line], col)
        if match is None or int(match.group()) != weights[slot]:
            raise ReleaseError(f"{source}:{line + 1}: {where}.weights.{slot}: write the weight as a plain integer, got {lines[line].strip()!r}")
        found[slot] = WeightLine(line, col, int(weights[slot]))
    return found


_DIGITS = re.compile(r"[0-9]+")
SLOT_NAMES = ("blue", "green")


def _fmt(weights: dict[str, int]) -> str:
    return f"blue {weights['blue']} / green {weights['green']}"


def set_weights(path: Path, source: str, endpoint: str, weights: dict[str, int],
                expect: list[dict[str, int]] | None = None) -> tuple[str, str]:
    """Write `weights` for `endpoint` by rewriting only the digits of its two weight lines; returns
    (old text, new text). With `expect`, the lines must still hold one of those weight pairs (what
    this release wrote, or found), else nothing is written and the caller hears what changed (exit 1)."""
    if set(weights) != set(SLOT_NAMES):
        raise ReleaseError(f"weights name exactly blue and green, got {weights}")
    if error := weights_error(weights["blue"], weights["green"]):
        raise ReleaseError(f"weights {weights}: {error}")
    old = path.read_text()
    found = locate_weights(old, source, endpoint)
    current = {slot: spot.value for slot, spot in found.items()}
    if expect is not None and current not in expect:
        wrote = " or ".join(dict.fromkeys(_fmt(w) for w in expect))
        raise ReleaseError(f"{source}: {ENDPOINTS_KEY}.{endpoint}.weights now read {_fmt(current)} (lines "
                           f"{found['blue'].line + 1}-{found['green'].line + 1}), not {wrote} as this release left them: "
                           f"changed by someone else; left as they are", code=1)
    lines = old.splitlines(keepends=True)
    # Right to left: in flow style (`{blue: 90, green: 10}`) both weights share a line.
    for slot, spot in sorted(found.items(), key=lambda item: (item[1].line, item[1].col), reverse=True):
        text = lines[spot.line]
        end = spot.col + len(str(spot.value))
        lines[spot.line] = text[:spot.col] + str(int(weights[slot])) + text[end:]
    new = "".join(lines)
    _validate(new, source)
    if new != old:
        write_atomic(path, new)
    return old, new


def _validate(text: str, source: str) -> StackConfig:
    try:
        return load_config(parse_stack_text(text, source), source)
    except ConfigError as exc:
        raise ReleaseError(f"refusing to write an invalid stack file: {exc}") from None


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
