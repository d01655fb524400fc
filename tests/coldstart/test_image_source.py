"""The GPU node classes boot from the image cache snapshot while it is in step with the stack,
else turn on SOCI parallel pull; a stale cache is never used silently."""

from __future__ import annotations

import pytest

from components.coldstart import imagecache
from components.coldstart.imagecache import CacheRecord, image_sources, pool_image_source
from components.gpu_pools.attribution import shared_plan
from components.gpu_pools.manifests import SOCI_MIN_BOTTLEROCKET, SOCI_PARALLEL_PULL, ec2_node_class
from components.gpu_pools.versions import BOTTLEROCKET
from tests.gpu.helpers import CLUSTER, TAGS, pool
from tests.support.manifests import crd_errors

KEY = "v0.33.0-0123456789ab"
RECORD = CacheRecord("snap-0123456789abcdef0", "us-west-2", {"serving": f"1.dkr.ecr.us-west-2.amazonaws.com/x/vllm-serving:{KEY}"}, 300, "v1.63.0")
STACKS = ("dev", "staging", "prod")


def node_class(p, source):
    return ec2_node_class(shared_plan(p, TAGS), CLUSTER, "role", source.kind, source.snapshot_id)


def test_every_stacks_gpu_node_class_uses_a_cache_snapshot_or_soci(inventories):
    classes = [(s, obj) for s in STACKS for _, obj in inventories[s].kubernetes_objects() if obj["kind"] == "EC2NodeClass"]
    assert {s for s, _ in classes} == set(STACKS)
    for stack, obj in classes:
        data = obj["spec"]["blockDeviceMappings"][-1]["ebs"]
        assert "snapshotID" in data or obj["spec"].get("userData") == SOCI_PARALLEL_PULL, (stack, obj["metadata"]["name"])


def test_an_in_step_snapshot_is_the_data_volume_and_the_store_stays_on_it():
    p = pool()
    source = pool_image_source(p, RECORD, "us-west-2", KEY)
    assert (source.kind, source.snapshot_id, source.warning) == ("snapshot", "snap-0123456789abcdef0", None)
    doc = node_class(p, source)
    assert doc["spec"]["blockDeviceMappings"][1] == {
        "deviceName": "/dev/xvdb",
        # 300 GiB, not the 20 GiB a RAID0 node keeps on EBS: with RAID0 off, containerd and kubelet live here.
        "ebs": {"volumeSize": "300Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True,
                "snapshotID": "snap-0123456789abcdef0", "volumeInitializationRate": 300},
    }
    assert "instanceStorePolicy" not in doc["spec"] and "userData" not in doc["spec"]
    assert crd_errors(doc) == []


@pytest.mark.parametrize(("record", "region", "key", "volume", "why"), [
    (RECORD, "us-west-2", "v0.33.0-ffffffffffff", 300,
     f"snapshot snap-0123456789abcdef0 holds 1.dkr.ecr.us-west-2.amazonaws.com/x/vllm-serving:{KEY}, the stack runs v0.33.0-ffffffffffff"),
    (RECORD, "us-east-1", KEY, 300, "snapshot snap-0123456789abcdef0 is in us-west-2, the stack in us-east-1"),
    (RECORD, "us-west-2", KEY, 200, "snapshot snap-0123456789abcdef0 is 300 GiB, larger than the 200 GiB data volume"),
])
def test_an_out_of_step_snapshot_falls_back_to_soci_with_a_warning(record, region, key, volume, why):
    p = pool(dataVolumeGib=volume)
    source = pool_image_source(p, record, region, key)
    assert (source.kind, source.snapshot_id) == ("soci", None)
    assert source.warning == f"pool {p.name}: image cache not used: {why}"
    doc = node_class(p, source)
    assert doc["spec"]["userData"] == SOCI_PARALLEL_PULL and "snapshotID" not in doc["spec"]["blockDeviceMappings"][1]["ebs"]
    assert crd_errors(doc) == []


def test_no_record_is_soci_without_a_warning_and_soci_can_be_turned_off():
    assert pool_image_source(pool(), None, "us-west-2", KEY) == imagecache.ImageSource("soci")
    off = pool(imageCache={"sociParallelPull": False})
    assert pool_image_source(off, None, "us-west-2", KEY).kind == "pull"
    assert "userData" not in node_class(off, imagecache.ImageSource("pull"))["spec"]


def test_a_snapshot_from_config_wins_and_al2023_pools_pull_plainly():
    configured = pool(imageCache={"snapshotId": "snap-0fedcba987654321f"})
    assert pool_image_source(configured, RECORD, "us-west-2", "other").snapshot_id == "snap-0fedcba987654321f"
    assert image_sources([pool(name="a", ami="al2023")], RECORD, "us-west-2", KEY)["a"].kind == "pull"


def test_pinned_bottlerocket_has_soci_parallel_pull():
    assert tuple(int(x) for x in BOTTLEROCKET.lstrip("v").split(".")) >= SOCI_MIN_BOTTLEROCKET


def test_record_round_trips_through_the_state_file(tmp_path):
    path = imagecache.save_record("dev", RECORD, tmp_path)
    assert path == tmp_path / "stacks" / "image-cache" / "dev.json"
    assert imagecache.load_record("dev", tmp_path) == RECORD
    assert imagecache.load_record("prod", tmp_path) is None


@pytest.mark.parametrize(("change", "expected"), [
    ({"snapshotId": "ami-0123"}, "llm-platform:gpu.pools[0].imageCache.snapshotId: 'ami-0123': "),
    ({"volumeInitializationRate": 500}, "llm-platform:gpu.pools[0].imageCache.volumeInitializationRate: 500: "),
])
def test_bad_image_cache_settings_are_one_line_errors(change, expected):
    from tests.core.test_config_errors import error, raw

    dev = raw()
    dev["llm-platform:gpu"]["pools"][0]["imageCache"] = change
    error(dev, expected)


def test_the_snapshot_image_stage_follows_the_pools_initialization_rate():
    from components.coldstart.budget import image_stage

    assert image_stage("g6.2xlarge", "snapshot").seconds == pytest.approx(2 + 6e9 / (300 * 2**20), abs=0.01)
    slow = image_stage("g6.2xlarge", "snapshot", 100)
    assert slow.seconds == pytest.approx(2 + 6e9 / (100 * 2**20), abs=0.01) and "100 MiB/s" in slow.source
