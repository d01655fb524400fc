"""`llmctl image cache`: the Bottlerocket data-volume snapshot GPU nodes boot with images pre-pulled."""
