"""Spend after the fact: Cost Explorer grouped by the cost-allocation tags, joined with the
output tokens served to give $ per 1M tokens per model.

Cost Explorer accepts at most two GroupBy keys per query, so more keys mean more queries
(pairs in the order given). A resource without the tag comes back as `<key>$` (empty value):
it is reported as "(untagged)" rather than dropped.
"""

from __future__ import annotations

import json
import math
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import date, datetime
from typing import Any

from components.observability import labels as lm
from llmctl.cost.capacity import model_key

UNTAGGED = "(untagged)"
METRIC = "UnblendedCost"
# vLLM's output-token counter (exposed as a counter with the _total suffix, vLLM 0.33).
TOKENS_METRIC = "vllm:generation_tokens_total"


class ReportError(Exception):
    """Bad report input; str() is the one-line message for the user."""


def group_chunks(keys: list[str]) -> list[list[str]]:
    return [keys[i:i + 2] for i in range(0, len(keys), 2)]


def tag_value(raw: str) -> tuple[str, str]:
    """`team$applied-ai` -> ("team", "applied-ai"); `model$` -> ("model", "(untagged)")."""
    key, _, value = raw.partition("$")
    return key, value or UNTAGGED


def query(ce: Any, start: str, end: str, granularity: str, keys: list[str]) -> list[dict[str, Any]]:
    """One get_cost_and_usage per page, grouped by up to two tag keys; rows of
    {period_start, period_end, <key>: value, ..., usd}."""
    if not 1 <= len(keys) <= 2:
        raise ReportError(f"Cost Explorer groups by one or two keys per query, got {keys}")
    rows = []
    request = {
        "TimePeriod": {"Start": start, "End": end},
        "Granularity": granularity,
        "Metrics": [METRIC],
        "GroupBy": [{"Type": "TAG", "Key": k} for k in keys],
    }
    while True:
        response = ce.get_cost_and_usage(**request)
        for period in response.get("ResultsByTime", []):
            span = period.get("TimePeriod", {})
            for group in period.get("Groups", []):
                values = dict(tag_value(raw) for raw in group.get("Keys", []))
                amount = float(((group.get("Metrics") or {}).get(METRIC) or {}).get("Amount", 0))
                rows.append({"period_start": span.get("Start"), "period_end": span.get("End"), **{k: values.get(k, UNTAGGED) for k in keys}, "usd": amount})
        token = response.get("NextPageToken")
        if not token:
            return rows
        request["NextPageToken"] = token


def totals(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """Rows summed over the time periods, biggest spend first."""
    summed: dict[tuple[str, ...], float] = defaultdict(float)
    for row in rows:
        summed[tuple(row[k] for k in keys)] += row["usd"]
    out = [{**dict(zip(keys, group, strict=True)), "usd": round(usd, 2)} for group, usd in summed.items()]
    return sorted(out, key=lambda r: (-r["usd"], [r[k] for k in keys]))


def parse_tokens(text: str) -> dict[str, float]:
    """`model=N,...` from the command line (N may use k/M/B suffixes)."""
    result: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        model, sep, number = part.rpartition("=")
        if not sep or not model:
            raise ReportError(f"--tokens: {part!r}: expected model=N, e.g. Qwen/Qwen2.5-7B-Instruct=120M")
        scale = {"k": 1e3, "M": 1e6, "B": 1e9}.get(number[-1:], 1)
        try:
            value = float(number[:-1] if scale != 1 else number) * scale
        except ValueError:
            raise ReportError(f"--tokens: {part!r}: {number!r} is not a number") from None
        result[model] = result.get(model, 0) + value
    return result


def _seconds(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def token_query(seconds: int, label: str = lm.MODEL) -> str:
    """Output tokens per `label` over the last `seconds`; `label` must be one the label model says
    the serving series carry after scraping (`model` from the pod label, or vLLM's `model_name`)."""
    if label not in lm.series_labels(TOKENS_METRIC):
        allowed = ", ".join(sorted(lm.series_labels(TOKENS_METRIC)))
        raise ReportError(f"--model-label {label}: {TOKENS_METRIC} carries no such label after scraping; one of: {allowed}")
    return f"sum by ({label}) (increase({TOKENS_METRIC}[{seconds}s]))"


def tokens_from_prometheus(url: str, start: str, end: str, label: str = lm.MODEL, timeout: float = 10.0) -> dict[str, float]:
    """Output tokens per model over [start, end) from Prometheus' instant query API."""
    promql = token_query(_seconds(start, end), label)
    at = datetime.fromisoformat(end).timestamp()
    target = f"{url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": promql, "time": f"{at:.0f}"})
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:
            doc = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise ReportError(f"--prometheus-url {url}: {exc}") from None
    if doc.get("status") != "success":
        raise ReportError(f"--prometheus-url {url}: query failed: {doc.get('error', doc.get('status'))}")
    result: dict[str, float] = {}
    for series in (doc.get("data") or {}).get("result", []):
        model = (series.get("metric") or {}).get(label) or UNTAGGED
        value = float(series.get("value", [0, "0"])[1])
        if math.isfinite(value):
            result[model] = result.get(model, 0) + value
    return result


