"""llmctl: the operator CLI (synth, check, cost, release)."""
