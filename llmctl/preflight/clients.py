"""boto3 clients for preflight: the default credential chain, AWS_ENDPOINT_URL honoured by boto3 itself,
short timeouts and no retries so an unreachable endpoint fails in seconds, not minutes."""

from __future__ import annotations

from typing import Any

CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 20  # a refused or unroutable endpoint fails on the connect timeout; slow answers are still answers


def client(service: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S, retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.client(service, region_name=region, config=config)


class Clients:
    """One client per service, created on first use (tests hand in stubbed ones)."""

    def __init__(self, region: str, **given: Any) -> None:
        self.region = region
        self._made: dict[str, Any] = dict(given)

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        key = service.replace("_", "-")
        if key not in self._made:
            # Cost Explorer answers in us-east-1 whatever the stack's region.
            self._made[key] = client(key, "us-east-1" if key == "ce" else self.region)
        return self._made[key]
