"""`llmctl release promote` moves the route's backend weights and rollback restores them: at every
targeted update of the route, the route rendered from the stack file is what the engine applies."""

from __future__ import annotations

from components.endpoint.names import route_urn
from components.gateway.routes import ai_gateway_route
from llmctl.release import ops
from tests.release.standin import copy_project, stack_bytes
from tests.release.test_promote import ok_watch, passing


class RouteRecorder:
    """An applier that renders the chat route from the stack file as it stands at each route update."""

    def __init__(self, root):
        self.root, self.live = root, []

    def __call__(self, stack: str, targets: list[str] | None) -> None:
        if route_urn(stack, "chat") in targets:
            cfg = ops.Stack.load(self.root, stack).cfg
            route = ai_gateway_route("chat", cfg.endpoints["chat"], "c", "llm-chat", {}, 600)
            live = next(r for r in route["spec"]["rules"] if r["name"] == "live")
            self.live.append({b["name"]: b["weight"] for b in live["backendRefs"]})


def test_promote_moves_route_weights_and_rollback_restores_them_byte_exact(tmp_path):
    root = copy_project(tmp_path)
    ops.prepare(ops.Stack.load(root, "prod"), "chat", "green", "meta-llama/Llama-3.1-70B-Instruct", None, 2)
    prepared = stack_bytes(root, "prod")
    recorder = RouteRecorder(root)
    outcome = ops.promote(ops.Stack.load(root, "prod"), "chat", "green", [10, 50, 100], recorder, passing, ok_watch)
    assert outcome.code == 0
    # canary steps split over the two slots' backends; the last step is the green pool alone
    assert recorder.live == [{"chat-blue": 90, "chat-green": 10}, {"chat-blue": 50, "chat-green": 50}, {"chat-green": 100}]
    assert ops.rollback(ops.Stack.load(root, "prod"), "chat", recorder).code == 0
    assert recorder.live[-1] == {"chat-blue": 100}
    assert stack_bytes(root, "prod") == prepared


def test_a_live_slot_change_moves_the_priority_filter_with_the_route(inventories, configs):
    """The priority filter names the live slot's objectives, so promote and rollback update it in the
    route's batch; its URN is the one the program registers."""
    from components.endpoint.names import priorities_urn
    from llmctl.release.apply import apply_batches, classed

    urns = {r.urn for r in inventories["prod"].resources}
    assert classed(configs["prod"], "chat") and priorities_urn("prod", "chat") in urns
    assert not classed(configs["prod"], "embed")
    batches = apply_batches("prod", "chat", {"blue": 100, "green": 0}, {"blue": 0, "green": 100}, classed=True)
    assert [route_urn("prod", "chat"), priorities_urn("prod", "chat")] in batches
    assert all(priorities_urn("prod", "chat") not in b for b in apply_batches("prod", "chat", {"blue": 100, "green": 0},
                                                                               {"blue": 0, "green": 100}))
