"""The permissions boundary every IAM role of the stack carries."""
