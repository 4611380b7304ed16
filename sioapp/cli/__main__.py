"""``python -m sioapp.cli``: the same as the ``sioapp`` command."""

from sioapp.cli.main import app

app(prog_name="sioapp")
