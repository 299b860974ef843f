"""The ``hepemu`` command line (typer + rich)."""

from __future__ import annotations

import typer

from hepemu.cli.data import app as data_app
from hepemu.cli.integral import app as integral_app
from hepemu.cli.run import run_main

app = typer.Typer(
    help="hepemu: fast, precise neural-network surrogates for particle-physics calculations.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(integral_app, name="integral")
app.add_typer(data_app, name="data")
app.command("run")(run_main)


@app.command()
def version() -> None:
    """Print the hepemu version."""
    from hepemu import __version__

    typer.echo(__version__)


if __name__ == "__main__":  # pragma: no cover
    app()
