"""`llmctl cost activate-tags`: keys billing has seen are activated, the rest listed as pending; the real
request and response shapes of Cost Explorer come from botocore's Stubber (moto lacks these calls)."""

from __future__ import annotations

import json
from datetime import date

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from llmctl.cli import app
from llmctl.cost.cli import stack_tag_keys
from llmctl.cost.tags import activate, tag_states

KEYS = ["project", "environment", "team", "cost-center", "owner", "model"]


def _ce():
    return boto3.client("ce", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _listed(*pairs: tuple[str, str]) -> dict:
    return {"CostAllocationTags": [
        {"TagKey": k, "Type": "UserDefined", "Status": s, "LastUsedDate": "2026-11-30T00:00:00Z"} for k, s in pairs
    ]}


def _stub_first_day(ce, errors=()):
    stub = Stubber(ce)
    stub.add_response("list_cost_allocation_tags", _listed(("project", "Active"), ("environment", "Inactive"), ("team", "Inactive")),
                      {"TagKeys": KEYS, "Type": "UserDefined"})
    stub.add_response("update_cost_allocation_tags_status", {"Errors": list(errors)},
                      {"CostAllocationTagsStatus": [{"TagKey": "environment", "Status": "Active"}, {"TagKey": "team", "Status": "Active"}]})
    return stub


def test_activates_seen_inactive_keys_lists_unseen_as_pending_and_backfills():
    ce = _ce()
    stub = _stub_first_day(ce)
    stub.add_response("start_cost_allocation_tag_backfill", {"BackfillRequest": {"BackfillFrom": "2026-12-01T00:00:00Z"}},
                      {"BackfillFrom": "2026-12-01T00:00:00Z"})
    with stub:
        result = activate(ce, KEYS, date(2026, 12, 1))
    stub.assert_no_pending_responses()
    assert result.to_dict() == {
        "active": ["project"], "activated": ["environment", "team"], "pending": ["cost-center", "owner", "model"],
        "errors": {}, "backfillFrom": "2026-12-01", "backfillNote": None,
    }


def test_per_key_errors_are_reported_and_a_refused_backfill_is_a_note():
    ce = _ce()
    stub = _stub_first_day(ce, errors=[{"TagKey": "team", "Code": "TagKeysNotFoundException", "Message": "not found"}])
    stub.add_client_error("start_cost_allocation_tag_backfill", "BackfillLimitExceededException", "one backfill per 24 hours")
    with stub:
        result = activate(ce, KEYS, date(2026, 12, 1))
    assert result.activated == ["environment"] and result.errors == {"team": "TagKeysNotFoundException: not found"}
    assert result.backfill_from is None and result.backfill_note == "backfill not started: one backfill per 24 hours"


def test_nothing_to_activate_calls_no_update_and_pages_are_followed():
    ce = _ce()
    stub = Stubber(ce)
    stub.add_response("list_cost_allocation_tags", {**_listed(("project", "Active")), "NextToken": "t1"},
                      {"TagKeys": KEYS, "Type": "UserDefined"})
    stub.add_response("list_cost_allocation_tags", _listed(("model", "Active")),
                      {"TagKeys": KEYS, "Type": "UserDefined", "NextToken": "t1"})
    with stub:
        assert tag_states(ce, KEYS) == {"project": "Active", "model": "Active"}
    stub.assert_no_pending_responses()


def test_keys_are_the_cost_keys_plus_the_stack_tags(configs):
    assert stack_tag_keys(configs["prod"])[:6] == KEYS


@pytest.fixture()
def stubbed_ce(monkeypatch, aws_credentials):
    ce = _ce()
    monkeypatch.setattr(boto3, "client", lambda *a, **k: ce)
    return ce


def test_cli_json_exit_0_with_pending_keys(stubbed_ce):
    stub = _stub_first_day(stubbed_ce)
    stub.add_response("start_cost_allocation_tag_backfill", {"BackfillRequest": {"BackfillFrom": "2026-11-01T00:00:00Z"}},
                      {"BackfillFrom": "2026-11-01T00:00:00Z"})
    with stub:
        result = CliRunner().invoke(app, ["cost", "activate-tags", "dev", "--json", "--backfill-from", "2026-11-01"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["activated"] == ["environment", "team"] and doc["pending"] == ["cost-center", "owner", "model"]


def test_cli_access_denied_is_one_line_naming_the_payer_account(stubbed_ce):
    stub = Stubber(stubbed_ce)
    stub.add_client_error("list_cost_allocation_tags", "AccessDeniedException", "not authorized")
    with stub:
        result = CliRunner().invoke(app, ["cost", "activate-tags", "dev"])
    assert result.exit_code == 1
    assert result.output.strip() == ("error: Cost Explorer: AccessDeniedException; only the payer (management) account of the "
                                     "Organization can activate tags")


def test_cli_bad_date_is_a_usage_error():
    result = CliRunner().invoke(app, ["cost", "activate-tags", "dev", "--backfill-from", "yesterday"])
    assert result.exit_code == 2 and result.output.strip() == "error: --backfill-from yesterday: expected a date YYYY-MM-DD"
