"""Run:ai streamer sizing per model and instance type, and the compile cache the entrypoint
restores from and uploads to S3 (moto)."""

from __future__ import annotations

import json

import pytest

from components.coldstart.sizing import streamer_config
from components.serving.models import SlotConfig
from components.serving.vllm import compile_cache_uri, serve_flags, serving_env
from tests.serving.helpers import serve_flags as reference_flags
from tests.serving.test_vllm_flags import entrypoint


@pytest.mark.parametrize(("model", "gpus", "memory", "types", "expected"), [
    # 10 Gbps x 0.8 / 8 = 1.0 GB/s / 0.085 GB/s per connection -> 12 connections; 28 GiB x 0.25 buffer.
    ("Qwen/Qwen2.5-7B-Instruct", 1, 28, ["g6.2xlarge"], {"concurrency": 12, "memory_limit": 7516192768}),
    # The fastest eligible node sets the connections (200 Gbps -> 236, capped at 64 per rank).
    ("Qwen/Qwen2.5-7B-Instruct", 1, 28, ["g6.2xlarge", "g6e.24xlarge"], {"concurrency": 64, "memory_limit": 7516192768}),
    # 4 ranks share a 100 Gbps NIC: 10 GB/s / 0.085 = 118 connections, 30 each; 320 GiB x 0.25 / 4 per rank.
    ("meta-llama/Llama-3.1-70B-Instruct", 4, 320, ["g6e.12xlarge"], {"concurrency": 30, "memory_limit": 21474836480}),
    # A small pod still gets a buffer that holds the largest tensor (2.1 GB embedding x 1.1).
    ("meta-llama/Llama-3.1-70B-Instruct", 4, 24, ["g6e.12xlarge"], {"concurrency": 30, "memory_limit": 2310000000}),
])
def test_streamer_is_sized_per_model_and_instance_type(model, gpus, memory, types, expected):
    assert streamer_config(SlotConfig(model=model, gpus=gpus, memory_gib=memory), types) == expected


def test_entrypoint_passes_the_streamer_config_exactly_as_rendered():
    cfg = SlotConfig(model="meta-llama/Llama-3.1-8B-Instruct", memory_gib=40)
    streamer = streamer_config(cfg, ["g6e.2xlarge"])
    uri = "s3://models/meta-llama/Llama-3.1-8B-Instruct/"
    env = serving_env(cfg, uri, "us-west-2", streamer=streamer, compile_cache_uri=compile_cache_uri("models", cfg.model))
    argv = entrypoint.build_argv(env)
    assert argv == serve_flags(cfg, uri, streamer=streamer)
    assert json.loads(argv[argv.index("--model-loader-extra-config") + 1]) == streamer
    assert {a for a in argv if a.startswith("--")} <= reference_flags()
    assert env["COMPILE_CACHE_S3_URI"] == "s3://models/compile-cache/meta-llama/Llama-3.1-8B-Instruct/"
    assert env["VLLM_CACHE_ROOT"] == "/models-cache/vllm"


def test_compile_cache_key_is_model_vllm_version_and_gpu():
    assert entrypoint.compile_cache_prefix("s3://b/compile-cache/org/m/", "0.33.0", "NVIDIA L40S") == "s3://b/compile-cache/org/m/vllm-0.33.0/nvidia-l40s/"
    assert entrypoint.compile_cache_prefix("s3://b/compile-cache/org/m", "0.33.0", "") == "s3://b/compile-cache/org/m/vllm-0.33.0/unknown-gpu/"


def test_compile_cache_round_trips_through_s3(aws_credentials, tmp_path):
    import boto3
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="models")
        prefix = "s3://models/compile-cache/org/m/vllm-0.33.0/nvidia-l4/"
        first = tmp_path / "first"
        assert entrypoint.restore_compile_cache(prefix, first, s3) == 0  # cold: nothing yet
        compiled = first / "torch_compile_cache" / "abc123" / "rank_0_0"
        compiled.mkdir(parents=True)
        (compiled / "vllm_compile_cache.py").write_text("cache = {}")
        (compiled / "inductor.bin").write_bytes(b"\x00\x01")
        assert entrypoint.upload_compile_cache(first, prefix, s3) == 2
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="models", Prefix="compile-cache/")["Contents"])
        assert keys == [
            "compile-cache/org/m/vllm-0.33.0/nvidia-l4/torch_compile_cache/abc123/rank_0_0/inductor.bin",
            "compile-cache/org/m/vllm-0.33.0/nvidia-l4/torch_compile_cache/abc123/rank_0_0/vllm_compile_cache.py",
        ]
        second = tmp_path / "second"
        assert entrypoint.restore_compile_cache(prefix, second, s3) == 2  # the next cold start is warm
        assert (second / "torch_compile_cache" / "abc123" / "rank_0_0" / "inductor.bin").read_bytes() == b"\x00\x01"
        s3.put_object(Bucket="models", Key="compile-cache/org/m/vllm-0.33.0/nvidia-l4/../../escape", Body=b"x")
        assert entrypoint.restore_compile_cache(prefix, tmp_path / "third", s3) == 2  # ../ keys are skipped


def test_a_broken_cache_never_stops_the_server(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(entrypoint, "gpu_name", lambda: "NVIDIA L4")
    monkeypatch.setattr(entrypoint, "restore_compile_cache", lambda *a: (_ for _ in ()).throw(RuntimeError("AccessDenied")))
    monkeypatch.setattr("importlib.metadata.version", lambda name: "0.33.0")
    entrypoint.warm_compile_cache({"COMPILE_CACHE_S3_URI": "s3://b/compile-cache/org/m/", "VLLM_CACHE_ROOT": str(tmp_path)})
    assert "compile cache not restored from s3://b/compile-cache/org/m/vllm-0.33.0/nvidia-l4/: AccessDenied" in capsys.readouterr().err


def test_unmodelled_slots_keep_the_previous_budget_and_an_override_wins():
    from components.coldstart.budget import Timeouts
    from components.coldstart.sizing import slot_sizing
    from tests.gpu.helpers import pool

    p = pool()
    for cfg in (SlotConfig(model="org/unknown"), SlotConfig(model="Qwen/Qwen2.5-7B-Instruct", weights="hub")):
        sizing = slot_sizing(p, cfg)
        assert (sizing.computed, sizing.timeouts) == (False, Timeouts(2400, 3000))
    override = slot_sizing(p, SlotConfig(model="Qwen/Qwen2.5-7B-Instruct", startup_minutes=15))
    assert not override.computed and override.timeouts.startup_probe_seconds == 900
    assert override.timeouts.rollout_seconds >= 900
    computed = slot_sizing(p, SlotConfig(model="Qwen/Qwen2.5-7B-Instruct"))
    assert computed.computed and computed.timeouts.startup_probe_seconds < 2400
