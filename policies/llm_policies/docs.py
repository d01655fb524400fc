"""The README's rules table, generated from the rules (a test keeps the README current)."""

from __future__ import annotations

from .engine import RULES
from .model import ENVIRONMENTS


def rules_table() -> str:
    lines = ["| policy | area | " + " | ".join(ENVIRONMENTS) + " | what it enforces |", "| --- | --- | " + " | ".join("---" for _ in ENVIRONMENTS) + " | --- |"]
    for rule in RULES:
        levels = " | ".join(rule.level(env) for env in ENVIRONMENTS)
        lines.append(f"| `{rule.name}` | {rule.area} | {levels} | {rule.description.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
