"""vLLM serving pods (Deployments labelled app.kubernetes.io/name=vllm): whole GPUs, bounded memory,
probes for a slow start, pinned images, a sized /dev/shm, a drain that fits the grace period, a PDB
and the restricted pod security profile."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ..model import ADVISORY, Context, ResourceView, as_list, get, is_map, number, resource_rule, stack_rule
from .tags import is_vllm_deployment

GPU = "nvidia.com/gpu"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
_ECR = re.compile(r"^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/")
_SHUTDOWN = re.compile(r"--shutdown-timeout(?:=|\s+)(\d+)")
_SLEEP = re.compile(r"\bsleep\s+(\d+)")


def pod_spec(r: ResourceView) -> Mapping[str, Any]:
    spec = get(r.props, "spec", "template", "spec", default={})
    return spec if is_map(spec) else {}


def containers(r: ResourceView, field: str = "containers") -> list[Mapping[str, Any]]:
    return [c for c in as_list(get(pod_spec(r), field)) if is_map(c)]


def all_containers(r: ResourceView) -> list[Mapping[str, Any]]:
    """Containers and init containers: limits, images and security apply to both."""
    return [*containers(r), *containers(r, "initContainers")]


def serving_container(r: ResourceView) -> Mapping[str, Any] | None:
    """The vLLM container: the one named vllm, else the one asking for GPUs, else the first."""
    found = containers(r)
    for test in (lambda c: get(c, "name") == "vllm", lambda c: get(c, "resources", "limits", GPU) is not None):
        match = next((c for c in found if test(c)), None)
        if match is not None:
            return match
    return found[0] if found else None


def _cname(c: Mapping[str, Any]) -> str:
    return str(get(c, "name", default="?"))


@resource_rule("vllm-gpu-requests-equal-limits", "workloads", "vLLM containers request exactly the GPUs they limit (nvidia.com/gpu requests = limits).")
def vllm_gpu_requests_equal_limits(r: ResourceView, ctx: Context) -> Iterator[str]:
    if not is_vllm_deployment(r):
        return
    for c in containers(r):
        req, lim = number(get(c, "resources", "requests", GPU)), number(get(c, "resources", "limits", GPU))
        if c is serving_container(r) and lim is None:
            yield f"{r.display}: container {_cname(c)} has no {GPU} limit; set resources.limits.{GPU} to the slot's GPUs"
        elif req is not None and lim is not None and req != lim:
            yield f"{r.display}: container {_cname(c)} requests {int(req)} {GPU} but limits {int(lim)}; make requests equal limits"


@resource_rule("vllm-memory-limits", "workloads", "Every container of a vLLM pod has a memory limit.")
def vllm_memory_limits(r: ResourceView, ctx: Context) -> Iterator[str]:
    if is_vllm_deployment(r):
        for c in all_containers(r):
            if not get(c, "resources", "limits", "memory"):
                yield f"{r.display}: container {_cname(c)} has no memory limit; set resources.limits.memory"


@resource_rule("vllm-probes", "workloads", "The vLLM container has a startup probe (model load) and a readiness probe.")
def vllm_probes(r: ResourceView, ctx: Context) -> Iterator[str]:
    c = serving_container(r) if is_vllm_deployment(r) else None
    if c is None:
        return
    missing = [p for p in ("startupProbe", "readinessProbe") if not is_map(get(c, p))]
    if missing:
        yield f"{r.display}: container {_cname(c)} lacks {', '.join(missing)}; probe /health so traffic waits for the model to load"


@resource_rule(
    "vllm-image-pinned", "workloads",
    "vLLM images are pinned: by digest, or an immutable non-latest tag from the stack's own ECR.", config_keys=("accountId",),
)
def vllm_image_pinned(r: ResourceView, ctx: Context) -> Iterator[str]:
    if not is_vllm_deployment(r):
        return
    for c in all_containers(r):
        image = str(get(c, "image", default=""))
        if "@sha256:" in image:
            continue
        repo, _, tag = image.rpartition(":")
        ecr = _ECR.match(image)
        if "/" in tag or not repo or tag == "latest":
            yield f"{r.display}: container {_cname(c)} image {image!r} is not pinned; use a digest (@sha256:...) or a release tag"
        elif not ecr or (ctx.account_id and ecr.group(1) != ctx.account_id):
            yield f"{r.display}: container {_cname(c)} image {image!r} is tag-pinned outside the stack's ECR; pin it by digest"


_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def _flag_value(args: list[Any], flag: str) -> str | None:
    """The value of `--flag value` or `--flag=value` in an argv list."""
    for i, arg in enumerate(args):
        text = str(arg)
        if text == flag and i + 1 < len(args):
            return str(args[i + 1])
        if text.startswith(f"{flag}="):
            return text.split("=", 1)[1]
    return None


@resource_rule(
    "vllm-pinned-model", "workloads",
    "vLLM runs remote code only at a pinned commit, and hub weights only at a pinned commit (--revision <40-hex>).",
    levels={"dev": ADVISORY},
)
def vllm_pinned_model(r: ResourceView, ctx: Context) -> Iterator[str]:
    c = serving_container(r) if is_vllm_deployment(r) else None
    if c is None:
        return
    args = [*as_list(get(c, "command")), *as_list(get(c, "args"))]
    pinned = _COMMIT.match(_flag_value(args, "--revision") or "") is not None
    env = {get(e, "name") for e in as_list(get(c, "env"))}
    if "--trust-remote-code" in args and not pinned:
        yield f"{r.display}: --trust-remote-code without --revision <40-hex commit>; set the slot's revision (and trustRemoteCode: true)"
    elif "MODEL_S3_URI" not in env and not pinned:
        yield f"{r.display}: hub weights without --revision <40-hex commit>; pin the slot's revision so every replica loads the same weights"


@resource_rule("vllm-shm", "workloads", "vLLM pods mount a sized in-memory /dev/shm (emptyDir medium Memory with sizeLimit).")
def vllm_shm(r: ResourceView, ctx: Context) -> Iterator[str]:
    c = serving_container(r) if is_vllm_deployment(r) else None
    if c is None:
        return
    mounts = {get(m, "name"): get(m, "mountPath") for m in as_list(get(c, "volumeMounts")) if is_map(m)}
    shm = [v for v in as_list(get(pod_spec(r), "volumes")) if mounts.get(get(v, "name")) == "/dev/shm"]
    if not shm:
        yield f"{r.display}: no /dev/shm volume on container {_cname(c)}; mount an emptyDir {{medium: Memory, sizeLimit: ...}} at /dev/shm (NCCL needs it)"
    elif get(shm[0], "emptyDir", "medium") != "Memory" or not get(shm[0], "emptyDir", "sizeLimit"):
        yield f"{r.display}: /dev/shm volume {get(shm[0], 'name')} is not a sized in-memory emptyDir; set emptyDir medium Memory and sizeLimit"


def _prestop_sleep(c: Mapping[str, Any]) -> float:
    pre = get(c, "lifecycle", "preStop", default={})
    seconds = number(get(pre, "sleep", "seconds"))
    if seconds is not None:
        return seconds
    match = _SLEEP.search(" ".join(str(a) for a in as_list(get(pre, "exec", "command"))))
    return float(match.group(1)) if match else 0.0


def _shutdown_timeout(c: Mapping[str, Any]) -> float:
    """vLLM's --shutdown-timeout: from the container's arguments, else the SHUTDOWN_TIMEOUT variable the
    serving image's entrypoint turns into the flag, else vLLM's default (0: no drain)."""
    match = _SHUTDOWN.search(" ".join(str(a) for a in [*as_list(get(c, "command")), *as_list(get(c, "args"))]))
    if match:
        return float(match.group(1))
    env = next((get(e, "value") for e in as_list(get(c, "env")) if get(e, "name") == "SHUTDOWN_TIMEOUT"), None)
    return number(env) or 0.0


@resource_rule(
    "vllm-graceful-shutdown", "workloads",
    "terminationGracePeriodSeconds covers the preStop sleep plus vLLM --shutdown-timeout, so in-flight requests finish.",
)
def vllm_graceful_shutdown(r: ResourceView, ctx: Context) -> Iterator[str]:
    c = serving_container(r) if is_vllm_deployment(r) else None
    if c is None:
        return
    grace = number(get(pod_spec(r), "terminationGracePeriodSeconds"))
    grace = 30.0 if grace is None else grace  # the Kubernetes default
    sleep, timeout = _prestop_sleep(c), _shutdown_timeout(c)
    if grace < sleep + timeout:
        yield (f"{r.display}: terminationGracePeriodSeconds {int(grace)} < preStop sleep {int(sleep)} + --shutdown-timeout "
               f"{int(timeout)}; raise it to at least {int(sleep + timeout)} or in-flight requests are cut off")


def _selects(selector: Any, labels: Mapping[str, Any]) -> bool:
    match = get(selector, "matchLabels", default={})
    return is_map(match) and bool(match) and all(labels.get(k) == v for k, v in match.items()) and not get(selector, "matchExpressions")


@stack_rule("vllm-pdb", "workloads", "A PodDisruptionBudget selects every vLLM Deployment's pods (voluntary evictions never drain a slot).")
def vllm_pdb(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    pdbs = [r for r in resources if r.type == PDB]
    for d in (r for r in resources if is_vllm_deployment(r)):
        labels = get(d.props, "spec", "template", "metadata", "labels", default={})
        if not any(p.namespace == d.namespace and _selects(get(p.props, "spec", "selector"), labels) for p in pdbs):
            yield d, f"{d.display}: no PodDisruptionBudget selects its pods; add one (maxUnavailable 1) matching its pod labels"


@stack_rule(
    "vllm-network-policy", "workloads",
    "An ingress NetworkPolicy selects every vLLM Deployment's pods (only the serving port, only from allowed peers).",
)
def vllm_network_policy(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    policies = [
        r for r in resources
        if r.type == NETWORK_POLICY and "Ingress" in as_list(get(r.props, "spec", "policyTypes"))
    ]
    for d in (r for r in resources if is_vllm_deployment(r)):
        labels = get(d.props, "spec", "template", "metadata", "labels", default={})
        if not any(p.namespace == d.namespace and _selects(get(p.props, "spec", "podSelector"), labels) for p in policies):
            yield d, (f"{d.display}: no ingress NetworkPolicy selects its pods; add one admitting only the serving port "
                      "from the VPC (components/endpoint serving_network_policy)")


@resource_rule(
    "vllm-security-context", "workloads",
    "vLLM pods meet the restricted Pod Security profile: non-root, RuntimeDefault seccomp, no privilege escalation, all capabilities dropped.",
)
def vllm_security_context(r: ResourceView, ctx: Context) -> Iterator[str]:
    if not is_vllm_deployment(r):
        return
    pod = get(pod_spec(r), "securityContext", default={})
    for c in all_containers(r):
        sc = get(c, "securityContext", default={})
        problems = []
        if get(sc, "runAsNonRoot", default=get(pod, "runAsNonRoot")) is not True:
            problems.append("runAsNonRoot true")
        if get(sc, "seccompProfile", "type", default=get(pod, "seccompProfile", "type")) not in ("RuntimeDefault", "Localhost"):
            problems.append("seccompProfile RuntimeDefault")
        if get(sc, "allowPrivilegeEscalation") is not False:
            problems.append("allowPrivilegeEscalation false")
        if get(sc, "privileged") is True:
            problems.append("privileged false")
        if "ALL" not in as_list(get(sc, "capabilities", "drop")):
            problems.append("capabilities.drop [ALL]")
        if [a for a in as_list(get(sc, "capabilities", "add")) if a != "NET_BIND_SERVICE"]:
            problems.append("no added capabilities")
        if problems:
            yield f"{r.display}: container {_cname(c)} is not restricted; set {', '.join(problems)}"
