"""serving-image/: pinned base, never latest, non-root, small context, lint config; a real
`docker build` when a Docker engine is present."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
import yaml

from components.registry.models import RegistryConfig
from components.serving.manifests import RUN_AS
from tests.support.paths import REPO_ROOT

IMAGE_DIR = REPO_ROOT / "serving-image"
DOCKERFILE = (IMAGE_DIR / "Dockerfile").read_text()


def _instructions(keyword: str) -> list[str]:
    return [line.split(None, 1)[1] for line in DOCKERFILE.splitlines() if line.upper().startswith(keyword + " ")]


def test_base_image_is_pinned_by_digest_to_the_configured_vllm_release():
    (base,) = _instructions("FROM")
    assert base == "vllm/vllm-openai:v${VLLM_VERSION}@sha256:${VLLM_BASE_DIGEST}"
    default = next(a for a in _instructions("ARG") if a.startswith("VLLM_VERSION="))
    assert default == f"VLLM_VERSION={RegistryConfig().vllm_version}"
    # No default digest: a build without registry.baseImageDigest fails instead of floating on the tag.
    assert "VLLM_BASE_DIGEST" in _instructions("ARG")
    assert "latest" not in DOCKERFILE.lower().replace("never `latest`", "")


def test_python_dependencies_are_installed_from_hashes_only():
    (install,) = [line for line in DOCKERFILE.splitlines() if "pip install" in line]
    assert "--require-hashes" in install and "--no-deps" in install and "-r /tmp/serving-requirements.txt" in install
    lines = [line for line in (IMAGE_DIR / "requirements.txt").read_text().splitlines() if line and not line.startswith("#")]
    assert len(lines) >= 5
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9.]+ --hash=sha256:[0-9a-f]{64}", line), line


def test_runs_as_the_non_root_user_the_pod_expects():
    (user,) = _instructions("USER")
    assert user == f"{RUN_AS}:{RUN_AS}" and RUN_AS != 0
    assert _instructions("ENTRYPOINT") == ['["python3", "/usr/local/bin/llm-entrypoint"]']


def test_context_and_lint_files():
    lines = [line for line in (IMAGE_DIR / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert lines == ["*", "!Dockerfile", "!entrypoint.py", "!requirements.txt"], "the context is the Dockerfile, entrypoint and hashed requirements"
    hadolint = yaml.safe_load((IMAGE_DIR / ".hadolint.yaml").read_text())
    assert hadolint["failure-threshold"] == "warning"


@pytest.mark.docker
def test_docker_build(tmp_path):
    docker = shutil.which("docker")
    result = subprocess.run(
        [docker, "build", "--platform", "linux/amd64", "--build-arg", f"VLLM_VERSION={RegistryConfig().vllm_version}",
         "--build-arg", f"VLLM_BASE_DIGEST={os.environ.get('VLLM_BASE_DIGEST') or pytest.fail('set VLLM_BASE_DIGEST (registry.baseImageDigest) to build')}", "-t", "llm-platform/vllm-serving:test", str(IMAGE_DIR)],
        capture_output=True, text=True, timeout=3600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run = subprocess.run([docker, "run", "--rm", "-e", "MODEL_ID=org/m", "-e", "MODEL_SOURCE=hub", "llm-platform/vllm-serving:test", "--dry-run"],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0 and run.stdout.startswith("vllm serve --model org/m")
