"""Cluster-wide admission rules (native ValidatingAdmissionPolicy, no extra controller)."""
