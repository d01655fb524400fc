"""`llmctl cost estimate` and `llmctl cost report`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from infra.config import ConfigError

cost_app = typer.Typer(no_args_is_help=True, help="Estimate a stack's monthly cost; report spend and $/1M tokens per team/model.")


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@cost_app.command()
def estimate(
    stack: str | None = typer.Argument(None, help="Stack to synthesize and price: stacks/Pulumi.<stack>.yaml."),
    inventory: Path | None = typer.Option(None, "--inventory", help="Price an inventory.json written by `llmctl synth` instead."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    live: bool = typer.Option(False, "--live", help="Refresh prices from the AWS Pricing API and EC2 spot history (needs credentials)."),
    settings: list[str] = typer.Option([], "--set", help="Change one assumption, e.g. --set nat_data_gb_per_month=500 (repeatable; keys as in --json)."),
) -> None:
    """Monthly cost (min / expected / max) of a synthesized stack from the pinned price table."""
    from botocore.exceptions import BotoCoreError, ClientError

    from infra.config import load_stack, stack_file
    from llmctl.cost.capacity import capacity
    from llmctl.cost.estimate import AssumptionError, Assumptions, render_text
    from llmctl.cost.estimate import estimate as run_estimate
    from llmctl.cost.prices import PriceError, has_credentials, pinned, refreshed
    from llmctl.synth.inventory import Inventory
    from llmctl.synth.runner import project_root, synth_stack

    if (stack is None) == (inventory is None):
        _fail("give a STACK or --inventory FILE (exactly one)")
    try:
        Assumptions().with_settings(settings)  # a bad --set fails before the synth
    except AssumptionError as exc:
        _fail(str(exc))
    root = project_root()
    try:
        if inventory is not None:
            try:
                inv = Inventory.load(inventory)
            except (OSError, ValueError, KeyError) as exc:
                _fail(f"--inventory {inventory}: not a readable inventory ({exc})")
            cfg = load_stack(inv.stack, root) if stack_file(inv.stack, root).is_file() else None
        else:
            cfg = load_stack(stack, root)
            inv = synth_stack(stack, root)
    except ConfigError as exc:
        _fail(str(exc))
    cap = capacity(inv, cfg)
    if not cap.region:
        _fail(f"inventory of stack {inv.stack} exports no region and stacks/Pulumi.{inv.stack}.yaml is absent")
    assumptions = (Assumptions.from_config(cfg.cost) if cfg is not None else Assumptions()).with_settings(settings)
    try:
        prices = pinned(cap.region)
        if live:
            if has_credentials():
                types = sorted({t for p in cap.pools.values() for t in p.instance_types} | {g.instance_type for g in cap.node_groups})
                try:
                    prices = refreshed(prices, types)
                except (BotoCoreError, ClientError) as exc:
                    typer.echo(f"warning: --live: {str(exc).splitlines()[0]}; using the pinned price table", err=True)
            else:
                typer.echo("warning: --live: no AWS credentials found; using the pinned price table", err=True)
        result = run_estimate(cap, prices, assumptions, _cold_starts(inv.stack, cfg, root))
    except PriceError as exc:
        _fail(str(exc))
    typer.echo(json.dumps(result, indent=2) if as_json else render_text(result))


def _cold_starts(stack: str, cfg, root) -> dict[tuple[str, str], dict[str, float]]:
    """(endpoint, slot) -> cached and first-start cold start seconds, when the stack file is at hand."""
    if cfg is None:
        return {}
    from components.coldstart.imagecache import load_record
    from llmctl.coldstart.report import slot_rows

    return {
        (row["endpoint"], row["slot"]): {k: row["scenarios"][k]["total_seconds"] for k in ("cached", "first_start")}
        for row in slot_rows(cfg, load_record(stack, root)) if "scenarios" in row
    }


@cost_app.command()
def report(
    start: str = typer.Option(..., "--start", help="First day, YYYY-MM-DD (inclusive)."),
    end: str = typer.Option(..., "--end", help="Last day, YYYY-MM-DD (exclusive, as Cost Explorer counts)."),
    granularity: str = typer.Option("MONTHLY", "--granularity", help="MONTHLY or DAILY."),
    group_by: str = typer.Option("team,model", "--group-by", help="Comma-separated tag keys; two per Cost Explorer query."),
    tokens: str | None = typer.Option(None, "--tokens", help="Output tokens served per model: model=N,... (k/M/B suffixes)."),
    prometheus_url: str | None = typer.Option(None, "--prometheus-url", help="Count output tokens per model from this Prometheus."),
    model_label: str = typer.Option("model", "--model-label", help="Prometheus label holding the model on vLLM series."),
    token_source: str = typer.Option(
        "vllm", "--token-source",
        help="With --prometheus-url: vllm (output tokens per model) or gateway (tokens, requests and $ per endpoint and team, docs/metering.md).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Spend from Cost Explorer grouped by cost tags, and $ per 1M tokens per model, or per endpoint, team and query."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from llmctl.cost.report import ReportError, render_text, token_counts
    from llmctl.cost.report import report as run_report

    for flag, value in (("--start", start), ("--end", end)):
        try:
            date.fromisoformat(value)
        except ValueError:
            _fail(f"{flag} {value}: expected a date YYYY-MM-DD")
    granularity = granularity.upper()
    if granularity not in ("MONTHLY", "DAILY"):
        _fail(f"--granularity {granularity}: expected MONTHLY or DAILY")
    keys = [k.strip() for k in group_by.split(",") if k.strip()]
    if not keys or len(set(keys)) != len(keys):
        _fail(f"--group-by {group_by!r}: expected distinct tag keys, e.g. team,model,environment")
    if tokens and prometheus_url:
        _fail("give --tokens or --prometheus-url, not both")
    if token_source not in ("vllm", "gateway"):
        _fail(f"--token-source {token_source}: expected vllm or gateway")
    if token_source == "gateway" and not prometheus_url:
        _fail("--token-source gateway reads the gateway's series: give --prometheus-url")
    try:
        gateway = None
        if token_source == "gateway":
            from llmctl.cost.gateway_usage import gateway_usage

            counted, gateway = None, gateway_usage(prometheus_url, start, end)
        else:
            counted = token_counts(start, end, tokens, prometheus_url, model_label)
        # Cost Explorer's API endpoint is in us-east-1 whatever the stack's region; boto3
        # honours AWS_ENDPOINT_URL (tests point it at moto_server).
        ce = boto3.client("ce", region_name="us-east-1")
        result = run_report(ce, start, end, granularity, keys, counted, gateway)
    except ReportError as exc:
        _fail(str(exc))
    except (BotoCoreError, ClientError) as exc:
        _fail(f"Cost Explorer: {exc}", code=1)
    typer.echo(json.dumps(result, indent=2) if as_json else render_text(result))


def stack_tag_keys(cfg) -> list[str]:
    """The keys to activate: the stack's own tag keys plus the cost-allocation keys serving resources add."""
    from components.cost.models import COST_ALLOCATION_TAG_KEYS

    return list(dict.fromkeys([*COST_ALLOCATION_TAG_KEYS, *cfg.tags]))


