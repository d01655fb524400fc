"""NVIDIA stack on GPU nodes: device plugin (only where the AMI lacks it) and the DCGM exporter."""
