"""`llmctl release`: status, prepare, gate, promote and rollback of a stack's blue-green endpoints.

Exit codes: 0 ok, 1 gate blocked / canary rolled back / apply failed, 2 usage or config error,
130 interrupted. Every command takes --json and --endpoint (optional when the stack has one).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import typer

from components.endpoint.names import namespace
from llmctl.release import ops
from llmctl.release.apply import Applier, PulumiApplier
from llmctl.release.capacity import CapacityWait, DeploymentReader, KubernetesReader, deployment_name
from llmctl.release.errors import ReleaseError
from llmctl.release.evals import DEFAULT_MAX_ITEMS
from llmctl.release.gate import Target
from llmctl.release.target import DEFAULT_LOCK_TIMEOUT
from llmctl.release.watch import watch, watch_prometheus

release_app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_enable=False)

STACK = typer.Argument(..., help="Stack name: stacks/Pulumi.<stack>.yaml")
ENDPOINT = typer.Option(None, "--endpoint", "-e", help="Endpoint name (optional when the stack has one).")
JSON = typer.Option(False, "--json", help="Print one JSON document.")
LOCK_TIMEOUT = typer.Option(
    DEFAULT_LOCK_TIMEOUT, "--lock-timeout", help="Seconds to wait for another operator's lock on the stack before giving up (exit 2).")
NO_APPLY = typer.Option(False, "--no-apply", help="Only write the stack file (and history); apply later with `pulumi up`.")


def make_applier(root: Path) -> Applier:
    """The real applier (Pulumi Automation API); tests replace this function."""
    return PulumiApplier(root, on_output=lambda line: typer.echo(line, err=True))


def make_capacity_reader(kubeconfig: str | None, context: str | None) -> DeploymentReader:
    """The Kubernetes API reader of Deployment status; tests replace this function."""
    return KubernetesReader(kubeconfig, context)


def _capacity_wait(target: ops.Stack, name: str, to: str, timeout: float | None, poll: float, kubeconfig: str | None,
                   context: str | None) -> Any:
    """Before traffic first moves to `to`: wait for its Deployment to have the live slot's ready replicas.
    Default timeout: the slot's computed cold start from node request to ready (components/coldstart),
    the same figure as its Deployment's progress deadline."""
    from components.coldstart.sizing import slot_sizing

    endpoint = target.cfg.endpoints[name]
    slot = getattr(endpoint.slots, to)
    default = slot_sizing(target.cfg.gpu.pool(endpoint.pool), slot).timeouts.rollout_seconds
    wait = CapacityWait(make_capacity_reader(kubeconfig, context), timeout if timeout is not None else default,
                        poll, echo=lambda line: typer.echo(f"{name}: {line}", err=True))
    return lambda: wait(namespace(name), deployment_name(name, to), deployment_name(name, ops.other(to)), slot.replicas.max)


