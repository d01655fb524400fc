"""API keys in Secrets Manager: one secret per team (components/gateway/names.api_keys_secret),
value JSON {"<key id>": {"key": "<api key>", "created": "<ISO time>"}}. The stack creates the
secrets; each change here is a new secret version, which the next `pulumi up` copies into the
endpoints' Kubernetes Secrets. A key is returned once, by create; list never shows one."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from components.gateway.names import RELEASE_CLIENT, api_keys_secret, client_id

KEY_PREFIX = "sk-llm-"
UPDATE_ATTEMPTS = 5
T = TypeVar("T")


class KeyStoreError(Exception):
    """An input or state problem, reported as one line (exit 2)."""


@dataclass(frozen=True)
class KeyInfo:
    team: str | None  # None: the release tooling
    key_id: str
    client_id: str
    created: str

    def as_dict(self) -> dict[str, str]:
        return {"team": self.team or RELEASE_CLIENT, "keyId": self.key_id, "clientId": self.client_id, "created": self.created}


class KeyStore:
    def __init__(self, client: Any, cluster: str):
        self.client, self.cluster = client, cluster

    def _read(self, team: str | None, version: str | None = None) -> tuple[dict[str, dict[str, str]], str]:
        """The key set of a version (AWSCURRENT by default) and that version's id."""
        name = api_keys_secret(self.cluster, team)
        try:
            found = self.client.get_secret_value(SecretId=name, **({"VersionId": version} if version else {}))
        except self.client.exceptions.ResourceNotFoundException:
            raise KeyStoreError(f"secret {name} does not exist: deploy the stack first (pulumi up creates one per team)") from None
        entries = json.loads(found.get("SecretString") or "{}")
        return (entries if isinstance(entries, dict) else {}), found["VersionId"]

    def _update(self, team: str | None, change: Callable[[dict[str, dict[str, str]]], T]) -> T:
        """Read, change, write; then check the version this write replaced (now AWSPREVIOUS) is the
        one the change was based on. Secrets Manager has no compare-and-swap, so when another
        operator wrote in between, the change is applied again on top of their version."""
        name = api_keys_secret(self.cluster, team)
        entries, base = self._read(team)
        written: set[str] = set()
        for _ in range(UPDATE_ATTEMPTS):
            result = change(entries)
            written.add(self.client.put_secret_value(SecretId=name, SecretString=json.dumps(entries, sort_keys=True))["VersionId"])
            stages = self.client.describe_secret(SecretId=name).get("VersionIdsToStages", {})
            replaced = next((v for v, labels in stages.items() if "AWSPREVIOUS" in labels), None)
            if replaced is None or replaced == base or replaced in written:
                return result
            entries, base = self._read(team, replaced)
        raise KeyStoreError(f"{name} kept changing under this command ({UPDATE_ATTEMPTS} attempts): run it again")

    def create(self, team: str | None, now: datetime | None = None) -> tuple[KeyInfo, str]:
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def add(entries: dict[str, dict[str, str]]) -> str:
            key_id = next(k for k in iter(lambda: secrets.token_hex(4), None) if k not in entries)
            entries[key_id] = {"key": key, "created": created}
            return key_id

        key_id = self._update(team, add)
        return KeyInfo(team, key_id, client_id(team, key_id), created), key

    def list(self, team: str | None) -> list[KeyInfo]:
        return [KeyInfo(team, k, client_id(team, k), str(v.get("created", "")))
                for k, v in sorted(self._read(team)[0].items()) if isinstance(v, dict)]

    def revoke(self, team: str | None, key_id: str) -> KeyInfo:
        def remove(entries: dict[str, dict[str, str]]) -> dict[str, str]:
            if key_id not in entries:
                known = ", ".join(sorted(entries)) or "none"
                raise KeyStoreError(f"{team or RELEASE_CLIENT} has no key {key_id}; its keys: {known}")
            return entries.pop(key_id)

        entry = self._update(team, remove)
        return KeyInfo(team, key_id, client_id(team, key_id), str(entry.get("created", "")))
