"""Stack config: every kind of bad input is ONE line naming the file, the key, the value and what
is allowed; llmctl exits 2 without a traceback; the program raises pulumi.RunError."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from infra.config import ConfigError, json_schema, load_config, read_stack_file
from llmctl.synth.runner import run_program
from tests.support.paths import REPO_ROOT, STACKS
from tests.support.stack_config import SOURCE, config_error, stack_raw


def dev_raw() -> dict:
    return stack_raw("dev")


def error_for(raw: dict) -> str:
    return config_error(raw)


def mutate(path: str, value):
    raw = dev_raw()
    keys = path.split(".")
    node = raw[keys[0]]
    for key in keys[1:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is _DELETE:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return raw


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("aws:region", "mars-north-1", "stacks/Pulumi.t.yaml: aws:region: 'mars-north-1': unknown or unsupported region; supported: us-east-1"),
        ("llm-platform:network.azCount", -1, "llm-platform:network.azCount: -1: Input should be greater than or equal to 2"),
        ("llm-platform:cluster.systemNodes.minSize", -2, "llm-platform:cluster.systemNodes.minSize: -2: Input should be greater than or equal to 1"),
        ("llm-platform:endpoints.chat.slots.blue.replicas.min", 3, "llm-platform:endpoints.chat.slots.blue.replicas: {\"max\": 2, \"min\": 3}: min (3) must not exceed max (2)"),
        ("llm-platform:cluster.systemNodes.maxSize", 1, "need minSize <= desiredSize <= maxSize, got 2 <= 2 <= 1"),
        ("llm-platform:network.cidr", "10.40.0.0/33", "llm-platform:network.cidr: '10.40.0.0/33': Input is not a valid IPv4 network"),
        ("llm-platform:network.cidr", "10.40.0.1/16", "llm-platform:network.cidr: '10.40.0.1/16': Input is not a valid IPv4 network"),
        ("llm-platform:network.cidr", "8.8.0.0/16", "must be a private (RFC 1918) range"),
        ("llm-platform:gpu.pools.0.families", ["g6", "g77"], "llm-platform:gpu.pools[0].families: [\"g6\", \"g77\"]: unknown instance family 'g77'; GPU families:"),
        ("llm-platform:tags.owner", _DELETE, "...: missing required tag(s) owner; every stack sets project, environment, team, cost-center, owner"),
        ("llm-platform:tags.environment", "qa", "tag environment='qa' must be one of dev, staging, prod"),
        ("llm-platform:network.natGateway", "single", "llm-platform:network.natGateway: 'single': unknown key; allowed keys here: azCount, cidr, flowLogRetentionDays, interfaceEndpointZones, interfaceEndpoints, natGateways, reservedCidrs"),
        ("llm-platform:network.natGateways", "two", "llm-platform:network.natGateways: 'two': Input should be 'single' or 'perAz'"),
        ("llm-platform:network.flowLogRetentionDays", 10, "10 is not a CloudWatch Logs retention period; allowed: 1, 3, 5, 7, 14"),
        ("llm-platform:endpoints.chat.pool", "gpu-nope", "llm-platform:endpoints.chat.pool: 'gpu-nope': no such GPU pool; pools: gpu-spot"),
        ("llm-platform:endpoints.chat.weights.blue", 90, "llm-platform:endpoints.chat.weights: {\"blue\": 90, \"green\": 0}: blue + green must be 100, got 90 + 0 = 90"),
        ("llm-platform:network.azCount", 5, "llm-platform:network.azCount: 5: us-west-2 has 4 availability zones"),
        ("llm-platform:endpoints.chat.slots.blue.memoryGib", 400, "llm-platform:endpoints.chat.slots.blue.memoryGib: 400: no instance type of pool gpu-spot fits 1 GPU(s), 4 vCPU and 400 GiB"),
        ("llm-platform:network.cidr", "172.20.0.0/16", "llm-platform:network.cidr: '172.20.0.0/16': overlaps cluster.serviceCidr 172.20.0.0/16"),
    ],
)
def test_bad_value_is_one_line_naming_file_key_value_and_allowed(path, value, expected):
    key, _, rest = path.partition(".")
    raw = mutate(path, value) if rest else {**dev_raw(), key: value}
    assert expected in error_for(raw)


def test_unknown_top_level_key_lists_the_allowed_keys():
    message = error_for({**dev_raw(), "llm-platform:endpoint": {}})
    assert message.startswith("stacks/Pulumi.t.yaml: llm-platform:endpoint: unknown key; allowed keys: aws:region, llm-platform:cluster")


def test_missing_section_is_named():
    raw = dev_raw()
    del raw["llm-platform:gpu"]
    assert error_for(raw) == "stacks/Pulumi.t.yaml: llm-platform:gpu: missing: required key is missing"


def test_several_errors_still_give_one_line_with_a_count():
    raw = mutate("llm-platform:network.azCount", -1)
    raw["llm-platform:network"]["natGateways"] = "two"
    assert error_for(raw).endswith("(and 1 more error)")


def test_a_standing_public_api_is_refused_in_prod_only():
    prod = read_stack_file(REPO_ROOT / "stacks" / "Pulumi.prod.yaml")
    prod = copy.deepcopy(prod)
    prod["llm-platform:cluster"]["publicAccessCidrs"] = ["203.0.113.0/24"]
    assert ("llm-platform:cluster.publicAccessCidrs[0]: '203.0.113.0/24': a prod API endpoint ends private; reach it from "
            "cluster.operatorCidrs (VPN, peering), and use cluster.bootstrap.deployerCidrs only for the first deploy") in error_for(prod)
    dev = mutate("llm-platform:cluster.publicAccessCidrs", ["0.0.0.0/0"])
    assert load_config(dev, SOURCE).cluster.public_access_cidrs[0].prefixlen == 0


def _write_stack(root: Path, text: str) -> None:
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    (root / "stacks" / "Pulumi.bad.yaml").write_text(text)


def _llmctl(root: Path, *args: str) -> subprocess.CompletedProcess:
    # llmctl works on the project around the working directory: a copy holding the bad file.
    (root / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    return subprocess.run([sys.executable, "-m", "llmctl.cli", *args], cwd=root, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("config:\n  aws:region: us-west-2\n  llm-platform:tags: {project: x\n", "stacks/Pulumi.bad.yaml: YAML syntax error at line 4, column 1:"),
        ("config:\n  aws:region: nowhere-1\n", "stacks/Pulumi.bad.yaml: aws:region: 'nowhere-1': unknown or unsupported region"),
        ("- just\n- a list\n", "stacks/Pulumi.bad.yaml: expected a top-level `config:` mapping"),
    ],
)
def test_llmctl_exits_2_with_one_line_and_no_traceback(tmp_path, text, expected):
    _write_stack(tmp_path, text)
    result = _llmctl(tmp_path, "synth", "bad", "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.stderr
    assert not (tmp_path / "out").exists(), "nothing may be written for a bad stack"


def test_llmctl_exits_2_for_a_missing_stack_file(tmp_path):
    (tmp_path / "stacks").mkdir()
    result = _llmctl(tmp_path, "synth", "nope")
    assert result.returncode == 2
    assert result.stderr.startswith("error: stacks/Pulumi.nope.yaml: no such stack file")


def test_the_program_itself_raises_run_error_with_the_same_message():
    raw = mutate("llm-platform:network.azCount", 5)
    with pytest.raises(ConfigError, match=r"^stacks/Pulumi.t.yaml: llm-platform:network.azCount: 5: us-west-2 has 4 availability zones"):
        run_program("t", raw)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=-5, max_value=12), st.sampled_from(["single", "perAz", "both", 3]))
def test_any_network_value_is_either_valid_or_one_clear_line(az_count, nat):
    raw = mutate("llm-platform:network.azCount", az_count)
    raw["llm-platform:network"]["natGateways"] = nat
    try:
        cfg = load_config(raw, SOURCE)
    except ConfigError as exc:
        assert str(exc).startswith(f"{SOURCE}: llm-platform:network.") and "\n" not in str(exc)
    else:
        assert 2 <= cfg.network.az_count <= 4 and cfg.network.nat_gateways in ("single", "perAz")


def test_stack_schema_file_is_current_and_every_stack_validates():
    import jsonschema

    committed = json.loads((REPO_ROOT / "stacks" / "stack.schema.json").read_text())
    # Currency of the committed schema: tests/test_generated.py.
    for stack in STACKS:
        doc = yaml.safe_load((REPO_ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
        jsonschema.validate(json.loads(json.dumps(doc)), committed)


def test_schema_rejects_an_unknown_project_key():
    import jsonschema

    doc = {"config": {**dev_raw(), "llm-platform:nope": 1}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, json_schema())

