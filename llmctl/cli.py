"""llmctl: synthesize, check, estimate and release stacks of the LLM platform.

Config errors print one line naming the stack file and key and exit 2; no tracebacks.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

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
            for warning in load_stack(stack, root).warnings():
                typer.echo(f"warning: {warning}", err=True)
        for stack in stacks:
            _check_out(out or Path("build") / stack, "--out" if out else "output folder")
        for stack in stacks:
            _, text = synth_to(stack, out or Path("build") / stack, root)
            typer.echo(text)
    except ConfigError as exc:
        fail(str(exc))


def _check_out(folder: Path, option: str) -> None:
    """The output folder exists (made if missing) and takes files, before any synthesis runs."""
    import tempfile

    if folder.exists() and not folder.is_dir():
        fail(f"{option} {folder}: is a file; give a folder (created when missing)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        fail(f"{option} {folder}: cannot write there ({exc.strerror or type(exc).__name__})")


def _load_inventory(path: Path) -> Any:
    """An inventory.json written by `llmctl synth`, or exit 2 naming the file and what is wrong."""
    import json

    from infra.config import PROJECT
    from llmctl.synth.inventory import Inventory

    what = "not an inventory written by `llmctl synth`"
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        fail(f"{path}: no such inventory; write one with `llmctl synth STACK`")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        fail(f"{path}: {what} ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'unreadable'})")
    if not isinstance(doc, dict) or doc.get("project") != PROJECT or not isinstance(doc.get("resources"), list) or "stack" not in doc:
        fail(f"{path}: {what} (expected an object with stack, project {PROJECT!r} and a resources list)")
    if not doc["resources"]:
        fail(f"{path}: the inventory has no resources, so every policy would pass; synthesize the stack with `llmctl synth STACK`")
    try:
        return Inventory.from_json(doc)
    except (KeyError, TypeError, AttributeError) as exc:
        fail(f"{path}: {what} (a resource lacks {exc})")


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
    from llmctl.synth.runner import project_root, synth_stack

    if (stack is None) == (inventory is None):
        fail("give a STACK to synthesize or --inventory FILE (one of them)")
    try:
        config = load_policy_config(policy_config)
        inv = _load_inventory(inventory) if inventory else synth_stack(stack, project_root())
    except (ConfigError, ValueError) as exc:
        fail(str(exc))
    try:
        result = check_inventory(inv, config)
    except ValueError as exc:  # a bad enforcement level in the policy config
        fail(str(exc))
    typer.echo(render_json(result) if as_json else render_table(result))
    raise typer.Exit(result.exit_code)


@app.command()
def preflight(
    stack: str = typer.Argument(..., help="Stack to check before deploying: stacks/Pulumi.<stack>.yaml."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON."),
) -> None:
    """Check with your AWS credentials what would fail minutes into a deploy; exit 1 when something blocks."""
    from llmctl.preflight.cli import run_preflight

    try:
        code = run_preflight(stack, as_json)
    except ConfigError as exc:
        fail(str(exc))
    raise typer.Exit(code)


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

from llmctl.keys.cli import keys_app  # noqa: E402
from llmctl.release.cli import release_app  # noqa: E402

app.add_typer(release_app, name="release")
app.add_typer(keys_app, name="keys")

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
