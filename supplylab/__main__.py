"""`python -m supplylab` runs the command line."""

from .cli import entry

entry()
