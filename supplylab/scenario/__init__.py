"""The scenario language: schema, safe YAML loading with positions, overrides, checks."""

from .distributions import Dist
from .network import Network, ResolvedLane, great_circle_km
from .overrides import apply_overrides, parse_assignment, parse_assignments, split_path
from .scenario import Scenario, build, json_schema, load, loads
from .yaml_io import allow_paths

__all__ = [
    "Dist", "Network", "ResolvedLane", "Scenario", "allow_paths", "apply_overrides", "build",
    "great_circle_km", "json_schema", "load", "loads", "parse_assignment", "parse_assignments",
    "split_path",
]
