"""The ``geogrid`` command line."""

from __future__ import annotations

import typer

from . import basemap, batch, data, incidents, planning, serve, simulate, users

app = typer.Typer(name="geogrid", help="网格化治理: microgrid planning, geocoding, dispatch, maps.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.command("demo")(data.demo)
app.command("import")(data.import_)
app.command("export")(data.export)
app.command("plans")(data.plans)
app.command("check")(data.check)
app.command("purge-personal")(data.purge_personal)
app.command("locate")(batch.locate)
app.command("geocode")(batch.geocode)
app.command("partition")(planning.partition)
app.command("validate")(planning.validate)
app.command("simulate")(simulate.simulate)
app.command("serve")(serve.serve)
app.add_typer(users.app, name="users")
app.add_typer(incidents.app, name="incidents")
from . import calendar as _calendar  # noqa: E402
app.add_typer(_calendar.app, name="calendar")
app.add_typer(basemap.app, name="basemap")

__all__ = ["app"]
