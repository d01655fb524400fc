"""llmctl: synthesize, check, estimate and release stacks of the LLM platform.

Config errors print one line naming the stack file and key and exit 2; no tracebacks.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from infra.config import ConfigError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)


@app.callback()
def _root() -> None:
    """llmctl: synthesize, check, estimate and release stacks of the LLM platform."""


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def synth(
    stack: str = typer.Argument(..., help="Stack name: stacks/Pulumi.<stack>.yaml"),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default build/<stack>)."),
) -> None:
    """Run the infra program offline under recording mocks and write inventory, manifests and IAM."""
    from llmctl.synth.runner import project_root, synth_to

    try:
        _, text = synth_to(stack, out or Path("build") / stack, project_root())
    except ConfigError as exc:
        fail(str(exc))
    typer.echo(text)


@app.command()
def schema(
    markdown: bool = typer.Option(False, "--markdown", help="Print the configuration reference as Markdown instead."),
) -> None:
    """Print the JSON schema of stack files (stacks/stack.schema.json is this output)."""
    import json

    from infra.config import json_schema
    from infra.reference import markdown_reference

    if markdown:
        typer.echo(markdown_reference(), nl=False)
    else:
        typer.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


def main() -> None:
    try:
        app()
    except ConfigError as exc:  # raised outside a command's own handling
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
