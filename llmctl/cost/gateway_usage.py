"""`llmctl cost report --token-source gateway`: tokens and requests per endpoint and team counted
by the inference gateway (components/observability/metering.py), and the spend Cost Explorer
attributes to each endpoint's models turned into $ per team, per query and per 1M tokens.

- An endpoint's $ is the spend tagged with the models its slots serve (the serving instances'
  replica-hours, their volumes and the rest tagged `model`), mapped to the endpoint through the
  metering's model table; a model two endpoints serve maps to neither.
- A team's $ on an endpoint is the endpoint's $ in proportion to the team's tokens there (input
  plus output: both occupy the replicas); summed over endpoints.
- $ per query is $ over requests that reported usage; $ per 1M tokens is $ over input + output.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from components.observability import labels as lm
from components.observability.metering import TOKEN_TYPES
from llmctl.cost.capacity import model_key

UNATTRIBUTED = "(unattributed)"
_USAGE = f"{lm.GEN_AI_TOKEN_USAGE}_sum"
_COUNT = f"{lm.GEN_AI_TOKEN_USAGE}_count"


def gateway_queries(seconds: int) -> dict[str, str]:
    """Instant queries over the last `seconds`: tokens and requests per endpoint and team (joined to
    the model table), tokens of names no endpoint owns, and the table itself."""
    types = "|".join(TOKEN_TYPES)
    join = f"* on ({lm.REQUEST_MODEL}) group_left ({lm.LLM_ENDPOINT}) {lm.GATEWAY_MODEL_INFO}"
    tokens = f'increase({_USAGE}{{{lm.TOKEN_TYPE}=~"{types}"}}[{seconds}s])'
    return {
        "tokens": f"sum by ({lm.LLM_ENDPOINT}, {lm.TEAM}, {lm.TOKEN_TYPE}) ({tokens} {join})",
        "requests": f'sum by ({lm.LLM_ENDPOINT}, {lm.TEAM}) (increase({_COUNT}{{{lm.TOKEN_TYPE}="input"}}[{seconds}s]) {join})',
        "unattributed": f"sum by ({lm.TEAM}, {lm.TOKEN_TYPE}) ({tokens} unless on ({lm.REQUEST_MODEL}) {lm.GATEWAY_MODEL_INFO})",
        "models": lm.GATEWAY_MODEL_INFO,
    }


def gateway_usage(url: str, start: str, end: str, timeout: float = 10.0) -> dict[str, Any]:
    """{"usage": {(endpoint, team): {input, output, requests}}, "models": {name: endpoint},
    "unattributed": {team: tokens}} over [start, end) from the gateway's series."""
    from llmctl.cost.report import instant_query, window_seconds

    queries = gateway_queries(window_seconds(start, end))
    usage: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: {"input": 0.0, "output": 0.0, "requests": 0.0})
    for s in instant_query(url, queries["tokens"], end, timeout):
        m = s["metric"]
        usage[(m.get(lm.LLM_ENDPOINT, UNATTRIBUTED), m.get(lm.TEAM) or UNATTRIBUTED)][m.get(lm.TOKEN_TYPE, "input")] += s["value"]
    for s in instant_query(url, queries["requests"], end, timeout):
        m = s["metric"]
        usage[(m.get(lm.LLM_ENDPOINT, UNATTRIBUTED), m.get(lm.TEAM) or UNATTRIBUTED)]["requests"] += s["value"]
    unattributed: dict[str, float] = defaultdict(float)
    for s in instant_query(url, queries["unattributed"], end, timeout):
        unattributed[s["metric"].get(lm.TEAM) or UNATTRIBUTED] += s["value"]
    models = {s["metric"][lm.REQUEST_MODEL]: s["metric"][lm.LLM_ENDPOINT] for s in instant_query(url, queries["models"], end, timeout)
              if lm.REQUEST_MODEL in s["metric"] and lm.LLM_ENDPOINT in s["metric"]}
    return {"usage": dict(usage), "models": models, "unattributed": dict(unattributed)}


def _rates(usd: float | None, tokens: float, requests: float) -> dict[str, float | None]:
    from llmctl.cost.report import usd_per_million

    return {"usd_per_1m_tokens": usd_per_million(usd, tokens) if usd is not None else None,
            "usd_per_query": round(usd / requests, 6) if usd is not None and requests else None}


def per_endpoint(gateway: dict[str, Any], model_costs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tokens, requests and $ per endpoint; $ None when no tagged spend maps to the endpoint."""
    by_model = {model_key(name): endpoint for name, endpoint in gateway["models"].items()}
    usd: dict[str, float] = defaultdict(float)
    for row in model_costs:
        endpoint = by_model.get(model_key(row["model"]))
        if endpoint is not None:
            usd[endpoint] += row["usd"]
    totals: dict[str, dict[str, float]] = defaultdict(lambda: {"input": 0.0, "output": 0.0, "requests": 0.0})
    for (endpoint, _), counts in gateway["usage"].items():
        for key, value in counts.items():
            totals[endpoint][key] += value
    out = []
    for endpoint in sorted(set(totals) | set(usd)):
        t = totals[endpoint]
        spend = round(usd[endpoint], 2) if endpoint in usd else None
        out.append({"endpoint": endpoint, "usd": spend, "input_tokens": t["input"], "output_tokens": t["output"],
                    "requests": t["requests"], **_rates(spend, t["input"] + t["output"], t["requests"])})
    return out


def per_team_usage(gateway: dict[str, Any], endpoints: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each team's tokens, requests and share of every endpoint's $ (by its tokens there)."""
    spend = {row["endpoint"]: row["usd"] for row in endpoints}
    served = {row["endpoint"]: row["input_tokens"] + row["output_tokens"] for row in endpoints}
    teams: dict[str, dict[str, float]] = defaultdict(lambda: {"input": 0.0, "output": 0.0, "requests": 0.0, "usd": 0.0})
    priced: dict[str, bool] = defaultdict(bool)
    for (endpoint, team), counts in gateway["usage"].items():
        for key in ("input", "output", "requests"):
            teams[team][key] += counts[key]
        if spend.get(endpoint) is not None and served.get(endpoint):
            teams[team]["usd"] += spend[endpoint] * (counts["input"] + counts["output"]) / served[endpoint]
            priced[team] = True
    out = []
    for team, t in teams.items():
        usd = round(t["usd"], 2) if priced[team] else None
        out.append({"team": team, "usd": usd, "input_tokens": t["input"], "output_tokens": t["output"], "requests": t["requests"],
                    **_rates(usd, t["input"] + t["output"], t["requests"])})
    return sorted(out, key=lambda r: (-(r["usd"] or 0), r["team"]))


def render_lines(result: dict[str, Any]) -> list[str]:
    out = []
    for section, key in (("per_endpoint", "endpoint"), ("per_team_usage", "team")):
        out.append(f"  per {key} (gateway tokens):")
        for row in result[section]:
            usd = f"{row['usd']:>12,.2f}" if row["usd"] is not None else f"{'no spend':>12}"
            rates = "".join(f", ${row[k]:.{d}f} {label}" for k, d, label in (("usd_per_1m_tokens", 4, "per 1M tokens"), ("usd_per_query", 6, "per query"))
                            if row[k] is not None)
            out.append(f"    {usd}  {row[key]}: {row['input_tokens']:,.0f} input + {row['output_tokens']:,.0f} output tokens, "
                       f"{row['requests']:,.0f} requests{rates}")
    for team, tokens in sorted(result["unattributed_tokens"].items()):
        out.append(f"  unattributed ({team}): {tokens:,.0f} tokens of models no single endpoint serves")
    return out
