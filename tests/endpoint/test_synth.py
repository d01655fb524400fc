"""The real program, synthesized: both slots of every endpoint, their namespaces and the URN globs
promote targets (the gateway side is tests/gateway/test_synth.py)."""

from __future__ import annotations

from tests.conftest import synthesized


def objects(stack: str, kind: str) -> list[dict]:
    return [obj for _, obj in synthesized(stack).kubernetes_objects() if obj["kind"] == kind]


def test_slots_run_what_the_weights_say(configs):
    deployments = {o["metadata"]["name"]: o for o in objects("prod", "Deployment") if o["metadata"]["namespace"].startswith("llm-") and not o["metadata"]["name"].endswith("-epp")}
    # chat: green idle with a model -> a Deployment (standbyReplicas 1); code/embed green: empty -> none
    assert {"chat-blue", "chat-green", "code-blue", "embed-blue"} == set(deployments)
    dev = {o["metadata"]["name"] for o in objects("dev", "Deployment") if o["metadata"]["namespace"].startswith("llm-") and not o["metadata"]["name"].endswith("-epp")}
    assert dev == {"chat-blue"}


def test_namespaces_are_restricted_and_labelled(configs):
    for stack in ("dev", "prod"):
        for name, endpoint in configs[stack].endpoints.items():
            ns = next(o for o in objects(stack, "Namespace") if o["metadata"]["name"] == f"llm-{name}")
            labels = ns["metadata"]["labels"]
            assert labels["pod-security.kubernetes.io/enforce"] == "restricted" and labels["team"] == endpoint.team


def test_serving_pods_satisfy_the_restricted_profile():
    """The namespaces enforce `restricted`: a vLLM pod that does not satisfy it would never start."""
    serving = [obj for obj in objects("prod", "Deployment") if obj["metadata"]["namespace"].startswith("llm-")]
    vllm = [obj for obj in serving if obj["metadata"]["labels"].get("app.kubernetes.io/name") == "vllm"]
    assert len(vllm) == 4  # prod: chat blue + green, code blue, embed blue (and whatever else runs beside them)
    for obj in serving:
        pod = obj["spec"]["template"]["spec"]
        assert pod.get("securityContext", {}).get("runAsNonRoot") is True or all(
            c.get("securityContext", {}).get("runAsNonRoot") for c in pod["containers"]), obj["metadata"]["name"]
        for container in pod["containers"] + pod.get("initContainers", []):
            ctx = container.get("securityContext", {})
            assert ctx.get("allowPrivilegeEscalation") is False, container["name"]
            assert ctx.get("capabilities", {}).get("drop") == ["ALL"], container["name"]
        seccomp = pod.get("securityContext", {}).get("seccompProfile", {}).get("type")
        assert seccomp in ("RuntimeDefault", "Localhost") or all(
            c.get("securityContext", {}).get("seccompProfile", {}).get("type") in ("RuntimeDefault", "Localhost") for c in pod["containers"])


def _glob(pattern: str):
    """Pulumi's --target glob: `**` spans anything, `*` stays within a `:`-free run."""
    import re

    parts = re.split(r"(\*\*|\*)", pattern)
    return re.compile("^" + "".join(".*" if p == "**" else "[^:]*" if p == "*" else re.escape(p) for p in parts) + "$")


def test_slot_targets_select_exactly_one_slot():
    from components.endpoint.names import slot_target

    inventory = synthesized("prod")
    matcher = _glob(slot_target("prod", "chat", "green"))
    matched = [r for r in inventory.resources if matcher.match(r.urn)]
    assert {r.name for r in matched} >= {"chat-green-deployment", "chat-green-scaler", "chat-green-service"}
    assert all(r.name.startswith("chat-green-") for r in matched)
    children = [r for r in inventory.resources if r.name.startswith("chat-green-")]
    assert len(matched) == len(children)
    engine = "urn:pulumi:prod::llm-platform::llm-platform:endpoint:Endpoint$llm-platform:serving:ServingSlot$kubernetes:apps/v1:Deployment::"
    assert matcher.match(engine + "chat-green-deployment") and not matcher.match(engine + "chat-blue-deployment")
