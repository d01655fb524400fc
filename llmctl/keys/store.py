"""API keys in Secrets Manager: one secret per team (components/gateway/names.api_keys_secret),
value JSON {"<key id>": {"key": "<api key>", "created": "<ISO time>"}}. The stack creates the
secrets; each change here is a new secret version, which the next `pulumi up` copies into the
endpoints' Kubernetes Secrets. A key is returned once, by create; list never shows one."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from components.gateway.names import RELEASE_CLIENT, api_keys_secret, client_id

KEY_PREFIX = "sk-llm-"


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

    def _read(self, team: str | None) -> dict[str, dict[str, str]]:
        name = api_keys_secret(self.cluster, team)
        try:
            value = self.client.get_secret_value(SecretId=name)["SecretString"]
        except self.client.exceptions.ResourceNotFoundException:
            raise KeyStoreError(f"secret {name} does not exist: deploy the stack first (pulumi up creates one per team)") from None
        entries = json.loads(value or "{}")
        return entries if isinstance(entries, dict) else {}

    def _write(self, team: str | None, entries: dict[str, dict[str, str]]) -> None:
        self.client.put_secret_value(SecretId=api_keys_secret(self.cluster, team), SecretString=json.dumps(entries, sort_keys=True))

    def create(self, team: str | None, now: datetime | None = None) -> tuple[KeyInfo, str]:
        entries = self._read(team)
        key_id = secrets.token_hex(4)
        while key_id in entries:
            key_id = secrets.token_hex(4)
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        created = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries[key_id] = {"key": key, "created": created}
        self._write(team, entries)
        return KeyInfo(team, key_id, client_id(team, key_id), created), key

    def list(self, team: str | None) -> list[KeyInfo]:
        return [KeyInfo(team, k, client_id(team, k), str(v.get("created", "")))
                for k, v in sorted(self._read(team).items()) if isinstance(v, dict)]

    def revoke(self, team: str | None, key_id: str) -> KeyInfo:
        entries = self._read(team)
        if key_id not in entries:
            known = ", ".join(sorted(entries)) or "none"
            raise KeyStoreError(f"{team or RELEASE_CLIENT} has no key {key_id}; its keys: {known}")
        entry = entries.pop(key_id)
        self._write(team, entries)
        return KeyInfo(team, key_id, client_id(team, key_id), str(entry.get("created", "")))
