"""A Galera cluster of embedded MariaDB nodes: `hms cluster`."""

from .cluster import Cluster, Rejoin
from .errors import ClusterError, NodeNotPrimary
from .layout import DEFAULT_BASE_PORT, Layout, NodeSpec, free_loopback, loopback
from .node import ClusterNode, require_mariadb
from .status import NodeStatus

__all__ = ["Cluster", "ClusterError", "ClusterNode", "DEFAULT_BASE_PORT", "Layout", "NodeNotPrimary",
           "NodeSpec", "NodeStatus", "Rejoin", "free_loopback", "loopback", "require_mariadb"]
