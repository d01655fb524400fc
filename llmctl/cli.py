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
    stacks: list[str] = typer.Argument(..., help="Stack name(s): stacks/Pulumi.<stack>.yaml. Several share one process (imports paid once)."),
    out: Path | None = typer.Option(None, "--out", help="Output folder (default build/<stack>); only with a single stack."),
) -> None:
    """Run the infra program offline under recording mocks and write inventory, manifests and IAM."""
    from infra.config import load_stack
    from llmctl.synth.runner import project_root, synth_to

    if out is not None and len(stacks) > 1:
        fail("--out takes a single stack; several stacks go to build/<stack>")
    root = project_root()
    try:
        for stack in stacks:  # validate every stack file before writing anything
            load_stack(stack, root)
        for stack in stacks:
            _, text = synth_to(stack, out or Path("build") / stack, root)
            typer.echo(text)
    except ConfigError as exc:
        fail(str(exc))


@app.command()
def check(
    stack: str | None = typer.Argument(None, help="Stack to synthesize and check (stacks/Pulumi.<stack>.yaml)."),
    inventory: Path | None = typer.Option(None, "--inventory", help="Check this inventory.json instead of synthesizing."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    policy_config: Path | None = typer.Option(None, "--policy-config", help="Policy config JSON (same format as --policy-pack-config)."),
) -> None:
    """Run the policy pack's rules offline; exit 1 on any mandatory violation."""
    from llmctl.check import check_inventory, render_json, render_table
    from llmctl.check.run import load_policy_config
    from llmctl.synth.inventory import Inventory
    from llmctl.synth.runner import project_root, synth_stack

    if (stack is None) == (inventory is None):
        fail("give a STACK to synthesize or --inventory FILE (one of them)")
    try:
        config = load_policy_config(policy_config)
        inv = Inventory.load(inventory) if inventory else synth_stack(stack, project_root())
    except (ConfigError, ValueError) as exc:
        fail(str(exc))
    except (OSError, KeyError, TypeError) as exc:
        fail(f"{inventory}: not a readable inventory ({exc})")
    try:
        result = check_inventory(inv, config)
    except ValueError as exc:  # a bad enforcement level in the policy config
        fail(str(exc))
    typer.echo(render_json(result) if as_json else render_table(result))
    raise typer.Exit(result.exit_code)


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


from llmctl.cost.cli import cost_app  # noqa: E402  (sub-apps register after the root commands)

app.add_typer(cost_app, name="cost")

from llmctl.release.cli import release_app  # noqa: E402

app.add_typer(release_app, name="release")

from llmctl.coldstart.cli import coldstart  # noqa: E402
from llmctl.image.cli import image_app  # noqa: E402

app.add_typer(image_app, name="image")

app.command()(coldstart)


def main() -> None:
    try:
        app()
    except ConfigError as exc:  # raised outside a command's own handling
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
