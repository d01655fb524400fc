"""The upstream data the tests validate against lives in the repository (schemas/), derived from
../shared by scripts/derive_reference.py. A clone alone checks the derived files against the
checksums recorded beside them; with ../shared present, it also checks they are current."""

from __future__ import annotations

import hashlib
import json

from scripts.derive_reference import derive
from tests.support.paths import CRDS, REFERENCE, REPO_ROOT, SHARED

PROVENANCE = json.loads((REPO_ROOT / "schemas" / "PROVENANCE.json").read_text())


def test_every_derived_file_has_a_source_version_and_matching_checksum():
    recorded = {entry["derived"]: entry for entry in PROVENANCE["sources"]}
    on_disk = {str(p.relative_to(REPO_ROOT)) for p in [*CRDS.glob("*.json"), *REFERENCE.glob("*.json")]}
    assert len(on_disk) == 30  # 27 CRDs + vLLM, Karpenter CloudFormation, LB controller policy
    assert set(recorded) == on_disk
    for derived, entry in recorded.items():
        assert entry["upstream"] and entry["version"] and len(entry["sha256"]) == 64, derived
        actual = hashlib.sha256((REPO_ROOT / derived).read_bytes()).hexdigest()
        assert actual == entry["derived_sha256"], f"{derived} was edited by hand: run `make generate`"


def test_derived_schemas_carry_no_prose():
    paths = sorted(CRDS.glob("*.json"))
    assert paths

    def descriptions(node, under_properties=False):
        if isinstance(node, dict):
            return sum((0 if under_properties else int(key == "description")) + descriptions(v, key == "properties" and not under_properties)
                       for key, v in node.items())
        return sum(descriptions(v) for v in node) if isinstance(node, list) else 0

    assert {p.name: descriptions(json.loads(p.read_text())) for p in paths} == {p.name: 0 for p in paths}


def test_derived_files_are_current_with_shared_when_present():
    """Without ../shared there is nothing upstream to compare with; the checksum test above holds."""
    if not SHARED.is_dir():
        return
    expected = derive(SHARED)
    stale = sorted(str(rel) for rel, text in expected.items() if not (REPO_ROOT / rel).is_file() or (REPO_ROOT / rel).read_text() != text)
    assert stale == [], f"derived reference data is stale: {stale}; run `make generate`"
