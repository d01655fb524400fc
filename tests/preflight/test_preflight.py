"""`llmctl preflight`: moto_server where moto implements the call (sts, ec2 offerings, eks DescribeCluster),
botocore's Stubber (real request/response shapes) where it does not (add-on versions, quotas, cost tags)."""

from __future__ import annotations

import json
import socket
import time
from datetime import date

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from components.cluster.versions import ADDON_VERSIONS
from llmctl.cli import app
from llmctl.preflight import BLOCKER, OK, UNKNOWN, WARN
from llmctl.preflight.capacity import QUOTA_CODES, offering_rows, quota_needs, quota_rows
from llmctl.preflight.identity import check as identity_check
from llmctl.preflight.identity import role_of
from llmctl.preflight.reach import reach_rows, tag_rows
from llmctl.preflight.versions import addon_rows, calendar_row

FAMILIES = ("identity", "cluster-access", "kubernetes-version", "addon", "offerings", "quota", "cost tags", "api reachability")


def _client(service: str, region: str = "us-west-2"):
    return boto3.client(service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x")


def test_dev_against_moto_has_a_row_per_family_and_missing_apis_are_could_not_check(moto_server):
    result = CliRunner().invoke(app, ["preflight", "dev", "--json"])
    assert result.exit_code in (0, 1) and "Traceback" not in result.output, result.output
    rows = json.loads(result.output)["rows"]
    for family in FAMILIES:
        assert any(r["check"] == family or r["check"].startswith(family) for r in rows), family
    status = {r["check"]: r["status"] for r in rows}
    assert status["identity"] == OK and status["kubernetes-version"] == OK
    # moto 5.2 lacks DescribeAddonVersions, GetServiceQuota and ListCostAllocationTags.
    assert status["addons"] == status["quotas"] == status["cost tags"] == UNKNOWN
    assert status["offerings gpu-spot"] == OK  # moto offers g5/g6/g6e in us-west-2's zones
    assert status["api reachability"] == OK  # no cluster yet: a first deploy
    # moto's caller is an IAM user, not one of cluster.adminRoleArns: the deploy would stall on Kubernetes objects.
    assert status["cluster-access"] == BLOCKER and result.exit_code == 1


def test_a_closed_endpoint_gives_one_line_and_exit_1_within_10_seconds(aws_credentials, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    result = CliRunner().invoke(app, ["preflight", "dev"])
    elapsed = time.monotonic() - started
    assert result.exit_code == 1 and elapsed < 10
    assert result.output.count("\n") == 1 and result.output.startswith(f"error: cannot reach http://127.0.0.1:{port}: ")


def test_unknown_stack_is_a_usage_error():
    result = CliRunner().invoke(app, ["preflight", "nope"])
    assert result.exit_code == 2 and result.output.startswith("error: ") and result.output.count("\n") == 1


# ---- identity --------------------------------------------------------------------------------

def test_roles_are_read_from_assumed_role_and_role_arns():
    assert role_of("arn:aws:sts::111122223333:assumed-role/platform-admin/ci") == ("111122223333", "platform-admin")
    assert role_of("arn:aws:iam::111122223333:role/ops/platform-admin") == ("111122223333", "platform-admin")
    assert role_of("arn:aws:iam::111122223333:user/bob") is None


def test_an_admin_role_passes_and_another_account_does_not():
    sts = _client("sts")
    stub = Stubber(sts)
    ident = {"UserId": "AROA:ci", "Account": "111122223333", "Arn": "arn:aws:sts::111122223333:assumed-role/platform-admin/ci"}
    stub.add_response("get_caller_identity", ident)
    stub.add_response("get_caller_identity", {**ident, "Account": "999999999999", "Arn": ident["Arn"].replace("111122223333", "999999999999")})
    admins = ["arn:aws:iam::111122223333:role/platform-admin"]
    with stub:
        assert [r.status for r in identity_check(sts, admins)] == [OK, OK]
        assert [r.status for r in identity_check(sts, admins)] == [OK, BLOCKER]


# ---- versions ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("today", "policy", "status", "words"), [
    (date(2026, 12, 1), "STANDARD", OK, "in standard support until 2027-08-02"),
    (date(2027, 6, 10), "STANDARD", WARN, "leaves standard support on 2027-08-02 (53 days); then AWS upgrades the cluster"),
    (date(2027, 6, 10), "EXTENDED", WARN, "then extended-support pricing starts"),
    (date(2027, 9, 1), "STANDARD", BLOCKER, "with upgradePolicy STANDARD AWS upgrades the control plane under the stack"),
    (date(2027, 9, 1), "EXTENDED", WARN, "in extended support (extra price per cluster-hour) until 2028-08-02"),
    (date(2028, 8, 2), "EXTENDED", BLOCKER, "left EKS extended support on 2028-08-02"),
])
def test_the_calendar_warns_60_days_ahead_and_blocks_past_support(today, policy, status, words):
    row = calendar_row("1.36", policy, today)
    assert row.status == status and words in row.reason


