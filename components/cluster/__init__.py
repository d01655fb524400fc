"""A private EKS control plane on pulumi_aws primitives, its add-ons and system nodes."""
