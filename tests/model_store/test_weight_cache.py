"""The shared weight cache (S3 Express One Zone): its pure parts, config errors, what every stack
synthesizes (prod caches the 70B, dev and staging nothing), the estimator line and the
entrypoint's fallback to the model bucket."""

from __future__ import annotations

import copy
import dataclasses
import importlib.util
import json
import re

import pytest

from components.model_store.models import SharedCacheConfig, shared_cache_problem
from components.model_store.weight_cache import bucket_name, cache_read_policy, cache_uri, cached_models, model_gib
from llmctl.cost.capacity import capacity
from llmctl.cost.estimate import Assumptions, estimate
from llmctl.cost.prices import PriceError, pinned
from tests.support.paths import REPO_ROOT, STACKS
from tests.support.stack_config import SOURCE, config_error, stack_raw

DIRECTORY_BUCKET = "aws:s3/directoryBucket:DirectoryBucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SEVENTY_B = "meta-llama/Llama-3.1-70B-Instruct"
CACHE = SharedCacheConfig(availability_zone_id="use1-az4", min_model_gib=100)


def test_only_catalogued_models_at_or_above_the_threshold_are_cached():
    assert model_gib(SEVENTY_B) == pytest.approx(141.1e9 / 2**30)  # 131.4 GiB
    models = [SEVENTY_B, "Qwen/Qwen2.5-Coder-14B-Instruct", "org/unknown-model", None, SEVENTY_B]
    assert cached_models(CACHE, models) == [SEVENTY_B]
    assert cached_models(CACHE.model_copy(update={"min_model_gib": 27}), models) == ["Qwen/Qwen2.5-Coder-14B-Instruct", SEVENTY_B]
    assert cached_models(None, models) == []


def test_bucket_names_follow_the_directory_bucket_rules_and_differ_per_account():
    name = bucket_name("llm-platform-prod", SEVENTY_B, "123456789012", "use1-az4")
    assert re.fullmatch(r"llm-platform-prod-w[0-9a-f]{8}--use1-az4--x-s3", name) and len(name) <= 63
    assert name != bucket_name("llm-platform-prod", SEVENTY_B, "210987654321", "use1-az4")
    assert cache_uri(name, SEVENTY_B) == f"s3://{name}/{SEVENTY_B}/"
    with pytest.raises(ValueError, match="longer than 63 characters"):
        bucket_name("x" * 40, SEVENTY_B, "123456789012", "use1-az4")