@cost_app.command("activate-tags")
def activate_tags(
    stack: str = typer.Argument(..., help="Stack whose tag keys to activate: stacks/Pulumi.<stack>.yaml."),
    backfill_from: str | None = typer.Option(
        None, "--backfill-from", help="Backfill the activation from this day, YYYY-MM-DD (default: the 1st of this month)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Activate the stack's cost-allocation tag keys that billing has seen (payer account); list the rest as pending."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from infra.config import load_stack
    from llmctl.cost.tags import activate, render_text
    from llmctl.synth.runner import project_root

    try:
        cfg = load_stack(stack, project_root())
    except ConfigError as exc:
        _fail(str(exc))
    try:
        since = date.fromisoformat(backfill_from) if backfill_from else date.today().replace(day=1)
    except ValueError:
        _fail(f"--backfill-from {backfill_from}: expected a date YYYY-MM-DD")
    try:
        ce = boto3.client("ce", region_name="us-east-1")  # Cost Explorer's endpoint; honours AWS_ENDPOINT_URL
        result = activate(ce, stack_tag_keys(cfg), since)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        hint = "; only the payer (management) account of the Organization can activate tags" if "AccessDenied" in code else ""
        _fail(f"Cost Explorer: {code or exc}{hint}", code=1)
    except BotoCoreError as exc:
        _fail(f"Cost Explorer: {exc}", code=1)
    typer.echo(json.dumps(result.to_dict(), indent=2) if as_json else render_text(stack, result))
    if result.errors:
        raise typer.Exit(1)
