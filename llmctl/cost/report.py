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
EC2_COMPUTE = "Amazon Elastic Compute Cloud - Compute"  # Cost Explorer's SERVICE value for instance usage
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


def gpu_filter() -> dict[str, Any]:
    """EC2 instance-hours of GPU instance types (on-demand, spot and reserved usage): the GPU $.
    Their volumes and network bill under EC2-Other and land in "other" with everything else."""
    from components.catalog import INSTANCE_TYPES

    types = sorted(name for name, t in INSTANCE_TYPES.items() if t.gpus)
    return {"And": [
        {"Dimensions": {"Key": "SERVICE", "Values": [EC2_COMPUTE]}},
        {"Dimensions": {"Key": "INSTANCE_TYPE", "Values": types}},
    ]}


def query(ce: Any, start: str, end: str, granularity: str, keys: list[str], where: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One get_cost_and_usage per page, grouped by up to two tag keys (and filtered by `where`);
    rows of {period_start, period_end, <key>: value, ..., usd}."""
    if not 1 <= len(keys) <= 2:
        raise ReportError(f"Cost Explorer groups by one or two keys per query, got {keys}")
    rows = []
    request = {
        "TimePeriod": {"Start": start, "End": end},
        "Granularity": granularity,
        "Metrics": [METRIC],
        "GroupBy": [{"Type": "TAG", "Key": k} for k in keys],
    }
    if where is not None:
        request["Filter"] = where
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


def totals(rows: list[dict[str, Any]], keys: list[str], gpu_rows: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Rows summed over the time periods (GPU $ from the GPU-filtered query, other $ the rest),
    biggest spend first."""
    merged = [{**r, "gpu_usd": 0.0} for r in rows] + [{**r, "usd": 0.0, "gpu_usd": r["usd"]} for r in gpu_rows or []]
    return regroup(merged, keys)


def regroup(rows: list[dict[str, Any]], keys: list[str]) -> list[dict[str, Any]]:
    """Summed rows of one query re-summed by fewer keys."""
    summed: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for row in rows:
        summed[tuple(row[k] for k in keys)][0] += row["usd"]
        summed[tuple(row[k] for k in keys)][1] += row["gpu_usd"]
    out = [{**dict(zip(keys, group, strict=True)), "usd": round(usd, 2), "gpu_usd": round(gpu, 2), "other_usd": round(usd - gpu, 2)}
           for group, (usd, gpu) in summed.items()]
    return sorted(out, key=lambda r: (-r["usd"], [r[k] for k in keys]))


def tag_status(ce: Any, keys: list[str]) -> dict[str, Any]:
    """Which group-by keys billing has activated (ce:ListCostAllocationTags); spend under an
    inactive key reports as untagged, so the report says so."""
    from botocore.exceptions import BotoCoreError, ClientError

    from llmctl.cost.tags import tag_states

    try:
        statuses = tag_states(ce, list(keys))
    except (BotoCoreError, ClientError) as exc:
        reason = str(exc).splitlines()[0]
        return {"checked": False, "inactive": [], "notice": f"could not check which tag keys are active in billing ({reason})"}
    inactive = [k for k in keys if statuses.get(k) != "Active"]
    notice = None
    if inactive:
        states = ", ".join(f"{k}: {statuses.get(k, 'not seen by billing yet')}" for k in inactive)
        notice = (f"tag key(s) not active in billing ({states}): their spend reports as {UNTAGGED} until activated "
                  "(`llmctl cost activate-tags` in the payer account; up to 24 h to take effect, not retroactive)")
    return {"checked": True, "inactive": inactive, "notice": notice}


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


def window_seconds(start: str, end: str) -> int:
    return int((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def token_query(seconds: int, label: str = lm.MODEL) -> str:
    """Output tokens per `label` over the last `seconds`; `label` must be one the label model says
    the serving series carry after scraping (`model` from the pod label, or vLLM's `model_name`)."""
    if label not in lm.series_labels(TOKENS_METRIC):
        allowed = ", ".join(sorted(lm.series_labels(TOKENS_METRIC)))
        raise ReportError(f"--model-label {label}: {TOKENS_METRIC} carries no such label after scraping; one of: {allowed}")
    return f"sum by ({label}) (increase({TOKENS_METRIC}[{seconds}s]))"


def instant_query(url: str, promql: str, end: str, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The result vector of one instant query at `end` (Prometheus' /api/v1/query)."""
    at = datetime.fromisoformat(end).timestamp()
    target = f"{url.rstrip('/')}/api/v1/query?" + urllib.parse.urlencode({"query": promql, "time": f"{at:.0f}"})
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:
            doc = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise ReportError(f"--prometheus-url {url}: {exc}") from None
    if doc.get("status") != "success":
        raise ReportError(f"--prometheus-url {url}: query failed: {doc.get('error', doc.get('status'))}")
    return [{"metric": s.get("metric") or {}, "value": float(s.get("value", [0, "0"])[1])}
            for s in (doc.get("data") or {}).get("result", []) if math.isfinite(float(s.get("value", [0, "0"])[1]))]


def tokens_from_prometheus(url: str, start: str, end: str, label: str = lm.MODEL, timeout: float = 10.0) -> dict[str, float]:
    """Output tokens per model over [start, end) from Prometheus' instant query API."""
    result: dict[str, float] = {}
    for series in instant_query(url, token_query(window_seconds(start, end), label), end, timeout):
        model = series["metric"].get(label) or UNTAGGED
        result[model] = result.get(model, 0) + series["value"]
    return result


def token_counts(start: str, end: str, tokens: str | None = None, prometheus_url: str | None = None, label: str = "model") -> dict[str, float] | None:
    """Output tokens per model over [start, end): the source of every token figure in the report
    (`--tokens`, else vLLM's own counters in Prometheus; None when neither is given)."""
    if tokens:
        return parse_tokens(tokens)
    if prometheus_url:
        return tokens_from_prometheus(prometheus_url, start, end, label)
    return None


def usd_per_million(usd: float, tokens: float | None) -> float | None:
    return round(usd / tokens * 1e6, 4) if tokens else None


def per_model(model_costs: list[dict[str, Any]], tokens: dict[str, float]) -> list[dict[str, Any]]:
    """Cost per model joined with tokens per model (matched on the label form of the model id,
    so the `Qwen/Qwen2.5-7B-Instruct` tag meets the `qwen.qwen2.5-7b-instruct` pod label)."""
    by_key: dict[str, dict[str, Any]] = {}
    for row in model_costs:
        key = row["model"] if row["model"] == UNTAGGED else model_key(row["model"])
        entry = by_key.setdefault(key, {"model": row["model"], "usd": 0.0, "gpu_usd": 0.0, "output_tokens": None})
        entry["usd"] += row["usd"]
        entry["gpu_usd"] += row.get("gpu_usd", 0.0)
    for model, count in tokens.items():
        key = model if model == UNTAGGED else model_key(model)
        entry = by_key.setdefault(key, {"model": model, "usd": 0.0, "gpu_usd": 0.0, "output_tokens": None})
        entry["output_tokens"] = (entry["output_tokens"] or 0) + count
    out = [{
        "model": e["model"], "usd": round(e["usd"], 2), "gpu_usd": round(e["gpu_usd"], 2), "other_usd": round(e["usd"] - e["gpu_usd"], 2),
        "output_tokens": e["output_tokens"], "usd_per_1m_tokens": usd_per_million(e["usd"], e["output_tokens"]),
    } for e in by_key.values()]
    return sorted(out, key=lambda r: (-r["usd"], r["model"]))


def per_team(team_rows: list[dict[str, Any]], team_model: list[dict[str, Any]] | None, tokens: dict[str, float] | None) -> list[dict[str, Any]]:
    """Cost per team; tokens of the models only that team's spend carries (a model two teams
    both pay for cannot be split by tokens, so those teams get none)."""
    owners: dict[str, set[str]] = defaultdict(set)
    for row in team_model or []:
        if row["model"] != UNTAGGED:
            owners[model_key(row["model"])].add(row["team"])
    counted: dict[str, float] = defaultdict(float)
    ambiguous: set[str] = set()
    for model, count in (tokens or {}).items():
        teams = owners.get(model_key(model), set())
        if len(teams) == 1:
            counted[next(iter(teams))] += count
        ambiguous |= teams if len(teams) > 1 else set()
    out = []
    for row in team_rows:
        tok = None if row["team"] in ambiguous or tokens is None or team_model is None else counted.get(row["team"]) or None
        out.append({**row, "output_tokens": tok, "usd_per_1m_tokens": usd_per_million(row["usd"], tok)})
    return out


def report(ce: Any, start: date | str, end: date | str, granularity: str, keys: list[str], tokens: dict[str, float] | None,
           gateway: dict[str, Any] | None = None) -> dict[str, Any]:
    """`gateway`: the gateway's usage (llmctl/cost/gateway_usage.py), priced per endpoint and team."""
    start, end = str(start), str(end)
    if start >= end:
        raise ReportError(f"--start {start} must be before --end {end} (Cost Explorer's end date is exclusive)")
    queries = []
    by: dict[str, list[dict[str, Any]]] = {}
    team_model = None
    for chunk in group_chunks(keys):
        rows = query(ce, start, end, granularity, chunk)
        summed = totals(rows, chunk, query(ce, start, end, granularity, chunk, gpu_filter()))
        queries.append({"group_by": chunk, "rows": [{**r, "usd": round(r["usd"], 4)} for r in rows], "totals": summed})
        for key in chunk:
            by.setdefault(key, regroup(summed, [key]))
        if set(chunk) == {"team", "model"}:
            team_model = summed
    result: dict[str, Any] = {"start": start, "end": end, "granularity": granularity, "metric": METRIC, "group_by": keys,
                              "tags": tag_status(ce, keys), "queries": queries,
                              "untagged_usd": {k: next((r["usd"] for r in rows if r[k] == UNTAGGED), 0.0) for k, rows in by.items()}}
    if "team" in by:
        result["per_team"] = per_team(by["team"], team_model, tokens)
    if (tokens is not None or gateway is not None) and "model" not in by:
        by["model"] = totals(query(ce, start, end, granularity, ["model"]), ["model"], query(ce, start, end, granularity, ["model"], gpu_filter()))
    if "model" in by and (tokens is not None or gateway is None):
        result["per_model"] = per_model(by["model"], tokens or {})
    if gateway is not None:
        from llmctl.cost.gateway_usage import per_endpoint, per_team_usage

        result["per_endpoint"] = per_endpoint(gateway, by["model"])
        result["per_team_usage"] = per_team_usage(gateway, result["per_endpoint"])
        result["unattributed_tokens"] = gateway["unattributed"]
    return result


def _line(name: str, row: dict[str, Any]) -> str:
    tokens = f"{row['output_tokens']:,.0f} tokens" if row.get("output_tokens") else "no tokens counted"
    rate = f", ${row['usd_per_1m_tokens']:.4f} per 1M output tokens" if row.get("usd_per_1m_tokens") is not None else ""
    return f"    {row['usd']:>12,.2f}  (GPU {row['gpu_usd']:,.2f}, other {row['other_usd']:,.2f})  {name}: {tokens}{rate}"


def render_text(result: dict[str, Any]) -> str:
    out = [f"cost report {result['start']} .. {result['end']} ({result['granularity']}, {result['metric']})"]
    if result["tags"]["notice"]:
        out.append(f"  notice: {result['tags']['notice']}")
    for q in result["queries"]:
        keys = q["group_by"]
        out.append(f"  by {' x '.join(keys)}:")
        for row in q["totals"]:
            out.append(f"    {row['usd']:>12,.2f}  (GPU {row['gpu_usd']:,.2f})  " + "  ".join(f"{k}={row[k]}" for k in keys))
    for section, key in (("per_team", "team"), ("per_model", "model")):
        if section in result:
            out.append(f"  per {key}:")
            out.extend(_line(row[key], row) for row in result[section])
    if "per_endpoint" in result:
        from llmctl.cost.gateway_usage import render_lines

        out.extend(render_lines(result))
    for key, usd in result["untagged_usd"].items():
        out.append(f"  untagged ({key}): {usd:,.2f} USD")
    return "\n".join(out)
