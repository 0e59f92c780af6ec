"""The SimPy engine: one replication of a scenario -> ``ReplicationResult``."""

from .engine import Model, run_replication
from .result import DIMENSIONS, AuditReport, ReplicationResult

__all__ = ["DIMENSIONS", "AuditReport", "Model", "ReplicationResult", "run_replication"]
