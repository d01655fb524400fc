"""Every derived artifact of the repository, and `make generate`, which rewrites them all.

Each artifact is a path and a function that renders its current content from the code it is
derived from. tests/test_generated.py compares every one and names the stale file; the derived
upstream data (schemas/) is scripts/derive_reference.py's, checked by
tests/core/test_derived_reference.py.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
STACKS = ("dev", "staging", "prod")
COMMAND = "make generate"  # = .venv/bin/python scripts/generate.py


@dataclass(frozen=True)
class Artifact:
    path: str  # relative to the repository root
    render: Callable[[], str]  # the file's whole content as it should be
    source: str  # what it is derived from (for the stale message and CONTRIBUTING.md)


def stack_schema() -> str:
    from infra.config import json_schema

    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def config_reference() -> str:
    from infra.reference import markdown_reference

    return markdown_reference()


def policy_config(environment: str) -> Callable[[], str]:
    def render() -> str:
        from policies.llm_policies import pack_config

        return json.dumps(pack_config(environment), indent=2) + "\n"

    return render


def platform_facts() -> str:
    """The policy pack's copy of facts the components own (the pack cannot import components/):
    the GPU family catalog and the EKS control-plane log types."""
    from components.catalog import GPU_FAMILY_CATALOG, POOL_FAMILIES
    from components.cluster.render import LOG_TYPES

    return json.dumps({
        "generatedFrom": "components/catalog/instances.py, components/cluster/render.py (make generate)",
        "eksLogTypes": list(LOG_TYPES),
        "poolFamilies": sorted(POOL_FAMILIES),
        "families": {f.name: {"gpuModel": f.gpu_model, "poolable": f.poolable, "capacityBlocksOnly": f.capacity_blocks_only}
                     for f in GPU_FAMILY_CATALOG.values()},
    }, indent=2) + "\n"


def gpu_family_table() -> str:
    from components.catalog import GPU_FAMILY_CATALOG, types_in_families

    lines = ["| GPU family | GPU | GiB per GPU | GPUs per node | a pool may use it |", "| --- | --- | --- | --- | --- |"]
    for family in GPU_FAMILY_CATALOG.values():
        counts = sorted({t.gpus for t in types_in_families([family.name])})
        use = "no: " + family.why if not family.poolable else "only into a capacity reservation: " + family.why if family.capacity_blocks_only else "yes"
        lines.append(f"| `{family.name}` | {family.gpu_model} | {family.gpu_memory_gib} | {', '.join(map(str, counts))} | {use} |")
    return "\n".join(lines) + "\n"


def policy_table() -> str:
    from policies.llm_policies.docs import rules_table

    return rules_table()


def readme() -> str:
    """README.md with its generated tables (found by their header rows) replaced."""
    text = (REPO_ROOT / "README.md").read_text()
    for table in (gpu_family_table(), policy_table()):
        text = replace_table(text, table)
    return replace_coldstart(text)


def replace_coldstart(text: str) -> str:
    """The cold-start table between its markers: `llmctl coldstart dev staging prod --markdown`."""
    from components.coldstart.imagecache import load_record
    from infra.config import load_stack
    from llmctl.coldstart.render import README_BEGIN, README_END, readme_section
    from llmctl.coldstart.report import stack_report

    reports = [stack_report(stack, load_stack(stack, REPO_ROOT), load_record(stack, REPO_ROOT)) for stack in STACKS]
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    return text[:start] + readme_section(reports) + text[end:]


def replace_table(text: str, table: str) -> str:
    header = table.splitlines()[0]
    lines = text.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.rstrip("\n") == header]
    if len(starts) != 1:
        raise ValueError(f"README.md must hold the table headed {header!r} exactly once (found {len(starts)})")
    end = starts[0]
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "".join(lines[: starts[0]]) + table + "".join(lines[end:])


def golden(stack: str) -> Callable[[], str]:
    def render() -> str:
        from components.catalog import availability_zones
        from components.coldstart import imagecache
        from components.gpu_pools.attribution import plan_node_pools
        from components.gpu_pools.manifests import dump, pool_manifests
        from components.karpenter.iam import node_role_name
        from infra.config import load_stack
        from infra.providers import cluster_name

        cfg = load_stack(stack, REPO_ROOT)
        name = cluster_name(cfg)
        zones = availability_zones(cfg.region, cfg.network.az_count)
        # The same image source the program picks (cache snapshot in step, else SOCI).
        sources = imagecache.image_sources(list(cfg.gpu.pools), imagecache.load_record(stack), cfg.region, imagecache.serving_key(cfg.registry))
        plans = plan_node_pools(list(cfg.gpu.pools), cfg.endpoints, cfg.teams, cfg.tags)
        return dump(pool_manifests(plans, name, node_role_name(name), zones, sources))

    return render


ARTIFACTS: tuple[Artifact, ...] = (
    Artifact("stacks/stack.schema.json", stack_schema, "the config models (infra/config.py, components/*/models.py)"),
    Artifact("docs/config-reference.md", config_reference, "the config models"),
    *(Artifact(f"policies/config/{env}.json", policy_config(env), "the policy rules' levels") for env in STACKS),
    Artifact("policies/llm_policies/platform_facts.json", platform_facts, "the GPU family catalog and the EKS log types"),
    Artifact("README.md", readme, "the GPU family catalog, the policy rules and the cold-start budget (tables)"),
    *(Artifact(f"tests/golden/{stack}/gpu-pools.yaml", golden(stack), "the stack's GPU pools") for stack in STACKS),
)


def main() -> int:
    from scripts.derive_reference import main as derive_reference

    derive_reference([])
    # Order matters: the README's policy table and the configs read the rules, which read the
    # platform facts, so they are written first.
    for artifact in sorted(ARTIFACTS, key=lambda a: a.path != "policies/llm_policies/platform_facts.json"):
        path = REPO_ROOT / artifact.path
        text = artifact.render()
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"generate: wrote {artifact.path}")
    print(f"generate: {len(ARTIFACTS)} artifacts current")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    sys.exit(main())
