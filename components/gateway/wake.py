"""The answer a caller gets while a scaled-to-zero slot wakes: the endpoint picker has no pod to
choose and replies 503 itself (GIE v1.5.0 pkg/common/error/error.go: an ext_proc ImmediateResponse
with the error text, no Retry-After). The route's BackendTrafficPolicy rewrites that local reply
into an OpenAI-shaped error with Retry-After, so clients back off for one detection period instead
of hammering the gateway or giving up.

Retry-After is the wake trigger's detection period: the picker's metrics are scraped every
PICKER_SCRAPE_SECONDS and KEDA polls every `scaling.pollingSeconds`, so after that long the request
has been counted and the slot is scaling; a client retrying then either lands or gets another 503
with the same advice while the node and engine start (docs/gateway.md, scale from zero)."""

from __future__ import annotations

import json
from typing import Any

from components.endpoint.models import EndpointConfig
from components.endpoint.slots import slot_plans
from components.gateway.inference import PICKER_SCRAPE_SECONDS


def retry_after_seconds(endpoint: EndpointConfig) -> int | None:
    """Seconds to advertise when a live slot of the endpoint can sit at zero replicas; None otherwise."""
    waking = [p for p in slot_plans(endpoint) if p.live and p.scale_to_zero]
    if not waking:
        return None
    polling = max(getattr(endpoint.slots, p.slot).scaling.polling_seconds for p in waking)
    return PICKER_SCRAPE_SECONDS + polling


def waking_body(endpoint: str, retry_after: int) -> str:
    message = (f"Endpoint {endpoint} has no ready replica: it scales to zero when idle and this request has started it. "
               f"Retry after {retry_after} seconds (Retry-After); a cold start takes a few minutes (llmctl coldstart).")
    return json.dumps({"error": {"message": message, "type": "server_error", "param": None, "code": "endpoint_waking_up"}})


def waking_override(endpoint_name: str, endpoint: EndpointConfig) -> dict[str, Any] | None:
    """A 503 Envoy generated itself (the picker's, or no healthy upstream), never a backend's, on an
    endpoint that can scale to zero."""
    retry_after = retry_after_seconds(endpoint)
    if retry_after is None:
        return None
    return {"match": {"statusCodes": [{"type": "Value", "value": 503}]}, "source": "Local",
            "response": {"contentType": "application/json", "statusCode": 503,
                         "header": {"set": [{"name": "Retry-After", "value": str(retry_after)}]},
                         "body": {"type": "Inline", "inline": waking_body(endpoint_name, retry_after)}}}
