"""The ``hepemu`` command line (typer + rich).

``main`` is the one error boundary: a usage error, a failure a command reports, an
unexpected exception or Ctrl-C each end as one line on stderr and a non-zero exit code
(``HEPEMU_DEBUG=1`` shows the traceback of an unexpected exception).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated, NoReturn

import typer
from rich.markup import escape

from hepemu.cli.common import err
from hepemu.cli.data import app as data_app
from hepemu.cli.evaluate import evaluate_cmd
from hepemu.cli.events import events_cmd
from hepemu.cli.export import export_cmd
from hepemu.cli.fit import fit_cmd
from hepemu.cli.integral import app as integral_app
from hepemu.cli.me import app as me_app
from hepemu.cli.plot_events import plot_events_cmd
from hepemu.cli.predict import predict_cmd
from hepemu.cli.reweight import reweight_cmd
from hepemu.cli.run import run_main

app = typer.Typer(
    help="hepemu: fast, precise neural-network surrogates for particle-physics calculations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(integral_app, name="integral")
app.add_typer(data_app, name="data")
app.add_typer(me_app, name="me")
app.command("run")(run_main)
app.command("fit")(fit_cmd)
app.command("predict")(predict_cmd)
app.command("evaluate")(evaluate_cmd)
app.command("events")(events_cmd)
app.command("reweight")(reweight_cmd)
app.command("plot-events")(plot_events_cmd)
app.command("export")(export_cmd)

EXIT_INTERRUPTED = 130
EXIT_FAILED = 1


def _print_version(value: bool) -> None:
    if value:
        from hepemu.version import __version__

        typer.echo(f"hepemu {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """hepemu: fast, precise neural-network surrogates for particle-physics calculations."""


@app.command()
def version() -> None:
    """Print the hepemu version."""
    _print_version(True)


def run_cli(argv: list[str] | None = None) -> int:
    """Run the command line on ``argv`` and return the exit code; never raises."""
    try:
        rv = app(args=argv, prog_name="hepemu", standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        err.print("[yellow]interrupted[/]")
        return EXIT_INTERRUPTED
    except typer.TyperException as exc:  # usage errors (bad option values, unknown options)
        return _usage_error(exc)
    except BrokenPipeError:  # output piped into `head`
        return EXIT_FAILED
    except Exception as exc:  # noqa: BLE001 - the boundary: one line, not a traceback
        if os.environ.get("HEPEMU_DEBUG"):
            raise
        what = f"{type(exc).__name__}: {exc}".strip().splitlines()
        err.print(
            f"[bold red]error:[/] {escape(what[0] if what else type(exc).__name__)} "
            "(unexpected; rerun with HEPEMU_DEBUG=1 for the traceback and please report it)"
        )
        return EXIT_FAILED
    return rv if isinstance(rv, int) else 0


def _usage_error(exc: Exception) -> int:
    """One line for a usage error (bad or missing option, unknown command), exit code 2."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # a bare group: its help, as click does
        exc.show()  # type: ignore[attr-defined]
        return 0
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
    err.print(f"[bold red]error:[/] {escape(message)}{escape(hint)}")
    return int(getattr(exc, "exit_code", 2))


def main() -> NoReturn:
    """Console-script entry point."""
    sys.exit(run_cli())


if __name__ == "__main__":  # pragma: no cover
    main()
