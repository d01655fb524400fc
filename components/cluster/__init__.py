from components.cluster.component import Cluster, ClusterArgs

__all__ = ["Cluster", "ClusterArgs"]
