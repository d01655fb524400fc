"""Pure renderers for the repository's lifecycle policy."""

from __future__ import annotations

from typing import Any

RELEASE_PATTERNS = ("v*", "release-*")
CACHE_PATTERN = "cache-*"
CACHE_KEEP = 5


def lifecycle_policy(keep_release_images: int, untagged_expiry_days: int) -> dict[str, Any]:
    """Expire untagged images after N days; keep the last N images of each release pattern
    (ECR ANDs the patterns of one rule, hence one rule per pattern); keep a few build caches."""
    rules: list[dict[str, Any]] = [{
        "rulePriority": 1,
        "description": f"Expire untagged images after {untagged_expiry_days} days",
        "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": untagged_expiry_days},
        "action": {"type": "expire"},
    }]
    for priority, pattern in enumerate(RELEASE_PATTERNS, start=2):
        rules.append({
            "rulePriority": priority,
            "description": f"Keep the last {keep_release_images} images tagged {pattern}",
            "selection": {"tagStatus": "tagged", "tagPatternList": [pattern], "countType": "imageCountMoreThan", "countNumber": keep_release_images},
            "action": {"type": "expire"},
        })
    rules.append({
        "rulePriority": len(rules) + 1,
        "description": f"Keep the last {CACHE_KEEP} build caches",
        "selection": {"tagStatus": "tagged", "tagPatternList": [CACHE_PATTERN], "countType": "imageCountMoreThan", "countNumber": CACHE_KEEP},
        "action": {"type": "expire"},
    })
    return {"rules": rules}
