"""`llmctl coldstart STACK... [--json|--markdown]`."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def coldstart(
    stacks: list[str] = typer.Argument(..., help="Stack name(s): stacks/Pulumi.<stack>.yaml."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: per slot, stages with seconds, kind and source."),
    markdown: bool = typer.Option(False, "--markdown", help="Print the README's cold-start table for these stacks."),
) -> None:
    """Cold start per serving slot, node request -> first token, stage by stage with each figure's source."""
    from components.coldstart.imagecache import load_record
    from infra.config import ConfigError, load_stack
    from llmctl.coldstart.render import readme_section, render_text
    from llmctl.coldstart.report import stack_report
    from llmctl.synth.runner import project_root

    if as_json and markdown:
        typer.echo("error: --json and --markdown exclude each other", err=True)
        raise typer.Exit(2)
    root = project_root()
    try:
        reports = [stack_report(stack, load_stack(stack, root), load_record(stack, Path(root))) for stack in stacks]
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except (ValueError, OSError) as exc:  # an unreadable stacks/image-cache/<stack>.json
        typer.echo(f"error: image cache record: {exc}", err=True)
        raise typer.Exit(2) from None
    if markdown:
        typer.echo(readme_section(reports))
    elif as_json:
        typer.echo(json.dumps(reports[0] if len(reports) == 1 else reports, indent=2))
    else:
        typer.echo("\n".join(render_text(r) for r in reports))
