"""Release gate: is the candidate slot healthy, serving the right model, fast and as accurate as
the live slot? Every request goes through the real route (the gateway's preview rule `X-LLM-Slot: <slot>`)
unless a URL is given, with explicit timeouts.
"""

from __future__ import annotations

import math
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from threading import Lock
from typing import Any, Literal

import certifi
import httpx

from components.endpoint.names import SLOT_HEADER
from llmctl.release.evals import EvalItem, load_eval_set
from llmctl.release.stats import items_needed, pair

__all__ = ["SLOT_HEADER", "EvalItem", "GateReport", "GateSettings", "Target", "load_eval_set", "run_gate"]

SMOKE_PROMPT = "Reply with the single word: ready"
EVAL_WORKERS = 8


@dataclass(frozen=True)
class Target:
    """One slot as seen from the client: base URL, headers (slot header, Host), served model."""

    url: str
    model: str
    headers: dict[str, str] = field(default_factory=dict)
    kind: Literal["chat", "embedding"] = "chat"


@dataclass(frozen=True)
class GateSettings:
    latency_requests: int
    max_p95_ms: float
    max_accuracy_drop: float
    timeout_seconds: float = 60.0
    max_tokens: int = 64
    progress: Callable[[int, int], None] | None = None  # (eval answers done, total), for a terminal


@dataclass
class Check:
    name: str
    passed: bool
    detail: str
    seconds: float = 0.0
    data: dict[str, Any] | None = None


@dataclass
class GateReport:
    target: str
    model: str
    checks: list[Check]
    seconds: float

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        checks = [{k: v for k, v in {**asdict(c), "seconds": round(c.seconds, 3)}.items() if v is not None} for c in self.checks]
        return {"target": self.target, "model": self.model, "passed": self.passed, "seconds": round(self.seconds, 3), "checks": checks}

    def table(self) -> str:
        width = max(len(c.name) for c in self.checks)
        lines = [f"gate {self.target} ({self.model})"]
        lines += [f"  {'PASS' if c.passed else 'FAIL'}  {c.name:<{width}}  {c.detail}  [{c.seconds:.2f}s]" for c in self.checks]
        lines.append(f"  {'PASSED' if self.passed else 'BLOCKED'} in {self.seconds:.2f}s")
        return "\n".join(lines)


def p95(samples_ms: list[float]) -> float:
    """Nearest-rank 95th percentile."""
    ordered = sorted(samples_ms)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class Client:
    """The few OpenAI-compatible calls a gate makes, against one target."""

    def __init__(self, target: Target, timeout_seconds: float, max_tokens: int):
        self.target = target
        self.max_tokens = max_tokens
        timeout = httpx.Timeout(timeout_seconds, connect=min(5.0, timeout_seconds))
        self.http = httpx.Client(base_url=target.url.rstrip("/"), headers=target.headers, timeout=timeout, follow_redirects=False,
                                 verify=_tls())

    def close(self) -> None:
        self.http.close()

    def health(self) -> None:
        self.http.get("/health").raise_for_status()

    def models(self) -> list[str]:
        response = self.http.get("/v1/models")
        response.raise_for_status()
        return [m.get("id") for m in response.json().get("data", [])]

    def complete(self, prompt: str) -> str:
        if self.target.kind == "embedding":
            response = self.http.post("/v1/embeddings", json={**self._model(), "input": prompt})
            response.raise_for_status()
            vector = response.json()["data"][0]["embedding"]
            if not vector:
                raise ValueError("empty embedding")
            return f"<{len(vector)}-dim embedding>"
        body = {**self._model(), "messages": [{"role": "user", "content": prompt}], "max_tokens": self.max_tokens, "temperature": 0}
        response = self.http.post("/v1/chat/completions", json=body)
        response.raise_for_status()
        content = response.json()["choices"][0]["message"]["content"]
        if not isinstance(content, str) or not content.strip():
            raise ValueError("empty completion")
        return content

    def _model(self) -> dict[str, str]:
        # No model name: vLLM answers with the model it serves. The canary watch relies on this,
        # since during a canary the two slots behind the live route may serve different models.
        return {"model": self.target.model} if self.target.model else {}

    def timed(self, prompt: str) -> float:
        start = time.perf_counter()
        self.complete(prompt)
        return (time.perf_counter() - start) * 1000


@cache
def _tls() -> ssl.SSLContext:
    """One verifying TLS context for every client (building one loads the CA bundle each time)."""
    return ssl.create_default_context(cafile=certifi.where())


def _error(exc: Exception) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code} from {exc.request.url.path}"
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {exc}"
    return f"bad response: {type(exc).__name__}: {exc}"


class Progress:
    """Counts eval answers from both slots' worker threads and reports (done, total)."""

    def __init__(self, total: int, report: Callable[[int, int], None] | None):
        self.total, self.report, self.done = total, report, 0
        self._lock = Lock()

    def tick(self) -> None:
        if self.report is not None:
            with self._lock:
                self.done += 1
                self.report(self.done, self.total)


def answers(client: Client, items: list[EvalItem], progress: Progress) -> list[bool | None]:
    """Per item: right (True), wrong (False) or the request failed (None)."""

    def one(item: EvalItem) -> bool | None:
        try:
            return item.score(client.complete(item.prompt))
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
            return None
        finally:
            progress.tick()

    with ThreadPoolExecutor(EVAL_WORKERS) as pool:
        return list(pool.map(one, items))


