"""Canary watch between promote steps. Two sources:

- probes (default): requests against the live route (no slot header, so the ALB splits them by
  the new weights) spread over the pause;
- Prometheus (--prometheus-url): after the pause, the canary slot's own 5xx share
  (prometheus-fastapi-instrumentator's http_requests_total, which vLLM's API server exports) and
  p95 end-to-end latency (vllm:e2e_request_latency_seconds) over the pause window.

Breach = error rate above release.maxErrorRatePct or p95 above the latency SLO.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from components.endpoint.names import namespace
from components.observability.labels import series, slot_selector
from llmctl.release.gate import SMOKE_PROMPT, Client, Target, p95


@dataclass(frozen=True)
class WatchResult:
    source: str
    error_rate_pct: float | None  # None: no requests seen
    p95_ms: float | None
    max_error_rate_pct: float
    max_p95_ms: float
    detail: str = ""
    failed: bool = False  # the source could not be read: the canary cannot be judged, so it is rolled back

    @property
    def breached(self) -> bool:
        if self.failed or (self.source == "probes" and self.p95_ms is None):
            return True  # every probe failed
        too_many_errors = self.error_rate_pct is not None and self.error_rate_pct > self.max_error_rate_pct
        too_slow = self.p95_ms is not None and self.p95_ms > self.max_p95_ms
        return too_many_errors or too_slow

    def summary(self) -> str:
        rate = "n/a" if self.error_rate_pct is None else f"{self.error_rate_pct:.1f}%"
        latency = "n/a" if self.p95_ms is None else f"{self.p95_ms:.0f} ms"
        extra = f" ({self.detail})" if self.detail else ""
        return (f"{self.source}: error rate {rate} (max {self.max_error_rate_pct:g}%), "
                f"p95 {latency} (SLO {self.max_p95_ms:.0f} ms){extra}")


def watch(target: Target, requests: int, pause_seconds: float, max_error_rate_pct: float, max_p95_ms: float,
          timeout_seconds: float = 60.0, sleep: Callable[[float], None] = time.sleep) -> WatchResult:
    """Send `requests` probes evenly over `pause_seconds` and judge the live route."""
    client = Client(target, timeout_seconds, max_tokens=16)
    interval = pause_seconds / requests if requests else 0.0
    samples: list[float] = []
    errors = 0
    try:
        for _ in range(requests):
            began = time.perf_counter()
            try:
                samples.append(client.timed(SMOKE_PROMPT))
            except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError):
                errors += 1
            left = interval - (time.perf_counter() - began)
            if left > 0:
                sleep(left)
    finally:
        client.close()
    rate = 100.0 * errors / requests if requests else None
    return WatchResult("probes", rate, p95(samples) if samples else None, max_error_rate_pct, max_p95_ms,
                       f"{errors}/{requests} probe errors")


def prometheus_queries(endpoint: str, slot: str, window_seconds: int) -> dict[str, str]:
    """The canary slot's 5xx share and p95 latency, selected by the label model (namespace included)."""
    sel = slot_selector(namespace(endpoint), endpoint, slot)
    window = f"{window_seconds}s"
    requests = "http_requests_total"
    return {
        "error_rate_pct": (f"100 * sum(rate({series(requests, sel, status='5xx')}[{window}]))"
                           f" / sum(rate({series(requests, sel)}[{window}]))"),
        "p95_seconds": f"histogram_quantile(0.95, sum by (le) (rate({series('vllm:e2e_request_latency_seconds_bucket', sel)}[{window}])))",
    }


def watch_prometheus(url: str, endpoint: str, slot: str, pause_seconds: float, max_error_rate_pct: float, max_p95_ms: float,
                     timeout_seconds: float = 30.0, sleep: Callable[[float], None] = time.sleep) -> WatchResult:
    """Wait the pause, then read the canary slot's error rate and p95 over that window."""
    sleep(pause_seconds)
    window = max(60, int(math.ceil(pause_seconds)))  # rate() needs at least a few scrapes
    values: dict[str, float | None] = {}
    try:
        with httpx.Client(base_url=url.rstrip("/"), timeout=timeout_seconds) as client:
            for key, query in prometheus_queries(endpoint, slot, window).items():
                response = client.get("/api/v1/query", params={"query": query})
                response.raise_for_status()
                result = response.json()["data"]["result"]
                value = float(result[0]["value"][1]) if result else math.nan
                values[key] = None if math.isnan(value) else value
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        return WatchResult("prometheus", None, None, max_error_rate_pct, max_p95_ms, f"query failed: {type(exc).__name__}: {exc}", failed=True)
    p95_seconds = values["p95_seconds"]
    return WatchResult("prometheus", values["error_rate_pct"], None if p95_seconds is None else p95_seconds * 1000,
                       max_error_rate_pct, max_p95_ms, f"{slot} slot over {window}s")
