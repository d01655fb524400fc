"""The llm-platform policy pack. Rules live in `policies.llm_policies` (importable by llmctl);
`policies/__main__.py` only assembles the PolicyPack for `pulumi preview --policy-pack policies`."""
