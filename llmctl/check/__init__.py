"""`llmctl check`: the policy pack's rules over a synthesized inventory, offline."""

from llmctl.check.run import CheckResult, check_inventory, render_json, render_table

__all__ = ["CheckResult", "check_inventory", "render_json", "render_table"]