def _addon_answer(addon: str, versions: list[tuple[str, bool]], minor: str = "1.36") -> dict:
    return {"addons": [{"addonName": addon, "type": "networking", "addonVersions": [
        {"addonVersion": v, "architecture": ["amd64"], "compatibilities": [{"clusterVersion": minor, "platformVersions": ["*"], "defaultVersion": d}]}
        for v, d in versions]}]}


def test_every_pinned_addon_is_checked_and_an_unoffered_pin_blocks_with_the_default_as_fix():
    eks = _client("eks")
    stub = Stubber(eks)
    pins = ADDON_VERSIONS["1.36"]
    for addon, pinned in pins.items():
        offered = [(pinned, True)] if addon != "kube-proxy" else [("v1.36.1-eksbuild.2", True), ("v1.36.0-eksbuild.9", False)]
        stub.add_response("describe_addon_versions", _addon_answer(addon, offered), {"addonName": addon, "kubernetesVersion": "1.36"})
    with stub:
        rows = {r.check: r for r in addon_rows(eks, "1.36")}
    assert {c: r.status for c, r in rows.items()} == {f"addon {a}": (BLOCKER if a == "kube-proxy" else OK) for a in pins}
    assert rows["addon kube-proxy"].fix == "pin v1.36.1-eksbuild.2 in components/cluster/versions.py"


# ---- capacity ----------------------------------------------------------------------------------

def test_offerings_name_the_zones_where_a_pool_has_no_type(configs):
    pool = configs["dev"].gpu.pools[0]
    ec2 = _client("ec2")
    stub = Stubber(ec2)
    zones = ["us-west-2a", "us-west-2b", "us-west-2c"]
    stub.add_response("describe_instance_type_offerings", {"InstanceTypeOfferings": [
        {"InstanceType": t, "LocationType": "availability-zone", "Location": z} for t in pool.instance_types for z in zones[:2]]})
    with stub:
        [row] = offering_rows(ec2, [pool], zones)
    assert (row.status, row.reason) == (WARN, "no type of pool gpu-spot is offered in us-west-2c")


def test_quota_needs_follow_gpu_limits_and_minimum_replicas(configs):
    prod = configs["prod"]
    needs = quota_needs(list(prod.gpu.pools), dict(prod.endpoints))
    assert set(needs) <= set(QUOTA_CODES) and needs
    assert all(n.maximum >= n.minimum for n in needs.values())
    od = needs[("G and VT", "on-demand")]
    assert od.minimum > 0 and od.only_path


def _quota(code: str, value: float) -> dict:
    return {"Quota": {"ServiceCode": "ec2", "QuotaCode": code, "QuotaName": code, "Value": value, "Unit": "None"}}


@pytest.mark.parametrize(("value", "status"), [(0, BLOCKER), (8, WARN), (100000, OK)])
def test_quota_zero_blocks_short_warns_enough_passes(configs, value, status):
    dev = configs["dev"]
    quotas = _client("service-quotas")
    stub = Stubber(quotas)
    stub.add_response("get_service_quota", _quota("L-3819A6DF", value), {"ServiceCode": "ec2", "QuotaCode": "L-3819A6DF"})
    with stub:
        [row] = quota_rows(quotas, list(dev.gpu.pools), dict(dev.endpoints))
    assert row.check == "quota G and VT spot" and row.status == status
    if status != OK:
        assert row.fix.startswith("request an increase of L-3819A6DF to >= ")


# ---- tags and reachability -------------------------------------------------------------------

