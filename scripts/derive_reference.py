"""Derive the upstream data the tests validate against into the repository.

Reads ../shared (upstream CRDs and reference files, byte-for-byte upstream) and writes data only:
- schemas/crds/<file>.json: each CRD's group, kind and per-version openAPIV3Schema with every
  `description` removed (prose, not validation); types, enums, patterns, bounds, required lists and
  x-kubernetes-* markers are kept;
- schemas/reference/*.json: the vLLM flag and metric lists, the Karpenter CloudFormation's
  resources (IAM documents, queue, event patterns; no descriptions, no parameters), and the AWS Load
  Balancer Controller's IAM policy;
- schemas/PROVENANCE.json: for every source its upstream project, version, sha256, and the sha256
  of what was derived from it.

Run with `make generate` (or `python scripts/derive_reference.py [--shared DIR]`). Without
../shared it leaves the committed files alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = REPO_ROOT.parent / "shared"
OUT = REPO_ROOT / "schemas"
CRD_OUT = OUT / "crds"
REFERENCE_OUT = OUT / "reference"
PROVENANCE = OUT / "PROVENANCE.json"

# Where each non-gateway CRD comes from. Gateway, Inference Extension, Envoy Gateway, Envoy AI
# Gateway and KEDA HTTP add-on files are listed (with tag and commit) in PROVENANCE-gateway.md.
_CRD_ORIGINS = {
    "karpenter.k8s.aws_ec2nodeclasses.yaml": ("aws/karpenter-provider-aws", "v1.14 (components/karpenter/versions.py)"),
    "karpenter.sh_nodepools.yaml": ("aws/karpenter-provider-aws", "v1.14 (components/karpenter/versions.py)"),
    "keda.sh_scaledobjects.yaml": ("kedacore/keda", "v2.21 (components/observability/versions.py)"),
    "keda.sh_triggerauthentications.yaml": ("kedacore/keda", "v2.21 (components/observability/versions.py)"),
    "monitoring.coreos.com_podmonitors.yaml": ("prometheus-operator/prometheus-operator", "v0.93.0 (operator.prometheus.io/version)"),
    "monitoring.coreos.com_prometheusrules.yaml": ("prometheus-operator/prometheus-operator", "v0.93.0 (operator.prometheus.io/version)"),
    "monitoring.coreos.com_servicemonitors.yaml": ("prometheus-operator/prometheus-operator", "v0.93.0 (operator.prometheus.io/version)"),
    "elbv2.k8s.aws_ingressclassparams.yaml": ("kubernetes-sigs/aws-load-balancer-controller", "v2.14.0 (components/endpoint/versions.py)"),
    "elbv2.k8s.aws_targetgroupbindings.yaml": ("kubernetes-sigs/aws-load-balancer-controller", "v2.14.0 (components/endpoint/versions.py)"),
}
_REFERENCE_ORIGINS = {
    "vllm-0.33.0.json": ("vllm-project/vllm", "0.33.0"),
    "karpenter-v1.14-cloudformation.yaml": ("aws/karpenter-provider-aws", "v1.14"),
    "aws-load-balancer-controller-iam-policy.json": ("kubernetes-sigs/aws-load-balancer-controller", "v2.14.0 (components/endpoint/versions.py)"),
}
# Keywords whose value is a map of name -> schema (the names are data, never keywords).
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "additionalItems")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump(doc: Any, compact: bool = False) -> str:
    """Stable text with sorted keys: one value per line (diffs readably), or compact for the CRD
    schemas (half the size; review a bump at its upstream source, not in the derived JSON)."""
    if compact:
        return json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def strip_descriptions(schema: Any) -> Any:
    """A copy of a JSON schema without `description` keywords (property names are left alone)."""
    if isinstance(schema, list):
        return [strip_descriptions(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: strip_descriptions(child) for name, child in value.items()}
        elif key in _SCHEMA_LISTS or key in _SCHEMA_ONE:
            out[key] = strip_descriptions(value)
        else:
            out[key] = value
    return out


def derive_crd(text: str) -> dict[str, Any]:
    docs = [d for d in yaml.load_all(text, Loader=yaml.CSafeLoader) if d and d.get("kind") == "CustomResourceDefinition"]
    if len(docs) != 1:
        raise ValueError(f"expected one CustomResourceDefinition, found {len(docs)}")
    spec = docs[0]["spec"]
    return {
        "group": spec["group"],
        "kind": spec["names"]["kind"],
        "scope": spec["scope"],
        "versions": {
            v["name"]: {"served": v["served"], "storage": v["storage"],
                        "openAPIV3Schema": strip_descriptions(v["schema"]["openAPIV3Schema"])}
            for v in spec["versions"]
        },
    }


class _CfnLoader(yaml.SafeLoader):
    """CloudFormation short-form tags (!Sub, !Ref, !GetAtt) kept as {"!Tag": value}."""


_CfnLoader.add_multi_constructor("!", lambda loader, suffix, node: {f"!{suffix}": (
    loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode)
    else loader.construct_sequence(node, deep=True) if isinstance(node, yaml.SequenceNode)
    else loader.construct_mapping(node, deep=True))})


def derive_cloudformation(text: str) -> dict[str, Any]:
    """Each resource's Type and Properties: the data (IAM documents, queue settings, event patterns)."""
    template = yaml.load(text, Loader=_CfnLoader)
    return {"Resources": {name: {"Type": res["Type"], "Properties": res.get("Properties", {})}
                          for name, res in template["Resources"].items()}}