def _stack(stack: str, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> ops.Stack:
    from llmctl.synth.runner import project_root

    if not 0 <= lock_timeout <= 3600:
        raise ReleaseError(f"--lock-timeout {lock_timeout:g}: must be 0-3600 seconds")
    return ops.Stack.load(project_root(), stack, lock_timeout=lock_timeout, notify=lambda line: typer.echo(line, err=True))


def _emit(as_json: bool, doc: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        typer.echo(json.dumps(doc, indent=2))
    else:
        for line in lines:
            typer.echo(line)


def _run(body: Any) -> Any:
    try:
        return body()
    except ReleaseError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(exc.code) from None


@release_app.command()
def status(stack: str = STACK, endpoint: str | None = ENDPOINT, as_json: bool = JSON) -> None:
    """Weights, models and replicas of each slot, and the release history."""
    doc = _run(lambda: ops.status(_stack(stack), endpoint))
    lines = []
    for name, body in (doc["endpoints"].items() if "endpoints" in doc else [(doc["endpoint"], doc)]):
        lines.append(f"{doc['stack']}/{name}")
        for slot, info in body["slots"].items():
            reps = info["replicas"]
            lines.append(f"  {slot:<5} {info['weight']:>3}%  {info['model'] or '(empty)'}  replicas {reps['min']}..{reps['max']}")
        for entry in body["history"][-5:]:
            lines.append(f"  #{entry['id']} {entry['at']} {entry['action']} {entry['outcome']} {entry['to']['blue']}/{entry['to']['green']} by {entry['by']}")
        if body["unfinished"]:
            lines.append(_unfinished_line(doc["stack"], name, body["unfinished"]))
    _emit(as_json, doc, lines)


def _unfinished_line(stack: str, endpoint: str, info: dict[str, Any]) -> str:
    applied = ", ".join(f"{s}%" for s in info["stepsApplied"]) or "none"
    if info["running"]:
        return f"  RUNNING release #{info['release']} {info['action']} (pid {info['pid']}, steps applied: {applied})"
    return (f"  UNFINISHED release #{info['release']} {info['action']} {info['outcome']} (steps applied: {applied}; "
            f"from blue {info['from']['blue']} / green {info['from']['green']}): its process died; "
            f"`llmctl release rollback {stack} --endpoint {endpoint}` {'undoes' if info['action'] == 'promote' else 'finishes'} it")


@release_app.command()
def history(
    stack: str = STACK,
    repair: bool = typer.Option(False, "--repair", help="Move a damaged history aside and keep the entries that still validate."),
    lock_timeout: float = LOCK_TIMEOUT,
    as_json: bool = JSON,
) -> None:
    """Show the release history (validated), or --repair a damaged one."""
    from llmctl.release import history as hist
    from llmctl.release.lock import stack_lock

    def body() -> tuple[dict[str, Any], list[str]]:
        target = _stack(stack, lock_timeout)
        if not repair:
            entries = target.history().releases
            return ({"stack": stack, "releases": [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in entries]},
                    [f"#{e.id} {e.at} {e.endpoint} {e.action} {e.outcome} by {e.by}" for e in entries] or ["no releases recorded"])
        with stack_lock(target.root, stack, "history --repair", lock_timeout, target.notify):
            aside, kept = hist.repair(target.root, stack)
        if aside is None:
            return {"stack": stack, "repaired": False, "kept": len(kept)}, [f"{stack}: history is valid ({len(kept)} entries); nothing to repair"]
        line = (f"{stack}: damaged history moved to {aside.relative_to(target.root)}; kept {len(kept)} entries that still validate "
                f"({', '.join(f'#{e.id}' for e in kept) or 'none'}); compare with git before committing")
        return {"stack": stack, "repaired": True, "kept": len(kept), "movedTo": str(aside.relative_to(target.root))}, [line]

    doc, lines = _run(body)
    _emit(as_json, doc, lines)


@release_app.command()
def prepare(
    stack: str = STACK,
    slot: str = typer.Option(..., "--slot", help="The idle slot to load (blue|green)."),
    model: str = typer.Option(..., "--model", help="Model id, e.g. meta-llama/Llama-3.1-8B-Instruct."),
    image: str | None = typer.Option(None, "--image", help="Pinned serving image for this slot."),
    replicas: int | None = typer.Option(None, "--replicas", help="replicas.min once the slot takes traffic (max raised to match)."),
    endpoint: str | None = ENDPOINT,
    lock_timeout: float = LOCK_TIMEOUT,
    as_json: bool = JSON,
) -> None:
    """Set the idle slot's model (first step of a release); refuses the live slot. Apply with `pulumi up`."""
    doc = _run(lambda: ops.prepare(_stack(stack, lock_timeout), endpoint, slot, model, image, replicas))
    lines = [f"{doc['endpoint']}: slot {slot} now serves {model} (release #{doc['release']}); "
             f"run `pulumi up -s {stack}`, wait for it to be ready, then `llmctl release gate {stack} --slot {slot}`"]
    if doc["standbyReplicas"] == 0:
        lines.append(f"note: standbyReplicas is 0, so the idle slot runs no pods and a gate cannot reach it; "
                     f"set llm-platform:endpoints.{doc['endpoint']}.standbyReplicas to at least 1")
    _emit(as_json, doc, lines)


def _gate_request(slot: str, url: str | None, baseline_url: str | None, eval_set: str | None, model: str | None,
                  max_p95_ms: float | None, timeout: float, max_items: int, quiet: bool) -> ops.GateRequest:
    return ops.GateRequest(slot, url, baseline_url, eval_set, model, max_p95_ms, timeout, max_items,
                           None if quiet or not sys.stderr.isatty() else _progress_line())


def _progress_line() -> Any:
    """`gate: eval answers 30/44, 2.1s` rewritten in place on a terminal."""
    began = time.monotonic()

    def show(done: int, total: int) -> None:
        end = "\n" if done == total else ""
        sys.stderr.write(f"\rgate: eval answers {done}/{total}, {time.monotonic() - began:.1f}s{end}")
        sys.stderr.flush()

    return show


URL = typer.Option(None, "--url", help="Candidate base URL (default: the endpoint's host, header X-LLM-Slot: <slot>).")
BASELINE = typer.Option(None, "--baseline-url", help="Live slot base URL for the eval comparison (default: the endpoint's host).")
EVAL_SET = typer.Option(None, "--eval-set", help="JSONL eval set (default: endpoints.<name>.evalSet or release.defaultEvalSet).")
MODEL = typer.Option(None, "--model", help="Served model name expected in /v1/models (default: the slot's model).")
MAX_P95 = typer.Option(None, "--max-p95-ms", help="Latency SLO (default: release.maxP95Ms).")
TIMEOUT = typer.Option(60.0, "--timeout", help="Per-request timeout, seconds (0-3600].")
MAX_ITEMS = typer.Option(DEFAULT_MAX_ITEMS, "--max-items", help="Largest eval set accepted (each item is a request to both slots).")


@release_app.command()
def gate(
    stack: str = STACK,
    slot: str = typer.Option(..., "--slot", help="Candidate slot (blue|green)."),
    url: str | None = URL,
    baseline_url: str | None = BASELINE,
    eval_set: str | None = EVAL_SET,
    model: str | None = MODEL,
    max_p95_ms: float | None = MAX_P95,
    timeout: float = TIMEOUT,
    max_items: int = MAX_ITEMS,
    endpoint: str | None = ENDPOINT,
    as_json: bool = JSON,
) -> None:
    """Health, served model, smoke completion, p95 latency and eval accuracy vs the live slot. Exit 0 pass, 1 fail."""
    name, report = _run(lambda: ops.gate(_stack(stack), endpoint, _gate_request(
        slot, url, baseline_url, eval_set, model, max_p95_ms, timeout, max_items, as_json)))
    _emit(as_json, {"stack": stack, "endpoint": name, **report.as_json()}, [report.table()])
    raise typer.Exit(0 if report.passed else 1)


def _steps(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise ReleaseError(f"--steps {text}: expected comma-separated integers, e.g. 10,50,100") from None


@release_app.command()
def promote(
    stack: str = STACK,
    to: str = typer.Option(..., "--to", help="Slot to shift traffic to (blue|green)."),
    steps: str | None = typer.Option(None, "--steps", help="Canary weights for the target slot (default: release.canarySteps)."),
    no_apply: bool = NO_APPLY,
    skip_gate: bool = typer.Option(False, "--skip-gate", help="Promote without running the gate (emergencies only)."),
    watch_url: str | None = typer.Option(None, "--watch-url", help="Live route probed between canary steps (default: the endpoint's host)."),
    prometheus_url: str | None = typer.Option(
        None, "--prometheus-url", help="Judge canary steps from Prometheus (the canary slot's 5xx share and p95) instead of probes."),
    step_pause: float | None = typer.Option(None, "--step-pause", help="Watch time between steps, seconds (default: release.stepPauseSeconds)."),
    url: str | None = URL,
    baseline_url: str | None = BASELINE,
    eval_set: str | None = EVAL_SET,
    model: str | None = MODEL,
    max_p95_ms: float | None = MAX_P95,
    timeout: float = TIMEOUT,
    max_items: int = MAX_ITEMS,
    capacity_timeout: float | None = typer.Option(
        None, "--capacity-timeout", help="Seconds to wait for the slot's ready replicas before traffic moves (default: its startup budget + 600)."),
    capacity_poll: float = typer.Option(15.0, "--capacity-poll", help="Seconds between Deployment status reads."),
    kubeconfig: str | None = typer.Option(None, "--kubeconfig", help="Kubeconfig to read Deployment status with (default: $KUBECONFIG or ~/.kube/config)."),
    context: str | None = typer.Option(None, "--context", help="Kubeconfig context (default: the current one)."),
    endpoint: str | None = ENDPOINT,
    lock_timeout: float = LOCK_TIMEOUT,
    as_json: bool = JSON,
) -> None:
    """Gate, then shift weights to --to (canary steps, watched, rolled back on breach); writes and applies the stack file.
    Before traffic first moves, waits until the slot has the live slot's ready replicas (exit 1 on timeout, no weight moved)."""

    def body() -> ops.Outcome:
        target = _stack(stack, lock_timeout)
        name, cfg = target.endpoint(endpoint)
        request = _gate_request(to, url, baseline_url, eval_set, model, max_p95_ms, timeout, max_items, as_json)
        ops.check_url("--watch-url", watch_url)
        ops.check_url("--prometheus-url", prometheus_url)
        if step_pause is not None and not 0 <= step_pause <= 3600:
            raise ReleaseError(f"--step-pause {step_pause:g}: must be 0-3600 seconds")
        release = target.cfg.release
        pause = release.step_pause_seconds if step_pause is None else step_pause

        def gate_run(endpoint_name: str) -> Any:
            return ops.gate(target, endpoint_name, request)[1]

        slo = max_p95_ms or release.max_p95_ms
        if prometheus_url:
            def watch_run() -> Any:
                return watch_prometheus(prometheus_url, name, to, pause, release.max_error_rate_pct, slo)
        else:
            # Resolved before any traffic moves, and only when there are steps to watch; no slot
            # header and no model name: the probes see what clients see, whichever slot answers.
            walk = ops.plan_steps(ops.weights_of(cfg)[ops.check_slot(to)], _steps(steps) or release.canary_steps)
            needs_url = not no_apply and len(walk) > 1 and not watch_url
            live = Target(watch_url or (ops.route_url(target, cfg, name) if needs_url else ""), model="", headers=ops.release_key_headers())

            def watch_run() -> Any:
                return watch(live, release.latency_requests, pause, release.max_error_rate_pct, slo, timeout_seconds=timeout)

        applier = None if no_apply else make_applier(target.root)
        capacity = None if no_apply else _capacity_wait(target, name, ops.check_slot(to), capacity_timeout, capacity_poll, kubeconfig, context)
        return ops.promote(target, name, to, _steps(steps), applier, None if skip_gate else gate_run, watch_run, capacity)

    outcome = _run(body)
    _emit(as_json, outcome.doc, outcome.lines)
    raise typer.Exit(outcome.code)


@release_app.command()
def rollback(stack: str = STACK, no_apply: bool = NO_APPLY, endpoint: str | None = ENDPOINT,
             lock_timeout: float = LOCK_TIMEOUT, as_json: bool = JSON) -> None:
    """Undo an unfinished release, else restore the weights from before the last completed promote (a second rollback is a no-op)."""

    def body() -> ops.Outcome:
        target = _stack(stack, lock_timeout)
        return ops.rollback(target, endpoint, None if no_apply else make_applier(target.root))

    outcome = _run(body)
    _emit(as_json, outcome.doc, outcome.lines)
    raise typer.Exit(outcome.code)
