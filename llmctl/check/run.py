"""Check an inventory with the policy rules and render the result as a table or JSON.

The rules are policies.llm_policies, the same functions `pulumi preview --policy-pack policies`
runs; levels are those of the stack's environment unless a policy config overrides them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmctl.synth.inventory import Inventory
from policies.llm_policies import RULES, Violation, evaluate, views_from_inventory
from policies.llm_policies.engine import stack_environment
from policies.llm_policies.model import MANDATORY


@dataclass
class CheckResult:
    stack: str
    environment: str
    resources: int
    policies: int
    violations: list[Violation]
    seconds: float

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == MANDATORY]

    @property
    def exit_code(self) -> int:
        return 1 if self.mandatory else 0


def load_policy_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        config = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON policy config ({exc})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a policy config is a JSON object of policy name -> level or settings")
    unknown = sorted(set(config) - {r.name for r in RULES} - {"all"})
    if unknown:
        raise ValueError(f"{path}: unknown polic{'ies' if len(unknown) > 1 else 'y'} {', '.join(unknown)}")
    return config


def check_inventory(inventory: Inventory, config: Mapping[str, Any] | None = None) -> CheckResult:
    start = time.perf_counter()
    views = views_from_inventory(inventory)
    violations = evaluate(views, config)
    return CheckResult(inventory.stack, stack_environment(views, config), len(views), len(RULES), violations, time.perf_counter() - start)


def render_table(result: CheckResult) -> str:
    rows = [(v.policy, v.level, v.resource, v.message) for v in result.violations]
    lines = []
    if rows:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(("POLICY", "LEVEL", "RESOURCE"))]
        header = ("POLICY", "LEVEL", "RESOURCE", "MESSAGE")
        for row in (header, *rows):
            lines.append("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)))
    advisory = len(result.violations) - len(result.mandatory)
    verdict = "FAIL" if result.exit_code else "PASS"
    lines.append(f"check {result.stack} ({result.environment}): {verdict}: {len(result.mandatory)} mandatory, {advisory} advisory "
                 f"violation(s); {result.policies} policies over {result.resources} resources in {result.seconds:.2f}s")
    return "\n".join(lines)


def render_json(result: CheckResult) -> str:
    return json.dumps({
        "stack": result.stack, "environment": result.environment, "passed": result.exit_code == 0,
        "resources": result.resources, "policies": result.policies, "seconds": round(result.seconds, 3),
        "violations": [v.to_json() for v in result.violations],
    }, indent=2)
