"""``python -m pipecli.cli.maketable``: write ``pipecli/completiontable.py`` anew from the
typer app, after a change to the command line (tests/test_completion.py says when)."""

from .completion import write_table

print(f"wrote {write_table()}")
