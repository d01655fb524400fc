"""Release gate: is the candidate slot healthy, serving the right model, fast and as accurate as
the live slot? Every request goes through the real route (ALB header rule `X-LLM-Slot: <slot>`)
unless a URL is given, with explicit timeouts.
"""

from __future__ import annotations

import json
import math
import ssl
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

import certifi
import httpx

from components.endpoint.names import SLOT_HEADER
from llmctl.release.errors import ReleaseError

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


@dataclass(frozen=True)
class EvalItem:
    prompt: str
    expected: str


@dataclass
class Check:
    name: str
    passed: bool
    detail: str
    seconds: float = 0.0


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
        return {"target": self.target, "model": self.model, "passed": self.passed, "seconds": round(self.seconds, 3),
                "checks": [{**asdict(c), "seconds": round(c.seconds, 3)} for c in self.checks]}

    def table(self) -> str:
        width = max(len(c.name) for c in self.checks)
        lines = [f"gate {self.target} ({self.model})"]
        lines += [f"  {'PASS' if c.passed else 'FAIL'}  {c.name:<{width}}  {c.detail}  [{c.seconds:.2f}s]" for c in self.checks]
        lines.append(f"  {'PASSED' if self.passed else 'BLOCKED'} in {self.seconds:.2f}s")
        return "\n".join(lines)


def load_eval_set(path: Path, label: str | None = None) -> list[EvalItem]:
    """JSONL, one {"prompt": ..., "expected": ...} per line; blank lines ignored."""
    label = label or str(path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise ReleaseError(f"{label}: no such eval set") from None
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ReleaseError(f"{label}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(row, dict) or set(row) != {"prompt", "expected"} or not all(isinstance(v, str) and v.strip() for v in row.values()):
            raise ReleaseError(f"{label}:{number}: expected {{\"prompt\": <text>, \"expected\": <text>}} with non-empty strings")
        items.append(EvalItem(row["prompt"], row["expected"]))
    if not items:
        raise ReleaseError(f"{label}: empty eval set")
    return items


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


def accuracy(client: Client, items: list[EvalItem]) -> tuple[float, int]:
    """(percent of answers containing `expected` case-insensitively, request errors)."""

    def one(item: EvalItem) -> bool | None:
        try:
            return item.expected.lower() in client.complete(item.prompt).lower()
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
            return None

    with ThreadPoolExecutor(EVAL_WORKERS) as pool:
        results = list(pool.map(one, items))
    return 100.0 * sum(1 for r in results if r) / len(items), sum(1 for r in results if r is None)


def run_gate(candidate: Target, baseline: Target | None, items: list[EvalItem], settings: GateSettings,
             clock: Callable[[], float] = time.perf_counter) -> GateReport:
    """Run the checks in order; once the slot is unhealthy or serves the wrong model the rest are skipped."""
    start = clock()
    client = Client(candidate, settings.timeout_seconds, settings.max_tokens)
    checks: list[Check] = []

    def check(name: str, body: Callable[[], tuple[bool, str]]) -> bool:
        began = clock()
        try:
            passed, detail = body()
        except Exception as exc:  # any transport/shape failure blocks the release, with its reason
            passed, detail = False, _error(exc)
        checks.append(Check(name, passed, detail, clock() - began))
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

    def evals() -> tuple[bool, str]:
        if candidate.kind == "embedding":
            return True, "not applicable to embedding models"
        with ThreadPoolExecutor(2) as pool:
            mine = pool.submit(accuracy, client, items)
            theirs = pool.submit(_baseline_accuracy, baseline, items, settings)
            (cand, cand_errors), base = mine.result(), theirs.result()
        floor = None if base is None else base - settings.max_accuracy_drop
        detail = f"{cand:.1f}% on {len(items)} prompts"
        if cand_errors:
            detail += f" ({cand_errors} errors)"
        if base is None:
            return False, detail + "; no baseline (pass --baseline-url)"
        return cand >= floor, detail + f" vs live {base:.1f}% (floor {floor:.1f}%)"

    try:
        if check("health", health) and check("model", models):
            check("smoke", smoke)
            check("latency", latency)
            check("eval", evals)
        else:
            done = {c.name for c in checks}
            checks.extend(Check(n, False, "skipped: candidate not serving") for n in ("model", "smoke", "latency", "eval") if n not in done)
    finally:
        client.close()
    return GateReport(candidate.url + _slot_suffix(candidate), candidate.model, checks, clock() - start)


def _baseline_accuracy(baseline: Target | None, items: list[EvalItem], settings: GateSettings) -> float | None:
    if baseline is None:
        return None
    client = Client(baseline, settings.timeout_seconds, settings.max_tokens)
    try:
        value, errors = accuracy(client, items)
    finally:
        client.close()
    if errors == len(items):
        raise httpx.HTTPError("baseline unreachable: every eval request failed")
    return value


def _slot_suffix(target: Target) -> str:
    slot = target.headers.get(SLOT_HEADER)
    return f" [{SLOT_HEADER}: {slot}]" if slot else ""
