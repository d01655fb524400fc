"""`llmctl cost report`: Cost Explorer (moto_server, seeded results) grouped by team and model,
joined with tokens from the command line or a Prometheus stand-in on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest
from typer.testing import CliRunner

from llmctl.cli import app
from llmctl.cost.report import UNTAGGED, ReportError, group_chunks, parse_tokens, per_model, tag_value, tokens_from_prometheus

QWEN, LLAMA = "Qwen/Qwen2.5-7B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"


def group(keys: list[str], usd: str) -> dict:
    return {"Keys": keys, "Metrics": {"UnblendedCost": {"Amount": usd, "Unit": "USD"}}}


def period(start: str, end: str, groups: list[dict]) -> dict:
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": groups, "Estimated": False}


TEAM_MODEL = {"ResultsByTime": [
    period("2026-10-01", "2026-11-01", [
        group(["team$applied-ai", f"model${QWEN}"], "1200.50"),
        group(["team$dev-productivity", f"model${LLAMA}"], "800.25"),
        group(["team$ml-platform", "model$"], "450.00"),
    ]),
    period("2026-11-01", "2026-11-15", [
        group(["team$applied-ai", f"model${QWEN}"], "600.00"),
        group(["team$", "model$"], "12.34"),
    ]),
], "DimensionValueAttributes": []}
# The same groups restricted to GPU instance-hours (the report's second query per group-by).
TEAM_MODEL_GPU = {"ResultsByTime": [
    period("2026-10-01", "2026-11-01", [
        group(["team$applied-ai", f"model${QWEN}"], "1000.00"),
        group(["team$dev-productivity", f"model${LLAMA}"], "700.00"),
    ]),
    period("2026-11-01", "2026-11-15", [group(["team$applied-ai", f"model${QWEN}"], "500.00")]),
], "DimensionValueAttributes": []}
NO_GPU = {"ResultsByTime": [period("2026-10-01", "2026-11-01", []), period("2026-11-01", "2026-11-15", [])], "DimensionValueAttributes": []}
ENVIRONMENT = {"ResultsByTime": [
    period("2026-10-01", "2026-11-01", [group(["environment$prod"], "2450.75")]),
    period("2026-11-01", "2026-11-15", [group(["environment$prod"], "612.34")]),
], "DimensionValueAttributes": []}


def seed(url: str, *results: dict) -> None:
    response = httpx.post(f"{url}/moto-api/static/ce/cost-and-usage-results", json={"results": list(results)})
    assert response.status_code == 201


def test_cost_explorer_keys_and_chunks():
    assert tag_value("team$applied-ai") == ("team", "applied-ai")
    assert tag_value("model$") == ("model", UNTAGGED)
    assert group_chunks(["team", "model", "environment"]) == [["team", "model"], ["environment"]]


def test_tokens_on_the_command_line():
    assert parse_tokens(f"{QWEN}=120M, {LLAMA}=2.5B,x=10") == {QWEN: 120e6, LLAMA: 2.5e9, "x": 10}
    with pytest.raises(ReportError, match="expected model=N"):
        parse_tokens("qwen")
    with pytest.raises(ReportError, match="is not a number"):
        parse_tokens("qwen=lots")


def test_per_model_joins_tags_and_labels_and_keeps_untagged():
    rows = per_model([{"model": QWEN, "usd": 100.0}, {"model": UNTAGGED, "usd": 5.0}], {"qwen.qwen2.5-7b-instruct": 50e6})
    assert rows[0] == {"model": QWEN, "usd": 100.0, "gpu_usd": 0.0, "other_usd": 100.0, "output_tokens": 50e6, "usd_per_1m_tokens": 2.0}
    assert rows[1] == {"model": UNTAGGED, "usd": 5.0, "gpu_usd": 0.0, "other_usd": 5.0, "output_tokens": None, "usd_per_1m_tokens": None}


def test_report_against_moto_groups_by_team_and_model(moto_server):
    seed(moto_server, TEAM_MODEL, TEAM_MODEL_GPU, ENVIRONMENT, NO_GPU)
    result = CliRunner().invoke(app, [
        "cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--group-by", "team,model,environment",
        "--tokens", f"{QWEN}=900M,{LLAMA}=400M", "--json",
    ])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    first, second = doc["queries"]  # two group-bys per query: a third key needs a second query
    assert first["group_by"] == ["team", "model"] and second["group_by"] == ["environment"]
    assert first["totals"] == [
        {"team": "applied-ai", "model": QWEN, "usd": 1800.5, "gpu_usd": 1500.0, "other_usd": 300.5},
        {"team": "dev-productivity", "model": LLAMA, "usd": 800.25, "gpu_usd": 700.0, "other_usd": 100.25},
        {"team": "ml-platform", "model": UNTAGGED, "usd": 450.0, "gpu_usd": 0.0, "other_usd": 450.0},
        {"team": UNTAGGED, "model": UNTAGGED, "usd": 12.34, "gpu_usd": 0.0, "other_usd": 12.34},
    ]
    assert second["totals"] == [{"environment": "prod", "usd": 3063.09, "gpu_usd": 0.0, "other_usd": 3063.09}]
    by_model = {row["model"]: row for row in doc["per_model"]}
    assert by_model[QWEN]["usd_per_1m_tokens"] == pytest.approx(1800.5 / 900, abs=1e-4)
    assert by_model[LLAMA]["usd_per_1m_tokens"] == pytest.approx(800.25 / 400, abs=1e-4)
    assert by_model[UNTAGGED] == {"model": UNTAGGED, "usd": 462.34, "gpu_usd": 0.0, "other_usd": 462.34, "output_tokens": None, "usd_per_1m_tokens": None}


def test_report_text_shows_untagged_spend(moto_server):
    seed(moto_server, TEAM_MODEL, TEAM_MODEL_GPU)
    result = CliRunner().invoke(app, ["cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--group-by", "team,model"])
    assert result.exit_code == 0, result.output
    assert "team=ml-platform  model=(untagged)" in result.stdout
    assert "1,800.50  (GPU 1,500.00)  team=applied-ai  model=Qwen/Qwen2.5-7B-Instruct" in result.stdout
    assert "  untagged (team): 12.34 USD" in result.stdout and "  untagged (model): 462.34 USD" in result.stdout


def test_report_rejects_bad_input_in_one_line():
    runner = CliRunner()
    result = runner.invoke(app, ["cost", "report", "--start", "2026-13-01", "--end", "2026-11-15"])
    assert result.exit_code == 2 and "--start 2026-13-01: expected a date YYYY-MM-DD" in result.output
    result = runner.invoke(app, ["cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--granularity", "HOURLY"])
    assert result.exit_code == 2 and "expected MONTHLY or DAILY" in result.output


class _Prometheus(BaseHTTPRequestHandler):
    queries: list[dict] = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        params = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        type(self).queries.append(params)
        body = {"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"model": "qwen.qwen2.5-7b-instruct"}, "value": [1763164800, "900000000"]},
            {"metric": {"model": "meta-llama.llama-3.1-8b-instruct"}, "value": [1763164800, "400000000.5"]},
        ]}}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture()
def prometheus():
    server = HTTPServer(("127.0.0.1", 0), _Prometheus)
    _Prometheus.queries = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tokens_from_prometheus_use_vllm_output_token_counter(prometheus):
    tokens = tokens_from_prometheus(prometheus, "2026-10-01", "2026-11-15")
    assert tokens == {"qwen.qwen2.5-7b-instruct": 900e6, "meta-llama.llama-3.1-8b-instruct": 400000000.5}
    (params,) = _Prometheus.queries
    assert params["query"] == [f"sum by (model) (increase(vllm:generation_tokens_total[{45 * 86400}s]))"]


def test_report_with_prometheus_gives_dollars_per_million_tokens(moto_server, prometheus):
    seed(moto_server, TEAM_MODEL, TEAM_MODEL_GPU)
    result = CliRunner().invoke(app, [
        "cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--group-by", "team,model",
        "--prometheus-url", prometheus, "--json",
    ])
    assert result.exit_code == 0, result.output
    by_model = {row["model"]: row for row in json.loads(result.stdout)["per_model"]}
    assert by_model[QWEN]["usd_per_1m_tokens"] == pytest.approx(1800.5 / 900, abs=1e-4)
    assert by_model[LLAMA]["output_tokens"] == 400000000.5


def test_unreachable_prometheus_is_one_line_error():
    with pytest.raises(ReportError, match=r"^--prometheus-url http://127.0.0.1:9: "):
        tokens_from_prometheus("http://127.0.0.1:9", "2026-10-01", "2026-11-01", timeout=2)


# ---- per team / per model with GPU $, the tag-activation notice (ListCostAllocationTags: moto lacks it, so botocore's Stubber) ----

def _stubbed_ce(statuses: dict[str, str]):
    import boto3
    from botocore.stub import Stubber

    ce = boto3.client("ce", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ce)
    tags = [{"TagKey": k, "Type": "UserDefined", "Status": v} for k, v in statuses.items()]
    stub.add_response("list_cost_allocation_tags", {"CostAllocationTags": tags}, {"TagKeys": ["team", "model"], "Type": "UserDefined"})
    stub.activate()
    return ce


def test_tag_status_names_keys_billing_has_not_activated():
    from llmctl.cost.report import tag_status

    active = tag_status(_stubbed_ce({"team": "Active", "model": "Active"}), ["team", "model"])
    assert active == {"checked": True, "inactive": [], "notice": None}
    pending = tag_status(_stubbed_ce({"team": "Active", "model": "Inactive"}), ["team", "model"])
    assert pending["inactive"] == ["model"]
    assert pending["notice"] == ("tag key(s) not active in billing (model: Inactive): their spend reports as (untagged) until activated "
                                 "(`llmctl cost activate-tags` in the payer account; up to 24 h to take effect, not retroactive)")
    unseen = tag_status(_stubbed_ce({"team": "Active"}), ["team", "model"])
    assert "model: not seen by billing yet" in unseen["notice"]


def test_report_per_team_and_model_with_gpu_dollars_and_rates(moto_server, monkeypatch):
    """Must show: `llmctl cost report --group-by team,model --json` against moto_server seeded with
    Cost Explorer results: per-team rows with GPU $ and $ per 1M tokens when tokens are given."""
    from llmctl.cost import report as report_module

    check = report_module.tag_status
    monkeypatch.setattr(report_module, "tag_status", lambda ce, keys: check(_stubbed_ce({"team": "Active", "model": "Inactive"}), keys))
    seed(moto_server, TEAM_MODEL, TEAM_MODEL_GPU)
    result = CliRunner().invoke(app, [
        "cost", "report", "--start", "2026-10-01", "--end", "2026-11-15", "--group-by", "team,model",
        "--tokens", f"{QWEN}=900M,{LLAMA}=400M", "--json",
    ])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    teams = {row["team"]: row for row in doc["per_team"]}
    assert teams["applied-ai"] == {"team": "applied-ai", "usd": 1800.5, "gpu_usd": 1500.0, "other_usd": 300.5,
                                   "output_tokens": 900e6, "usd_per_1m_tokens": pytest.approx(1800.5 / 900, abs=1e-4)}
    assert teams["dev-productivity"]["gpu_usd"] == 700.0 and teams["dev-productivity"]["usd_per_1m_tokens"] == pytest.approx(800.25 / 400, abs=1e-4)
    assert teams["ml-platform"]["output_tokens"] is None and teams[UNTAGGED]["usd"] == 12.34  # untagged spend is its own row
    models = {row["model"]: row for row in doc["per_model"]}
    assert (models[QWEN]["gpu_usd"], models[QWEN]["other_usd"]) == (1500.0, 300.5)
    assert doc["untagged_usd"] == {"team": 12.34, "model": 462.34}
    assert doc["tags"]["inactive"] == ["model"] and "model: Inactive" in doc["tags"]["notice"]


def test_gpu_query_filters_ec2_instance_hours_of_gpu_types():
    from llmctl.cost.report import EC2_COMPUTE, gpu_filter

    service, types = gpu_filter()["And"]
    assert service == {"Dimensions": {"Key": "SERVICE", "Values": [EC2_COMPUTE]}}
    assert "g6e.12xlarge" in types["Dimensions"]["Values"] and "p5e.48xlarge" in types["Dimensions"]["Values"]
    assert not any(t.startswith(("m7i", "t3")) for t in types["Dimensions"]["Values"])
