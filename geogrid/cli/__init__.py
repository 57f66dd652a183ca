"""The ``geogrid`` command line."""

from __future__ import annotations

import sys

from ._warm import collect_rarely, is_batch, keep_freed_memory, warm_imports

if is_batch():
    keep_freed_memory()     # a one-shot batch reuses the memory it frees (no page faults)
    if sys.argv[1] == "locate":     # Arrow and numpy only: few cycles (geocode runs pandas)
        collect_rarely()    # and does not walk its objects every 700 new ones
warm_imports()          # numpy, shapely, pyarrow on a thread for batch commands, while typer loads



from . import basemap, batch, calendar, data, incidents, planning, serve, simulate, users
from ._usage import typer_group

app = typer_group(name="geogrid", help="网格化治理: microgrid planning, geocoding, dispatch, maps.",
                  no_args_is_help=True)
#: command name → its function, in the order ``geogrid --help`` lists them
COMMANDS = {
    "demo": data.demo, "import": data.import_, "export": data.export, "plans": data.plans, "activate": data.activate,
    "check": data.check, "purge-personal": data.purge_personal,
    "locate": batch.locate, "geocode": batch.geocode,
    "partition": planning.partition, "validate": planning.validate,
    "simulate": simulate.simulate, "serve": serve.serve,
}
for _name, _command in COMMANDS.items():
    app.command(_name)(_command)
for _group in (users, incidents, calendar, basemap):
    app.add_typer(_group.app, name=_group.__name__.rpartition(".")[2])

__all__ = ["app", "COMMANDS"]
