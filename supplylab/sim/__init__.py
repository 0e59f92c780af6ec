"""The SimPy engine: one replication of a scenario -> ``ReplicationResult``."""

from .engine import Model, run_replication
from .result import DIMENSIONS, KPI_NAMES, AuditReport, ReplicationResult

__all__ = ["DIMENSIONS", "KPI_NAMES", "AuditReport", "Model", "ReplicationResult", "run_replication"]
