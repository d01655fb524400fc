from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# Upstream data derived into the repository by scripts/derive_reference.py (`make generate`), so a
# clone alone runs every test. ../shared (the byte-for-byte upstream files) is only read to check
# that the derived copies are current (tests/core/test_derived_reference.py).
SHARED = REPO_ROOT.parent / "shared"
CRDS = REPO_ROOT / "schemas" / "crds"
REFERENCE = REPO_ROOT / "schemas" / "reference"
STACKS = ("dev", "staging", "prod")
