from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
CRDS = SHARED / "schemas" / "crds"
REFERENCE = SHARED / "reference"
STACKS = ("dev", "staging", "prod")