def per_model(model_costs: list[dict[str, Any]], tokens: dict[str, float]) -> list[dict[str, Any]]:
    """Cost per model joined with tokens per model (matched on the label form of the model id,
    so the `Qwen/Qwen2.5-7B-Instruct` tag meets the `qwen.qwen2.5-7b-instruct` pod label)."""
    by_key: dict[str, dict[str, Any]] = {}
    for row in model_costs:
        key = row["model"] if row["model"] == UNTAGGED else model_key(row["model"])
        entry = by_key.setdefault(key, {"model": row["model"], "usd": 0.0, "output_tokens": None})
        entry["usd"] += row["usd"]
    for model, count in tokens.items():
        key = model if model == UNTAGGED else model_key(model)
        entry = by_key.setdefault(key, {"model": model, "usd": 0.0, "output_tokens": None})
        entry["output_tokens"] = (entry["output_tokens"] or 0) + count
    out = []
    for entry in by_key.values():
        tok = entry["output_tokens"]
        out.append({
            "model": entry["model"], "usd": round(entry["usd"], 2), "output_tokens": tok,
            "usd_per_1m_tokens": round(entry["usd"] / tok * 1e6, 4) if tok else None,
        })
    return sorted(out, key=lambda r: (-r["usd"], r["model"]))


def report(ce: Any, start: date | str, end: date | str, granularity: str, keys: list[str], tokens: dict[str, float] | None) -> dict[str, Any]:
    start, end = str(start), str(end)
    if start >= end:
        raise ReportError(f"--start {start} must be before --end {end} (Cost Explorer's end date is exclusive)")
    queries = []
    model_rows: list[dict[str, Any]] | None = None
    for chunk in group_chunks(keys):
        rows = query(ce, start, end, granularity, chunk)
        queries.append({"group_by": chunk, "rows": [{**r, "usd": round(r["usd"], 4)} for r in rows], "totals": totals(rows, chunk)})
        if "model" in chunk and model_rows is None:
            model_rows = totals(rows, ["model"])
    result: dict[str, Any] = {"start": start, "end": end, "granularity": granularity, "metric": METRIC, "group_by": keys, "queries": queries}
    if tokens is not None:
        if model_rows is None:
            model_rows = totals(query(ce, start, end, granularity, ["model"]), ["model"])
        result["per_model"] = per_model(model_rows, tokens)
    return result


def render_text(result: dict[str, Any]) -> str:
    out = [f"cost report {result['start']} .. {result['end']} ({result['granularity']}, {result['metric']})"]
    for q in result["queries"]:
        keys = q["group_by"]
        out.append(f"  by {' x '.join(keys)}:")
        for row in q["totals"]:
            out.append(f"    {row['usd']:>12,.2f}  " + "  ".join(f"{k}={row[k]}" for k in keys))
    if "per_model" in result:
        out.append("  per model:")
        for row in result["per_model"]:
            rate = f"${row['usd_per_1m_tokens']:.4f} per 1M output tokens" if row["usd_per_1m_tokens"] is not None else "no tokens counted"
            tokens = f"{row['output_tokens']:,.0f} tokens" if row["output_tokens"] else "0 tokens"
            out.append(f"    {row['usd']:>12,.2f}  {row['model']}: {tokens}, {rate}")
    return "\n".join(out)
