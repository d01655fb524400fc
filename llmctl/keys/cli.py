"""`llmctl keys create|list|revoke STACK --team T`."""

from __future__ import annotations

import json

import typer

keys_app = typer.Typer(no_args_is_help=True, help="Per-team API keys of a stack's gateway (AWS Secrets Manager).")

STACK = typer.Argument(..., help="Stack: stacks/Pulumi.<stack>.yaml (its cluster and region name the secrets).")
TEAM = typer.Option(None, "--team", help="Team (a key of llm-platform:teams, or an endpoint's owner).")
RELEASE = typer.Option(False, "--release", help="The release tooling's own key (the only one the X-LLM-Slot preview rules admit).")
JSON = typer.Option(False, "--json", help="Print JSON.")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _store(stack: str, team: str | None, release: bool):
    """The stack's key store, after checking the team may hold keys on it (team None: --release)."""
    import boto3

    from infra.config import ConfigError, load_stack
    from infra.providers import cluster_name
    from llmctl.keys.store import KeyStore
    from llmctl.synth.runner import project_root

    try:
        cfg = load_stack(stack, project_root())
    except ConfigError as exc:
        _fail(str(exc))
    except FileNotFoundError:
        _fail(f"stacks/Pulumi.{stack}.yaml does not exist")
    if cfg.gateway.oidc is not None:
        _fail(f"stack {stack} authenticates with the IdP's tokens (gateway.oidc in stacks/Pulumi.{stack}.yaml): "
              "its gateway admits no API keys; issue tokens with the team claim in the IdP")
    teams = sorted({*cfg.teams, *(e.team for e in cfg.endpoints.values())})
    if (team is None) == (not release):
        _fail("give --team TEAM or --release (exactly one)")
    if team is not None and team not in teams:
        _fail(f"--team {team}: not a team of stack {stack}; teams: {', '.join(teams)}")
    return KeyStore(boto3.client("secretsmanager", region_name=cfg.region), cluster_name(cfg))


def _run(action):
    from botocore.exceptions import BotoCoreError, ClientError

    from llmctl.keys.store import KeyStoreError

    try:
        return action()
    except KeyStoreError as exc:
        _fail(str(exc))
    except (BotoCoreError, ClientError) as exc:
        _fail(f"Secrets Manager: {exc}")


@keys_app.command()
def create(stack: str = STACK, team: str | None = TEAM, release: bool = RELEASE, as_json: bool = JSON) -> None:
    """A new key for TEAM (or the release tooling); the key is printed this once and never again."""
    store = _store(stack, team, release)
    info, key = _run(lambda: store.create(team))
    if as_json:
        typer.echo(json.dumps({**info.as_dict(), "key": key}))
    else:
        typer.echo(f"created key {info.key_id} for {team or 'the release tooling'} (client id {info.client_id}); it reaches the gateway after the next `pulumi up`")
        typer.echo(f"key (shown once, store it now): {key}")


@keys_app.command("list")
def list_keys(stack: str = STACK, team: str | None = TEAM, release: bool = RELEASE, as_json: bool = JSON) -> None:
    """TEAM's key ids and creation times (never the keys)."""
    store = _store(stack, team, release)
    infos = _run(lambda: store.list(team))
    if as_json:
        typer.echo(json.dumps([i.as_dict() for i in infos]))
        return
    if not infos:
        typer.echo(f"{team or 'the release tooling'} has no keys")
    for info in infos:
        typer.echo(f"{info.key_id}  {info.client_id}  created {info.created}")


@keys_app.command()
def revoke(stack: str = STACK, team: str | None = TEAM, release: bool = RELEASE, key_id: str = typer.Option(..., "--key-id", help="Key id from `llmctl keys list`."),
           as_json: bool = JSON) -> None:
    """Remove a key; the gateway refuses it after the next `pulumi up`."""
    store = _store(stack, team, release)
    info = _run(lambda: store.revoke(team, key_id))
    if as_json:
        typer.echo(json.dumps({**info.as_dict(), "revoked": True}))
    else:
        typer.echo(f"revoked key {info.key_id} of {team or 'the release tooling'}; run `pulumi up` to remove it from the gateway")