def derive_vllm(text: str) -> dict[str, Any]:
    doc = json.loads(text)
    return {"vllm_version": doc["vllm_version"], "serve_flags": sorted(doc["serve_flags"]),
            "prometheus_metrics": dict(sorted(doc["prometheus_metrics"].items()))}


def derive_policy(text: str) -> dict[str, Any]:
    return json.loads(text)


_REFERENCE_DERIVERS = {
    "vllm-0.33.0.json": derive_vllm,
    "karpenter-v1.14-cloudformation.yaml": derive_cloudformation,
    "aws-load-balancer-controller-iam-policy.json": derive_policy,
}


def gateway_provenance(shared: Path) -> dict[str, tuple[str, str]]:
    """file -> (repo, 'tag (commit)') from the table in PROVENANCE-gateway.md."""
    out = {}
    for line in (shared / "schemas" / "crds" / "PROVENANCE-gateway.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].endswith(".yaml"):
            tag = re.sub(r"\s*\(.*\)$", "", cells[2])
            out[cells[0]] = (cells[1], f"{tag} ({cells[3]})")
    return out


def derived_name(source: str) -> str:
    return re.sub(r"\.(yaml|json)$", "", source) + ".json"


def derive(shared: Path) -> dict[Path, str]:
    """Every derived file (relative to the repository root) -> its text, provenance included."""
    files: dict[Path, str] = {}
    sources = []
    origins = {**_CRD_ORIGINS, **gateway_provenance(shared)}
    for path in sorted((shared / "schemas" / "crds").glob("*.yaml")):
        if path.name not in origins:
            raise SystemExit(f"{path.name}: no upstream origin known; add it to _CRD_ORIGINS in {Path(__file__).name}")
        raw = path.read_bytes()
        target = CRD_OUT / derived_name(path.name)
        files[target] = dump(derive_crd(raw.decode()), compact=True)
        sources.append((f"schemas/crds/{path.name}", origins[path.name], raw, target))
    for name, deriver in _REFERENCE_DERIVERS.items():
        raw = (shared / "reference" / name).read_bytes()
        target = REFERENCE_OUT / derived_name(name)
        files[target] = dump(deriver(raw.decode()))
        sources.append((f"reference/{name}", _REFERENCE_ORIGINS[name], raw, target))
    files[PROVENANCE] = dump({
        "generator": "scripts/derive_reference.py (make generate)",
        "sources": [
            {"source": src, "upstream": repo, "version": version, "sha256": sha256(raw),
             "derived": str(target.relative_to(REPO_ROOT)), "derived_sha256": sha256(files[target].encode())}
            for src, (repo, version), raw, target in sources
        ],
    })
    return {path.relative_to(REPO_ROOT): text for path, text in files.items()}


def write(files: dict[Path, str]) -> list[Path]:
    """Write what changed, remove derived files whose source is gone; returns the changed paths."""
    changed = []
    for rel, text in files.items():
        path = REPO_ROOT / rel
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(rel)
    for folder in (CRD_OUT, REFERENCE_OUT):
        for path in folder.glob("*.json"):
            if path.relative_to(REPO_ROOT) not in files:
                path.unlink()
                changed.append(path.relative_to(REPO_ROOT))
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the upstream data folder (default ../shared)")
    args = parser.parse_args(argv)
    if not (args.shared / "schemas" / "crds").is_dir():
        print(f"derive_reference: {args.shared} is absent; keeping the committed schemas/ as they are")
        return 0
    changed = write(derive(args.shared))
    print(f"derive_reference: {len(changed)} file(s) updated under schemas/" if changed else "derive_reference: schemas/ up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
