from components.network.component import Network, NetworkArgs

__all__ = ["Network", "NetworkArgs"]