def test_the_read_policy_is_a_session_on_one_bucket_and_the_key_for_its_objects_only():
    arn, key = "arn:aws:s3express:us-east-1:123456789012:bucket/b--use1-az4--x-s3", "arn:aws:kms:us-east-1:123456789012:key/k"
    doc = cache_read_policy(arn, key)
    assert [(s["Action"], s["Resource"], s.get("Condition")) for s in doc["Statement"]] == [
        # No s3express:SessionMode condition: SDK clients only create ReadWrite sessions (below).
        (["s3express:CreateSession"], [arn], None),
        (["kms:Decrypt", "kms:GenerateDataKey"], [key], {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": arn}}),
    ]


def test_the_sdk_the_entrypoint_uses_asks_for_no_session_mode():
    """botocore's S3 Express identity resolver creates sessions with the bucket alone, i.e. the
    API's default ReadWrite mode: a ReadOnly-only policy would deny the entrypoint's weight check."""
    import inspect

    from botocore.utils import S3ExpressIdentityCache

    source = inspect.getsource(S3ExpressIdentityCache)
    assert "create_session(Bucket=bucket)" in source and "SessionMode" not in source


def _error(config: dict, expected: str) -> None:
    message = config_error(config)
    assert message.startswith(f"{SOURCE}: {expected}"), message


def test_a_zone_outside_the_regions_s3_express_zones_is_one_line():
    dev = stack_raw("dev")  # us-west-2
    dev["llm-platform:modelStore"] = {"sharedCache": {"availabilityZoneId": "use1-az4"}}
    _error(dev, "llm-platform:modelStore.sharedCache.availabilityZoneId: 'use1-az4': not an S3 Express One Zone AZ ID of us-west-2; "
                "allowed: usw2-az1, usw2-az3, usw2-az4")
    dev["llm-platform:modelStore"] = {"sharedCache": {"availabilityZoneId": "us-west-2a"}}
    _error(dev, "llm-platform:modelStore.sharedCache.availabilityZoneId: 'us-west-2a':")
    dev["llm-platform:modelStore"] = {"sharedCache": {"availabilityZoneId": "usw2-az1", "minModelGib": 0}}
    _error(dev, "llm-platform:modelStore.sharedCache.minModelGib: 0:")
    assert shared_cache_problem(CACHE, "eu-west-1").startswith("S3 Express One Zone has no directory bucket zones in eu-west-1")


def test_prod_caches_the_70b_encrypted_with_the_model_key_and_dev_staging_cache_nothing(inventories):
    for stack in ("dev", "staging"):
        assert inventories[stack].of_type(DIRECTORY_BUCKET) == [], stack
    prod = inventories["prod"]
    buckets = prod.of_type(DIRECTORY_BUCKET)
    assert [b.inputs["tags"]["model"] for b in buckets] == [SEVENTY_B]
    bucket = buckets[0].inputs
    assert bucket["location"] == {"name": "use1-az4", "type": "AvailabilityZone"} and bucket["dataRedundancy"] == "SingleAvailabilityZone"
    assert re.fullmatch(r"llm-platform-prod-w[0-9a-f]{8}--use1-az4--x-s3", bucket["bucket"])
    rules = {r.name: r.inputs["rules"][0]["applyServerSideEncryptionByDefault"] for r in prod.of_type(SSE)}
    cache_rule, bucket_rule = rules[f"{buckets[0].name}-sse"], rules["llm-platform-prod-models-sse"]
    # The stack's model key, the same one as the model bucket's.
    assert cache_rule == bucket_rule and cache_rule["sseAlgorithm"] == "aws:kms" and cache_rule["kmsMasterKeyId"].startswith("arn:aws:kms:us-east-1:")
    endpoints = [r.inputs for r in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint") if r.inputs["serviceName"].endswith(".s3express")]
    assert [(e["vpcEndpointType"], len(e["routeTableIds"])) for e in endpoints] == [("Gateway", 3)]


def _vllm_env(inventory, name):
    dep = next(o for _, o in inventory.kubernetes_objects() if o["kind"] == "Deployment" and o["metadata"]["name"] == name)
    return {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_prod_chat_streams_from_the_cache_with_the_model_bucket_behind_it(inventories):
    prod = inventories["prod"]
    cache = prod.of_type(DIRECTORY_BUCKET)[0].inputs["bucket"]
    checked = 0
    for name in ("chat-blue", "chat-green"):
        env = _vllm_env(prod, name)
        assert env["MODEL_S3_URI"] == f"s3://{cache}/{SEVENTY_B}/"
        assert env["MODEL_S3_FALLBACK_URI"].endswith(f"/{SEVENTY_B}/") and env["MODEL_S3_FALLBACK_URI"] != env["MODEL_S3_URI"]
        policies = [json.loads(r.inputs["policy"]) for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == f"{name}-read-weight-cache"]
        assert [p["Statement"][0]["Resource"] for p in policies] == [[f"arn:aws:s3express:us-east-1:123456789012:bucket/{cache}"]]
        checked += 1
    assert checked == 2
    code = _vllm_env(prod, "code-blue")
    assert "MODEL_S3_FALLBACK_URI" not in code and cache not in code["MODEL_S3_URI"]
    assert not [r for r in prod.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.startswith("code-") and "weight-cache" in r.name]


def test_only_the_cached_endpoints_pods_may_reach_s3_express(inventories):
    express = "198.51.100.0/24"  # the synth stand-in for com.amazonaws.<region>.s3express
    egress = {
        obj["metadata"]["namespace"]: json.dumps(obj["spec"]) for stack in STACKS for _, obj in inventories[stack].kubernetes_objects()
        if obj["kind"] == "NetworkPolicy" and obj["metadata"]["name"] == "vllm-egress"
    }
    assert egress and {ns for ns, spec in egress.items() if express in spec} == {"llm-chat"}
    assert all("52.216.0.0/15" in spec for spec in egress.values())


def test_the_estimate_prices_the_cache_as_its_own_line(inventories, configs):
    cfg = configs["prod"]
    cap = capacity(inventories["prod"], cfg)
    assert cap.weight_caches == [SEVENTY_B]
    result = estimate(cap, pinned(cap.region), Assumptions.from_config(cfg.cost))
    lines = [i for i in result["items"] if i["item"].startswith("Shared weight cache")]
    assert [(i["quantity"], i["unit_usd"], i["monthly_usd"]) for i in lines] == [(141.1, 0.11, 15.52)]
    assert "+$0.34 retrieval per replica cold start" in lines[0]["item"]  # 141.1 GB x 4 ranks x $0.0006
    other = dataclasses.replace(cap, region="us-west-2")
    with pytest.raises(PriceError, match="no pinned S3 Express One Zone price for us-west-2"):
        estimate(other, pinned("us-west-2"), Assumptions.from_config(cfg.cost))
    for stack in ("dev", "staging"):
        assert capacity(inventories[stack], configs[stack]).weight_caches == []


def _entrypoint():
    spec = importlib.util.spec_from_file_location("serving_entrypoint_cache", REPO_ROOT / "serving-image" / "entrypoint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_entrypoint_falls_back_to_the_model_bucket_until_the_cache_is_populated(capsys):
    entrypoint = _entrypoint()
    present = {"s3://bucket/m/"}

    def check(uri):
        if uri not in present:
            raise entrypoint.EntrypointError(f"no model weights at {uri}")

    env = {"MODEL_S3_URI": "s3://cache--use1-az4--x-s3/m/", "MODEL_S3_FALLBACK_URI": "s3://bucket/m/"}
    assert entrypoint.choose_weights(env, check) == "s3://bucket/m/"
    assert "shared weight cache not used (no model weights at s3://cache--use1-az4--x-s3/m/); streaming from s3://bucket/m/" in capsys.readouterr().err
    present.add("s3://cache--use1-az4--x-s3/m/")
    assert entrypoint.choose_weights(env, check) == "s3://cache--use1-az4--x-s3/m/"
    present.clear()
    with pytest.raises(entrypoint.EntrypointError, match="no model weights at s3://bucket/m/"):
        entrypoint.choose_weights(env, check)
    with pytest.raises(entrypoint.EntrypointError, match="no model weights at s3://cache"):
        entrypoint.choose_weights({"MODEL_S3_URI": env["MODEL_S3_URI"]}, check)


def test_llmctl_check_refuses_a_cache_bucket_without_sse_kms(inventories, tmp_path):
    from typer.testing import CliRunner

    from llmctl.cli import app
    from llmctl.synth.inventory import Inventory

    inv = Inventory.from_json(copy.deepcopy(inventories["prod"].to_json()))
    cache = inv.of_type(DIRECTORY_BUCKET)[0]
    inv.resources = [r for r in inv.resources if not (r.type == SSE and r.name == f"{cache.name}-sse")]
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inv.to_json()))
    result = CliRunner().invoke(app, ["check", "--inventory", str(path), "--json"])
    assert result.exit_code == 1, result.output
    hits = json.loads(result.output)["violations"]
    assert [(v["policy"], v["urn"], v["level"]) for v in hits] == [("s3-encryption-kms", cache.urn, "mandatory")]
    assert hits[0]["message"].endswith("not encrypted with SSE-KMS; add a BucketServerSideEncryptionConfiguration with sse_algorithm aws:kms and kms_master_key_id")
