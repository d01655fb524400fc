"""vLLM flags: the curated allowlist, the rendered argv, and the image's entrypoint agree with
vLLM 0.33's real `vllm serve` flags."""

from __future__ import annotations

import importlib.util
import shlex

import pytest

from components.registry.models import RegistryConfig
from components.serving.models import SlotConfig
from components.serving.vllm import extra_flags, serve_flags, serving_env
from components.serving.vllm_flags import ALLOWED, MANAGED, VLLM_VERSION, check_extra_flag
from tests.serving.helpers import reference, stack_slots
from tests.serving.helpers import serve_flags as reference_flags
from tests.support.paths import REPO_ROOT


def _entrypoint():
    spec = importlib.util.spec_from_file_location("serving_entrypoint", REPO_ROOT / "serving-image" / "entrypoint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


entrypoint = _entrypoint()


def test_reference_is_the_pinned_release():
    assert reference()["vllm_version"] == VLLM_VERSION == RegistryConfig().vllm_version


def test_allowlist_and_managed_flags_exist_in_vllm():
    known = reference_flags()
    assert not {f"--{f}" for f in ALLOWED} - known
    assert not {f"--{f}" for f in MANAGED} - known
    assert not ALLOWED & set(MANAGED), "a flag is both managed and allowed"


def test_allowlist_is_curated_not_a_copy():
    assert len(ALLOWED) < len(reference_flags()) / 2
    for dangerous in ("disable-log-stats", "api-key", "ssl-keyfile", "headless"):
        assert dangerous not in ALLOWED


@pytest.mark.parametrize(("flag", "message"), [
    ("enable-prefix-caching", None),
    ("--enable-prefix-caching", "without the leading dashes"),
    ("tensor-parallel-size", "set by the platform from slot.gpus"),
    ("disable-log-stats", "not a vLLM 0.33.0 serve flag this platform allows"),
    ("enable-prefix-cachng", "did you mean enable-prefix-caching"),
])
def test_check_extra_flag(flag, message):
    problem = check_extra_flag(flag)
    assert problem is None if message is None else message in problem


def test_extra_flags_render_booleans_and_values_sorted():
    assert extra_flags({"max-num-seqs": 128, "enable-prefix-caching": True, "enforce-eager": False, "kv-cache-dtype": "fp8"}) == [
        "--enable-prefix-caching", "--kv-cache-dtype", "fp8", "--max-num-seqs", "128",
    ]


@pytest.mark.parametrize("case", list(stack_slots()), ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}")
def test_every_stack_slot_renders_only_real_flags(case):
    _, _, _, cfg, _, _ = case
    argv = serve_flags(cfg, "s3://bucket/model/")
    flags = {a for a in argv if a.startswith("--")}
    assert flags <= reference_flags(), flags - reference_flags()
    assert argv[argv.index("--tensor-parallel-size") + 1] == str(cfg.gpus)
    assert argv[argv.index("--served-model-name") + 1] == cfg.model


@pytest.mark.parametrize("weights", ["s3", "hub"])
def test_entrypoint_builds_exactly_the_rendered_flags(weights):
    cfg = SlotConfig(model="meta-llama/Llama-3.1-8B-Instruct", weights=weights, gpus=2, max_model_len=8192,
                     vllm_args={"enable-prefix-caching": True, "max-num-seqs": 64})
    uri = "s3://models/meta-llama/Llama-3.1-8B-Instruct/"
    env = {k: v for k, v in serving_env(cfg, uri, "us-west-2").items()}
    argv = entrypoint.build_argv(env, extra_flags(cfg.vllm_args))
    assert argv == serve_flags(cfg, uri)
    assert {a for a in argv if a.startswith("--")} <= reference_flags()
    if weights == "s3":
        assert argv[argv.index("--load-format") + 1] == "runai_streamer"
        assert argv[argv.index("--model") + 1] == uri


def test_entrypoint_extra_args_env_is_shell_split():
    argv = entrypoint.build_argv({"MODEL_ID": "org/m", "MODEL_SOURCE": "hub", "EXTRA_ARGS": "--max-num-seqs 8 --enforce-eager"})
    assert argv[-3:] == ["--max-num-seqs", "8", "--enforce-eager"]


@pytest.mark.parametrize(("env", "message"), [
    ({}, "MODEL_ID is not set"),
    ({"MODEL_ID": "org/m", "MODEL_SOURCE": "gcs"}, "expected s3 or hub"),
    ({"MODEL_ID": "org/m", "MODEL_SOURCE": "s3"}, "expected s3://<bucket>/<model id>/"),
    ({"MODEL_ID": "org/m", "MODEL_S3_URI": "s3://"}, "expected s3://<bucket>/<model id>/"),
])
def test_entrypoint_rejects_bad_env(env, message):
    with pytest.raises(entrypoint.EntrypointError, match=message.replace("(", r"\(")):
        entrypoint.build_argv(env)


def test_entrypoint_dry_run_prints_the_command(monkeypatch, capsys):
    for key, value in {"MODEL_ID": "org/m", "MODEL_SOURCE": "hub", "PORT": "8000"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("EXTRA_ARGS", raising=False)
    assert entrypoint.main(["--dry-run", "--enable-prefix-caching"]) == 0
    command = shlex.split(capsys.readouterr().out)
    assert command[:2] == ["vllm", "serve"]
    assert command[-1] == "--enable-prefix-caching"


def test_entrypoint_fails_fast_on_a_missing_model(monkeypatch, capsys):
    for key, value in {"MODEL_ID": "org/m", "MODEL_SOURCE": "s3", "MODEL_S3_URI": "s3://b/org/m/"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(entrypoint, "check_s3_weights", lambda uri: (_ for _ in ()).throw(entrypoint.EntrypointError(f"no model weights at {uri}")))
    assert entrypoint.main([]) == 2
    assert "entrypoint: no model weights at s3://b/org/m/" in capsys.readouterr().err


class TestS3Check:
    @pytest.fixture()
    def bucket(self, aws_credentials):
        import boto3
        from moto import mock_aws

        with mock_aws():
            s3 = boto3.client("s3", region_name="us-east-1")
            s3.create_bucket(Bucket="models")
            yield s3

    def test_empty_prefix(self, bucket):
        with pytest.raises(entrypoint.EntrypointError, match="the prefix is empty"):
            entrypoint.check_s3_weights("s3://models/org/m/")

    def test_weights_without_config(self, bucket):
        bucket.put_object(Bucket="models", Key="org/m/model.safetensors", Body=b"x")
        with pytest.raises(entrypoint.EntrypointError, match="no config.json"):
            entrypoint.check_s3_weights("s3://models/org/m/")

    def test_no_safetensors(self, bucket):
        bucket.put_object(Bucket="models", Key="org/m/config.json", Body=b"{}")
        bucket.put_object(Bucket="models", Key="org/m/pytorch_model.bin", Body=b"x")
        with pytest.raises(entrypoint.EntrypointError, match="no .safetensors"):
            entrypoint.check_s3_weights("s3://models/org/m/")

    def test_complete_snapshot_passes(self, bucket):
        bucket.put_object(Bucket="models", Key="org/m/config.json", Body=b"{}")
        bucket.put_object(Bucket="models", Key="org/m/model-00001-of-00002.safetensors", Body=b"x")
        entrypoint.check_s3_weights("s3://models/org/m")  # trailing slash optional


def test_slots_also_answer_to_their_endpoint_name_so_clients_survive_a_canary():
    cfg = SlotConfig(model="Qwen/Qwen2.5-7B-Instruct")
    env = serving_env(cfg, "s3://models/Qwen/Qwen2.5-7B-Instruct/", "us-west-2", aliases=("chat",))
    assert env["SERVED_MODEL_NAME"] == "Qwen/Qwen2.5-7B-Instruct chat"
    argv = _entrypoint().build_argv(env)
    at = argv.index("--served-model-name")
    assert argv[at + 1: at + 3] == ["Qwen/Qwen2.5-7B-Instruct", "chat"]
    assert argv == serve_flags(cfg, "s3://models/Qwen/Qwen2.5-7B-Instruct/", aliases=("chat",))


def test_every_synthesized_vllm_deployment_serves_its_endpoint_alias():
    from components.observability.labels import LLM_ENDPOINT
    from tests.conftest import synthesized

    for stack in ("dev", "prod"):
        deployments = [(r, obj) for r, obj in synthesized(stack).kubernetes_objects()
                       if obj["kind"] == "Deployment" and obj["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "vllm"]
        assert deployments, stack
        for resource, obj in deployments:
            env = {e["name"]: e.get("value") for e in obj["spec"]["template"]["spec"]["containers"][0]["env"]}
            endpoint = obj["metadata"]["labels"][LLM_ENDPOINT]
            assert env["SERVED_MODEL_NAME"].split()[1:] == [endpoint], resource.name
