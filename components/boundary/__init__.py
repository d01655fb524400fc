from components.boundary.component import Boundary, BoundaryArgs

__all__ = ["Boundary", "BoundaryArgs"]
