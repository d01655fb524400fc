"""Test harness shared by every test module: paths, synthesized stacks, manifest validation, moto."""
