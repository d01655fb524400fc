"""`llmctl cost`: estimate a stack's monthly cost before deploying; report spend and $/1M tokens after."""
