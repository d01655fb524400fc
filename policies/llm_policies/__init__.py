"""Policy rules of the llm-platform pack, as plain functions over a neutral resource view.

`llmctl check` runs them over a synthesized inventory (engine.evaluate); `pulumi preview
--policy-pack policies` runs the same functions through the adapters in pack.py.
"""

from .engine import evaluate, level_of, pack_config, views_from_inventory
from .model import RULES, Context, ResourceView, Rule, Settings, Violation

__all__ = ["RULES", "Context", "ResourceView", "Rule", "Settings", "Violation", "evaluate", "level_of", "pack_config", "views_from_inventory"]
