"""Names shared by the Endpoint component and `llmctl release` (which targets the route by URN)."""

from __future__ import annotations

PROJECT = "llm-platform"
ENDPOINT_TYPE = f"{PROJECT}:endpoint:Endpoint"
SLOT_TYPE = f"{PROJECT}:serving:ServingSlot"
ROUTE_TYPE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
SLOT_HEADER = "X-LLM-Slot"
HEALTH_PATH = "/health"


def namespace(endpoint: str) -> str:
    return f"llm-{endpoint}"


def route_resource_name(endpoint: str) -> str:
    """Pulumi name of the endpoint's route (child of the Endpoint component named `endpoint`)."""
    return f"{endpoint}-route"


def route_urn(stack: str, endpoint: str) -> str:
    """URN `pulumi up --target` takes: the Endpoint component is a top-level resource of the program."""
    return f"urn:pulumi:{stack}::{PROJECT}::{ENDPOINT_TYPE}${ROUTE_TYPE}::{route_resource_name(endpoint)}"


PRIORITIES_TYPE = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyExtensionPolicy"


def priorities_urn(stack: str, endpoint: str) -> str:
    """URN of the endpoint's priority filter (components.gateway.priorities), which names the live
    slot's objectives: it moves with the route when the live slot changes."""
    return f"urn:pulumi:{stack}::{PROJECT}::{ENDPOINT_TYPE}${PRIORITIES_TYPE}::{endpoint}-priorities"


def slot_target(stack: str, endpoint: str, slot: str) -> str:
    """URN glob of every resource of one slot (Deployment, ScaledObject, ...), for `pulumi up --target`
    (globs since Pulumi v3.25: `**` spans URN separators; github.com/pulumi/pulumi/pull/11150)."""
    # `**` before the slot type: the engine qualifies a child's type with its whole parent chain
    # (Endpoint$ServingSlot$...), the offline synth's mocks with the direct parent only.
    return f"urn:pulumi:{stack}::{PROJECT}::**{SLOT_TYPE}$**::{endpoint}-{slot}-**"
