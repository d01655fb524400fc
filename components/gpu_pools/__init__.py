"""GPU node pools: one EC2NodeClass + NodePool per configured pool, rendered by pure functions."""