def test_tag_row_lists_inactive_and_unseen_keys():
    ce = _client("ce", "us-east-1")
    stub = Stubber(ce)
    stub.add_response("list_cost_allocation_tags", {"CostAllocationTags": [
        {"TagKey": "team", "Type": "UserDefined", "Status": "Active"}, {"TagKey": "environment", "Type": "UserDefined", "Status": "Inactive"}]})
    with stub:
        [row] = tag_rows(ce, ["team", "environment", "model"])
    assert row.status == WARN and row.reason.startswith("inactive: environment; not in billing data yet: model")


def test_an_existing_cluster_is_reached_by_tcp_or_blocks():
    eks = _client("eks")
    answer = {"cluster": {"name": "c", "endpoint": "https://ABC.gr7.us-west-2.eks.amazonaws.com"}}

    def refused(address, timeout):
        assert address == ("abc.gr7.us-west-2.eks.amazonaws.com", 443) and timeout <= 5
        raise TimeoutError("timed out")

    class Open:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    stub = Stubber(eks)
    stub.add_response("describe_cluster", answer, {"name": "c"})
    stub.add_response("describe_cluster", answer, {"name": "c"})
    with stub:
        [blocked] = reach_rows(eks, "c", connect=refused)
        [ok] = reach_rows(eks, "c", connect=lambda address, timeout: Open())
    assert blocked.status == BLOCKER and "cluster.operatorCidrs" in blocked.fix and ok.status == OK


# ---- the stack's data stores (llmctl/preflight/stores.py) ----------------------------------------

def _stack(name: str):
    from infra.config import load_stack
    from tests.support.paths import REPO_ROOT

    return load_stack(name, REPO_ROOT)


def _engines(*versions: str):
    from llmctl.preflight.stores import quota_store_rows

    client = _client("elasticache", "us-east-1")
    stub = Stubber(client)
    stub.add_response("describe_cache_engine_versions", {"CacheEngineVersions": [
        {"Engine": "valkey", "EngineVersion": v, "CacheParameterGroupFamily": f"valkey{v.split('.')[0]}"} for v in versions]},
        {"Engine": "valkey"})
    with stub:
        return list(quota_store_rows(client, _stack("prod")))


def test_the_quota_stores_pinned_valkey_version_must_be_offered():
    from components.ratelimit.render import ENGINE_VERSION

    [ok] = _engines("7.2", ENGINE_VERSION, "9.1")
    assert (ok.check, ok.status) == ("quota store", OK)
    [blocked] = _engines("7.2", "9.1")
    assert blocked.status == BLOCKER and f"no Valkey {ENGINE_VERSION}" in blocked.reason
    assert blocked.fix.startswith("pin one of 7.2, 9.1 in components/ratelimit/render.py")


def test_no_quota_store_row_without_an_elasticache_store():
    from llmctl.preflight.stores import quota_store_rows

    assert list(quota_store_rows(object(), _stack("dev"))) == []  # dev keeps its counters in-cluster: no call made


def test_the_weight_cache_zone_id_is_mapped_to_the_accounts_zone_names(moto_server):
    """moto maps use1-az4 to us-east-1d (account mappings differ: that is why preflight asks)."""
    from llmctl.preflight.stores import weight_cache_rows

    cfg = _stack("prod")
    assert cfg.model_store.shared_cache is not None and cfg.region == "us-east-1"
    ec2 = boto3.client("ec2", region_name="us-east-1")
    [row] = weight_cache_rows(ec2, cfg)
    zone = ec2.describe_availability_zones(ZoneIds=[cfg.model_store.shared_cache.availability_zone_id])["AvailabilityZones"][0]["ZoneName"]
    expected = OK if zone in ("us-east-1a", "us-east-1b", "us-east-1c")[: cfg.network.az_count] else WARN
    assert row.check == "weight cache zone" and row.status == expected and zone in row.reason
    bad = cfg.model_copy(update={"model_store": cfg.model_store.model_copy(update={
        "shared_cache": cfg.model_store.shared_cache.model_copy(update={"availability_zone_id": "use1-az9"})})})
    [missing] = weight_cache_rows(ec2, bad)
    assert missing.status == BLOCKER and "use1-az9 is not a zone of us-east-1" in missing.reason
    assert list(weight_cache_rows(ec2, _stack("dev"))) == []
