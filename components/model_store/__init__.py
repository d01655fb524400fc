"""The stack's model weight bucket: S3 + KMS, private, TLS-only, versioned."""
