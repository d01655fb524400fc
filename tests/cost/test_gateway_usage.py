"""`llmctl cost report --token-source gateway`: the gateway's tokens and requests per endpoint and
team (a Prometheus stand-in on 127.0.0.1 answering the report's exact queries) priced with the
spend Cost Explorer (moto_server) tags with each endpoint's models."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from typer.testing import CliRunner

from components.observability import labels as lm
from llmctl.cli import app
from llmctl.cost.gateway_usage import gateway_queries, per_endpoint, per_team_usage
from tests.cost.test_report import LLAMA, QWEN, TEAM_MODEL, TEAM_MODEL_GPU, seed
from tests.support.http_standin import JsonHandler, LocalServer

SECONDS = 45 * 86400
QUERIES = gateway_queries(SECONDS)


def _vector(*rows: tuple[dict[str, str], float]) -> list[dict]:
    return [{"metric": m, "value": [1763164800, str(v)]} for m, v in rows]


# chat (QWEN) used by applied-ai and ml-platform, code (LLAMA) by dev-productivity only.
ANSWERS = {
    QUERIES["tokens"]: _vector(
        ({"llm_endpoint": "chat", "team": "applied-ai", "gen_ai_token_type": "input"}, 600e6),
        ({"llm_endpoint": "chat", "team": "applied-ai", "gen_ai_token_type": "output"}, 300e6),
        ({"llm_endpoint": "chat", "team": "ml-platform", "gen_ai_token_type": "output"}, 100e6),
        ({"llm_endpoint": "code", "team": "dev-productivity", "gen_ai_token_type": "output"}, 400e6)),
    QUERIES["requests"]: _vector(({"llm_endpoint": "chat", "team": "applied-ai"}, 90000), ({"llm_endpoint": "chat", "team": "ml-platform"}, 10000),
                                 ({"llm_endpoint": "code", "team": "dev-productivity"}, 50000)),
    QUERIES["unattributed"]: _vector(({"team": "applied-ai", "gen_ai_token_type": "output"}, 5e6)),
    QUERIES["models"]: _vector(*(({"__name__": lm.GATEWAY_MODEL_INFO, "gen_ai_request_model": m, "llm_endpoint": e, "namespace": f"llm-{e}"}, 1)
                                 for m, e in ((QWEN, "chat"), ("chat", "chat"), (LLAMA, "code"), ("code", "code")))),
}


class _Handler(JsonHandler):
    seen: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)["query"][0]
        type(self).seen.append(query)
        if query not in ANSWERS:
            self.send_json(400, {"status": "error", "error": f"unexpected query {query}"})
            return
        self.send_json(200, {"status": "success", "data": {"resultType": "vector", "result": ANSWERS[query]}})


@pytest.fixture()
def prometheus():
    _Handler.seen = []
    server = LocalServer(_Handler)
    try:
        yield server.url
    finally:
        server.close()


def test_queries_join_the_model_table_and_count_input_and_output_only():
    assert QUERIES["tokens"] == (
        f'sum by (llm_endpoint, team, gen_ai_token_type) (increase(gen_ai_client_token_usage_sum{{gen_ai_token_type=~"input|output"}}[{SECONDS}s]) '
        "* on (gen_ai_request_model) group_left (llm_endpoint) llm_platform:gateway_model_endpoint:info)")
    assert 'gen_ai_client_token_usage_count{gen_ai_token_type="input"}' in QUERIES["requests"]
    for expr in QUERIES.values():
        assert lm.unknown_labels(expr) == [], expr


def test_endpoint_dollars_split_by_team_tokens():
    gateway = {"usage": {("chat", "a"): {"input": 300.0, "output": 100.0, "requests": 4.0},
                         ("chat", "b"): {"input": 0.0, "output": 100.0, "requests": 1.0},
                         ("idle", "a"): {"input": 0.0, "output": 0.0, "requests": 0.0}},
               "models": {QWEN: "chat", "chat": "chat"}, "unattributed": {}}
    endpoints = per_endpoint(gateway, [{"model": QWEN, "usd": 10.0}, {"model": LLAMA, "usd": 99.0}])
    assert endpoints == [
        {"endpoint": "chat", "usd": 10.0, "input_tokens": 300.0, "output_tokens": 200.0, "requests": 5.0, "usd_per_1m_tokens": 20000.0, "usd_per_query": 2.0},
        {"endpoint": "idle", "usd": None, "input_tokens": 0.0, "output_tokens": 0.0, "requests": 0.0, "usd_per_1m_tokens": None, "usd_per_query": None},
    ]
    teams = {row["team"]: row for row in per_team_usage(gateway, endpoints)}
    assert teams["a"]["usd"] == 8.0 and teams["b"]["usd"] == 2.0 and teams["a"]["usd_per_query"] == 2.0
    assert sum(t["usd"] for t in teams.values()) == endpoints[0]["usd"]  # every dollar of a used endpoint lands on a team


def test_report_with_gateway_tokens_prices_teams_endpoints_and_queries(moto_server, prometheus):
    seed(moto_server, TEAM_MODEL, TEAM_MODEL_GPU)
    result = CliRunner().invoke(app, ["cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--group-by", "team,model",
                                      "--prometheus-url", prometheus, "--token-source", "gateway", "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(_Handler.seen) == sorted(QUERIES.values())
    doc = json.loads(result.stdout)
    endpoints = {row["endpoint"]: row for row in doc["per_endpoint"]}
    # chat: QWEN's tagged spend 1800.50 over 1000M tokens and 100k requests.
    assert endpoints["chat"] == {"endpoint": "chat", "usd": 1800.5, "input_tokens": 600e6, "output_tokens": 400e6, "requests": 100000.0,
                                 "usd_per_1m_tokens": 1.8005, "usd_per_query": 0.018005}
    assert endpoints["code"]["usd"] == 800.25 and endpoints["code"]["usd_per_1m_tokens"] == pytest.approx(800.25 / 400, abs=1e-4)
    teams = {row["team"]: row for row in doc["per_team_usage"]}
    assert teams["applied-ai"]["usd"] == pytest.approx(1800.5 * 0.9, abs=0.01)
    assert teams["ml-platform"]["usd"] == pytest.approx(180.05, abs=0.01) and teams["ml-platform"]["usd_per_query"] == pytest.approx(0.018005)
    assert doc["unattributed_tokens"] == {"applied-ai": 5e6}
    assert "per_model" not in doc  # the vLLM source's section is not mixed in


def test_report_text_and_bad_token_source(moto_server, prometheus):
    seed(moto_server, TEAM_MODEL, TEAM_MODEL_GPU)
    runner = CliRunner()
    result = runner.invoke(app, ["cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--prometheus-url", prometheus,
                                 "--token-source", "gateway"])
    assert result.exit_code == 0, result.output
    assert ("    1,800.50  chat: 600,000,000 input + 400,000,000 output tokens, 100,000 requests, $1.8005 per 1M tokens, "
            "$0.018005 per query") in result.stdout
    assert "  unattributed (applied-ai): 5,000,000 tokens of models no single endpoint serves" in result.stdout
    bad = runner.invoke(app, ["cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--token-source", "gateway"])
    assert bad.exit_code == 2 and "--token-source gateway reads the gateway's series: give --prometheus-url" in bad.output
    bad = runner.invoke(app, ["cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--token-source", "dcgm"])
    assert bad.exit_code == 2 and "--token-source dcgm: expected vllm or gateway" in bad.output

