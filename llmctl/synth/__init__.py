"""Offline synth: run the real infra program under recording Pulumi mocks and write an inventory."""

from llmctl.synth.inventory import Inventory, Resource
from llmctl.synth.runner import run_program, synth_stack

__all__ = ["Inventory", "Resource", "run_program", "synth_stack"]
