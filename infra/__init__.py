"""The Pulumi program. `pulumi up` runs infra/__main__.py; `llmctl synth` runs the same program under mocks."""
