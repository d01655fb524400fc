"""Input AWS, Kubernetes or vLLM would reject is refused while reading the stack file: one line,
naming the file and key, exit 2 from llmctl, nothing written."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from components.catalog.models import MODELS
from components.config_base import INT32_MAX
from components.endpoint.models import EndpointConfig
from components.serving.vllm import serve_flags, serving_env
from infra.config import ConfigError, StackConfig, load_config, parse_stack_text
from llmctl.cli import app
from tests.release.standin import copy_project
from tests.support.paths import REPO_ROOT, STACKS
from tests.support.stack_config import SOURCE, config_error, stack_raw


def raw(stack: str = "prod") -> dict:
    return stack_raw(stack)


def message(config: dict) -> str:
    return config_error(config)


def test_duplicate_keys_anywhere_name_both_lines():
    text = (REPO_ROOT / "stacks" / "Pulumi.prod.yaml").read_text()
    lines = text.splitlines()
    first = lines.index("        green: 0") + 1  # chat's weights
    doubled = "\n".join([*lines[:first], "        green: 100", *lines[first:]]) + "\n"
    with pytest.raises(ConfigError) as info:
        parse_stack_text(doubled, SOURCE)
    assert str(info.value) == (f"{SOURCE}: duplicate key 'green' at lines {first} and {first + 1}: "
                               "YAML would keep only the second; remove one")
    top = text.replace("  llm-platform:cost:", "  aws:region: us-west-2\n  llm-platform:cost:")
    region_line = lines.index("  aws:region: us-east-1") + 1
    with pytest.raises(ConfigError, match=rf"duplicate key 'aws:region' at lines {region_line} and \d+"):
        parse_stack_text(top, SOURCE)


def test_merge_keys_may_override_what_they_merge():
    text = "config:\n  base: &b {x: 1, y: 2}\n  llm-platform:x:\n    <<: *b\n    x: 3\n"
    assert parse_stack_text(text, SOURCE)["llm-platform:x"] == {"x": 3, "y": 2}


@pytest.mark.parametrize(("key", "expected"), [
    ("llm-platfrom:cost", "llm-platfrom:cost: unknown namespace 'llm-platfrom'; did you mean llm-platform:cost? "
                          "allowed namespaces: aws, docker-build, kubernetes, llm-platform, pulumi"),
    ("kubernets:context", "kubernets:context: unknown namespace 'kubernets'; did you mean kubernetes:context?"),
    ("zzz:thing", "zzz:thing: unknown namespace 'zzz'; allowed namespaces: aws"),
    ("cost", "cost: a config key needs a namespace, e.g. llm-platform:cost"),
])
def test_unknown_namespaces_are_refused_with_the_nearest(key, expected):
    config = raw()
    config[key] = {"budget": {"monthlyLimitUsd": 10}}
    assert message(config).startswith(f"{SOURCE}: {expected}")


def test_provider_namespaces_pass():
    config = raw()
    config.update({"aws:profile": "prod", "kubernetes:enableServerSideApply": "true", "pulumi:tags": {"a": "b"}})
    load_config(config, SOURCE)


INT32 = "less than or equal to 2147483647"


@pytest.mark.parametrize(("path", "value", "why"), [
    (("slots", "blue", "replicas", "max"), 2**31, INT32),
    (("slots", "blue", "replicas", "max"), 3.0e9, INT32),
    (("slots", "blue", "replicas", "max"), 1.0e30, "exceeded maximum size"),
    (("standbyReplicas",), 2**31, INT32),
    (("slots", "blue", "scaling", "wakeRequests"), 2**40, INT32),
])
def test_int32_overflow_is_refused(path, value, why):
    config = raw()
    node = config["llm-platform:endpoints"]["chat"]
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    text = message(config)
    assert f"llm-platform:endpoints.chat.{'.'.join(path)}:" in text and why in text


def _ints_in(annotation: object) -> list[object]:
    """The int types inside an annotation (int, Int32, Optional[...]), with their Annotated metadata."""
    if annotation is int:
        return [annotation]
    if typing.get_origin(annotation) is typing.Annotated:
        return [annotation] if typing.get_args(annotation)[0] is int else []
    if typing.get_origin(annotation) in (dict, list):
        return []  # free-form values (vllmArgs) are rendered as strings
    return [found for arg in typing.get_args(annotation) for found in _ints_in(arg)]


def _upper_bounds(field, annotation) -> list[int]:
    metadata = [*field.metadata, *(typing.get_args(annotation)[1:] if typing.get_origin(annotation) is typing.Annotated else [])]
    return [b for m in metadata for b in (getattr(m, "le", None), getattr(m, "lt", None)) if b is not None]


def _int_fields(model: type[BaseModel], seen: set) -> list[tuple[str, list[int]]]:
    found = []
    for name, field in model.model_fields.items():
        for arg in [field.annotation, *typing.get_args(field.annotation)]:
            if isinstance(arg, type) and issubclass(arg, BaseModel) and arg not in seen:
                seen.add(arg)
                found += _int_fields(arg, seen)
        for annotation in _ints_in(field.annotation):
            found.append((f"{model.__name__}.{name}", _upper_bounds(field, annotation)))
    return found


def test_every_int_of_an_endpoint_is_bounded_to_int32():
    """Everything under endpoints reaches a Kubernetes object (Deployment, ScaledObject, probes)."""
    fields = _int_fields(EndpointConfig, set())
    assert len(fields) >= 10
    for name, bounds in fields:
        assert bounds and min(bounds) <= INT32_MAX, name


def _slot(config: dict, **changes) -> dict:
    config["llm-platform:endpoints"]["chat"]["slots"]["blue"].update(changes)
    return config


def test_tp_times_pp_must_equal_gpus():
    text = message(_slot(raw(), vllmArgs={"pipeline-parallel-size": 3}))
    assert text.startswith(f"{SOURCE}: llm-platform:endpoints.chat.slots.blue: ")
    assert "tensor-parallel-size x pipeline-parallel-size must equal gpus (4): pipeline-parallel-size 3 does not divide 4" in text
    cfg = load_config(_slot(raw(), vllmArgs={"pipeline-parallel-size": 2}), SOURCE).endpoints["chat"].slots.blue
    assert (cfg.tensor_parallel_size, cfg.pipeline_parallel_size) == (2, 2)
    flags = serve_flags(cfg, "s3://b/m/")
    assert flags[flags.index("--tensor-parallel-size") + 1] == "2" and flags[flags.index("--pipeline-parallel-size") + 1] == "2"
    assert serving_env(cfg, "s3://b/m/", "us-east-1")["TENSOR_PARALLEL_SIZE"] == "2"


def test_tp_must_divide_the_attention_heads_of_a_known_model():
    config = raw("dev")  # Qwen2.5-7B-Instruct: 28 heads
    config["llm-platform:endpoints"]["chat"]["slots"]["blue"]["gpus"] = 3
    config["llm-platform:gpu"]["pools"][0]["sizes"] = ["12xlarge", "xlarge", "2xlarge"]
    text = message(config)
    assert "llm-platform:endpoints.chat.slots.blue.gpus: 3: tensor parallel size 3 does not divide the model's 28 attention heads " \
           "(Qwen/Qwen2.5-7B-Instruct); vLLM refuses it: use gpus 1, 2, 4, 7" in text


def test_unknown_models_pass_with_a_warning():
    cfg = load_config(_slot(raw(), model="acme/secret-model-9B"), SOURCE)
    assert cfg.warnings() == ["llm-platform:endpoints.chat.slots.blue.model: acme/secret-model-9B is not in "
                              "components/catalog/models.py; its tensor parallel size is not checked against its attention heads"]


def test_every_model_the_stacks_serve_is_in_the_catalog_and_fits(configs):
    served = {(s, getattr(e.slots, slot).model, getattr(e.slots, slot).tensor_parallel_size)
              for s, cfg in configs.items() for e in cfg.endpoints.values() for slot in ("blue", "green") if getattr(e.slots, slot).model}
    assert served
    for stack, model, tp in served:
        assert model in MODELS, (stack, model)
        assert MODELS[model].tp_problem(tp) is None
    assert all(configs[s].warnings() == [] for s in configs)


def test_prod_with_a_single_nat_gateway_is_a_config_error():
    config = raw()
    config["llm-platform:network"]["natGateways"] = "single"
    assert message(config) == (f"{SOURCE}: llm-platform:network.natGateways: 'single': a prod stack needs perAz: with a single "
                               "NAT gateway one availability zone's outage cuts every subnet's egress")
    assert load_config(raw("dev"), SOURCE).network.nat_gateways == "single"


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace("  llm-platform:cost:", "  llm-platfrom:cost:"), "did you mean llm-platform:cost?"),
    (lambda t: t.replace("            max: 6\n", "            max: 6\n            max: 7\n", 1), "duplicate key 'max' at lines"),
    (lambda t: t.replace("            max: 6\n", "            max: 3000000000\n", 1), "less than or equal to 2147483647"),
    (lambda t: t.replace("            enable-prefix-caching: true\n",
                         "            enable-prefix-caching: true\n            pipeline-parallel-size: 3\n"), "must equal gpus (4)"),
])
@pytest.mark.parametrize("command", [["synth", "prod", "--out", "out"], ["release", "status", "prod"]])
def test_cli_refuses_with_exit_2_one_line_and_writes_nothing(tmp_path, monkeypatch, edit, expected, command):
    root = copy_project(tmp_path)
    monkeypatch.chdir(root)
    path = root / "stacks" / "Pulumi.prod.yaml"
    path.write_text(edit(path.read_text()))
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and expected in result.stderr and "Traceback" not in result.output
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_the_committed_stacks_are_clean():
    for stack in STACKS:
        cfg = load_config(raw(stack), SOURCE)
        assert isinstance(cfg, StackConfig)


def test_pulumi_up_gets_the_namespace_check_too():
    """`pulumi up` hands the program engine config (config_from_pulumi), not the YAML: the same
    validation runs there."""
    from llmctl.synth.runner import run_program

    config = raw("dev")
    config["llm-platfrom:cost"] = config.pop("llm-platform:cost", {"activateTags": False})
    with pytest.raises(ConfigError, match=r"^stacks/Pulumi.t.yaml: llm-platfrom:cost: unknown namespace 'llm-platfrom'; did you mean"):
        run_program("t", config)


def test_weights_that_cannot_fit_the_pools_gpus_are_a_warning():
    config = raw("staging")
    del config["llm-platform:endpoints"]["code"]["slots"]["green"]["minGpuMemoryGib"]
    assert load_config(config, SOURCE).warnings() == [
        "llm-platform:endpoints.code.slots.green: Qwen/Qwen2.5-Coder-14B-Instruct needs 29.5 GB of weights per GPU at tensor "
        "parallel 1, but pool gpu-general may place it on 24 GiB GPUs; raise gpus or set minGpuMemoryGib"]
