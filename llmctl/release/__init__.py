"""`llmctl release`: gates, promote and rollback of blue-green endpoints.

The stack file is the source of truth for weights; promote/rollback rewrite only its weight lines
(ruamel.yaml round trip, atomic replace) and apply them with targeted `pulumi up`s of the
endpoint's slots and route (ops.apply_batches). Every change is recorded in stacks/releases/<stack>.json (committed).
"""
