"""Where the command line writes, and the one kind of error it reports without a traceback."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

__all__ = ["CliError", "UsageProblem", "err", "out", "report"]

#: Results and tables; a command's machine-readable output bypasses rich (see ``docs``).
out = Console(highlight=False)
#: Errors and notices.
err = Console(stderr=True, highlight=False)


class CliError(Exception):
    """A failure the user can fix: reported as one line, exit status ``exit_code``."""

    exit_code = 1


class UsageProblem(CliError):
    """The command line itself is wrong (a bad name, conflicting options): exit status 2."""

    exit_code = 2


def report(error: CliError) -> None:
    """Print ``error`` as one line on stderr, without interpreting its text as markup."""
    err.print(Text.assemble(("Error: ", "bold red"), str(error)), soft_wrap=True)