def judge(candidate: list[bool | None], baseline: list[bool | None], limit_points: float) -> tuple[bool, str, dict[str, Any]]:
    """Paired comparison on the items the baseline answered: block when the 95 % interval of the
    drop (stats.PairedDrop.interval) lies wholly above the limit."""
    pairs = [(b, bool(c)) for b, c in zip(baseline, candidate, strict=True) if b is not None]
    drop = pair([b for b, _ in pairs], [c for _, c in pairs])
    low, high = (100 * x for x in drop.interval())
    needed = items_needed(limit_points / 100)
    passed = low <= limit_points
    data = {"items": drop.n, "candidatePct": round(100 * drop.candidate, 2), "baselinePct": round(100 * drop.baseline, 2),
            "dropPoints": round(100 * drop.drop, 2), "ci95": [round(low, 2), round(high, 2)], "lost": drop.lost, "gained": drop.gained,
            "limitPoints": limit_points, "itemsNeeded": needed, "candidateErrors": sum(1 for c in candidate if c is None)}
    detail = (f"{100 * drop.candidate:.1f}% vs live {100 * drop.baseline:.1f}% on {drop.n} paired prompts: drop {100 * drop.drop:.1f} "
              f"points (95% CI {low:.1f} to {high:.1f}; {drop.lost} lost, {drop.gained} gained); blocks when the CI's lower bound "
              f"exceeds {limit_points:g}")
    if data["candidateErrors"]:
        detail += f"; {data['candidateErrors']} candidate errors counted wrong"
    if needed is not None and drop.n < needed:
        detail += f"; too few items for a {limit_points:g}-point limit: {needed} are needed to block a {2 * limit_points:g}-point drop"
    return passed, detail, data


def eval_check(client: Client, baseline: Target | None, items: list[EvalItem], settings: GateSettings) -> tuple[Any, ...]:
    """Both slots answer every item at once; the paired comparison judges the drop."""
    if client.target.kind == "embedding":
        return True, "not applicable to embedding models"
    progress = Progress(len(items) * (2 if baseline else 1), settings.progress)
    with ThreadPoolExecutor(2) as pool:
        mine = pool.submit(answers, client, items, progress)
        theirs = pool.submit(_baseline_answers, baseline, items, settings, progress)
        cand, base = mine.result(), theirs.result()
    if base is None:
        right = sum(1 for c in cand if c)
        return False, f"{100 * right / len(items):.1f}% on {len(items)} prompts; no baseline (pass --baseline-url)"
    return judge(cand, base, settings.max_accuracy_drop)


def run_gate(candidate: Target, baseline: Target | None, items: list[EvalItem], settings: GateSettings,
             clock: Callable[[], float] = time.perf_counter) -> GateReport:
    """Run the checks in order; once the slot is unhealthy or serves the wrong model the rest are skipped."""
    start = clock()
    client = Client(candidate, settings.timeout_seconds, settings.max_tokens)
    checks: list[Check] = []

    def check(name: str, body: Callable[[], tuple[Any, ...]]) -> bool:
        began = clock()
        data = None
        try:
            passed, detail, *extra = body()
            data = extra[0] if extra else None
        except Exception as exc:  # any transport/shape failure blocks the release, with its reason
            passed, detail = False, _error(exc)
        checks.append(Check(name, passed, detail, clock() - began, data))
        return passed

    def health() -> tuple[bool, str]:
        client.health()
        return True, "GET /health 200"

    def models() -> tuple[bool, str]:
        served = client.models()
        return candidate.model in served, f"serves {', '.join(map(str, served)) or 'nothing'}"

    def smoke() -> tuple[bool, str]:
        answer = client.complete(SMOKE_PROMPT)
        return True, f"answered {answer.strip()[:40]!r}"

    def latency() -> tuple[bool, str]:
        samples, errors = [], 0
        for _ in range(settings.latency_requests):
            try:
                samples.append(client.timed(SMOKE_PROMPT))
            except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
                errors += 1
        if not samples:
            return False, f"all {errors} probe requests failed"
        value = p95(samples)
        ok = value <= settings.max_p95_ms and errors == 0
        return ok, f"p95 {value:.0f} ms over {len(samples)} requests (SLO {settings.max_p95_ms:.0f} ms), {errors} errors"

    try:
        if check("health", health) and check("model", models):
            check("smoke", smoke)
            check("latency", latency)
            check("eval", lambda: eval_check(client, baseline, items, settings))
        else:
            done = {c.name for c in checks}
            checks.extend(Check(n, False, "skipped: candidate not serving") for n in ("model", "smoke", "latency", "eval") if n not in done)
    finally:
        client.close()
    return GateReport(candidate.url + _slot_suffix(candidate), candidate.model, checks, clock() - start)


def _baseline_answers(baseline: Target | None, items: list[EvalItem], settings: GateSettings, progress: Progress) -> list[bool | None] | None:
    if baseline is None:
        return None
    client = Client(baseline, settings.timeout_seconds, settings.max_tokens)
    try:
        results = answers(client, items, progress)
    finally:
        client.close()
    if all(r is None for r in results):
        raise httpx.HTTPError("baseline unreachable: every eval request failed")
    return results


def _slot_suffix(target: Target) -> str:
    slot = target.headers.get(SLOT_HEADER)
    return f" [{SLOT_HEADER}: {slot}]" if slot else ""
