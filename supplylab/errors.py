"""Error types shared by every layer, each mapped to a command-line exit code.

Exit codes (see docs/cli.md): 0 success; 1 internal error; 2 bad input (usage, validation,
unreadable file, bad experiment file); 3 optimisation infeasible or not solved within limits.
"""

from __future__ import annotations

from dataclasses import dataclass


class SupplylabError(Exception):
    """Base class of every error supplylab raises on purpose."""

    exit_code: int = 1


@dataclass(frozen=True)
class Issue:
    """One problem found in an input file: where it is and what to do about it.

    ``line`` and ``col`` are 1-based; 0 means unknown. ``path`` is the dotted path with ids,
    e.g. ``facilities.DC-SH.inventory.MON-15.level``.
    """

    file: str
    line: int
    col: int
    path: str
    message: str

    def __str__(self) -> str:
        """``FILE:LINE:COL: path: message``; without a file (or when the message already starts
        with it, e.g. ``--set needs PATH=VALUE``) just ``path: message``."""
        path = f"{self.path}: " if self.path else ""
        if not self.line and (not self.file or self.message.startswith(self.file)):
            return f"{path}{self.message}"
        where = f"{self.file}:{self.line}:{self.col}" if self.line else f"{self.file}"
        return f"{where}: {path}{self.message}"


class InputError(SupplylabError):
    """Bad input: a scenario, experiment file or option that cannot be used (exit code 2).

    Carries every issue found, so a user fixes a file in one pass.
    """

    exit_code = 2

    def __init__(self, issues: list[Issue] | str, file: str = "") -> None:
        if isinstance(issues, str):
            issues = [Issue(file, 0, 0, "", issues)]
        self.issues: list[Issue] = list(issues)
        super().__init__("\n".join(str(i) for i in self.issues))


class ScenarioError(InputError):
    """A scenario file that is not valid YAML or breaks the scenario language."""


class ExperimentError(InputError):
    """An experiment (sweep) file that cannot be run."""


class OptimizationError(SupplylabError):
    """An optimisation that did not produce a usable answer (exit code 3)."""

    exit_code = 3

    def __init__(self, message: str, *, status: str = "", lp_file: str | None = None) -> None:
        self.status = status
        self.lp_file = lp_file
        super().__init__(message + (f" (model written to {lp_file})" if lp_file else ""))


class InfeasibleError(OptimizationError):
    """The model has no feasible solution; ``families`` names the constraint families that bind.

    Found by relaxing each family with penalised slack and reporting the ones whose slack is
    positive in the relaxed optimum (``shortfall`` maps family -> slack needed, in its units).
    """

    def __init__(self, message: str = "infeasible", *, families: list[str] | None = None,
                 shortfall: dict[str, float] | None = None, lp_file: str | None = None) -> None:
        self.families = list(families or [])
        self.shortfall = dict(shortfall or {})
        fam = ", ".join(self.families) if self.families else "unknown"
        super().__init__(f"{message}; binding constraint families: {fam}", status="Infeasible",
                         lp_file=lp_file)


class AuditError(SupplylabError):
    """A run broke conservation of units: a bug in the engine, never the user's fault."""

    exit_code = 1
