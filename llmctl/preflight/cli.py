"""`llmctl preflight STACK [--json]`: rows on stdout, exit 0 (nothing blocks) / 1 (a blocker, or AWS
unreachable) / 2 (usage or config error, raised as ConfigError to the caller)."""

from __future__ import annotations

import json
import os
from datetime import date

import typer


def run_preflight(stack: str, as_json: bool, today: date | None = None) -> int:
    from infra.config import load_stack
    from infra.providers import cluster_name
    from llmctl.preflight.clients import Clients
    from llmctl.preflight.rows import UnreachableError, exit_code, render_text
    from llmctl.preflight.run import preflight
    from llmctl.synth.runner import project_root

    cfg = load_stack(stack, project_root())
    try:
        rows = preflight(cfg, Clients(cfg.region), cluster_name(cfg), today or date.today())
    except UnreachableError as exc:
        where = os.environ.get("AWS_ENDPOINT_URL") or "AWS"
        typer.echo(f"error: cannot reach {where}: {exc}", err=True)
        return 1
    typer.echo(json.dumps({"stack": stack, "rows": [r.to_dict() for r in rows]}, indent=2) if as_json else render_text(stack, rows))
    return exit_code(rows)
