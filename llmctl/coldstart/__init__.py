"""`llmctl coldstart`: the computed cold-start budget of every serving slot of a stack."""
