"""Karpenter: controller IAM (Pod Identity), node role, interruption queue and rules, Helm releases."""
