"""`llmctl keys`: per-team API keys of a stack's gateway, kept in AWS Secrets Manager."""
