"""``python -m geogrid.cli``: the same command line as the ``geogrid`` script."""

from . import app

__all__: list[str] = []

if __name__ == "__main__":
    app(prog_name="geogrid")
