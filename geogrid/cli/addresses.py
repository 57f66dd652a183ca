"""``geogrid import FILE --as addresses``: load an address database (标准地址库)."""

from __future__ import annotations

from pathlib import Path

from .._errors import ValidationError
from .._datum import Datum
from ..io import read_frame
from ._common import console, echo_json, open_store

__all__ = ["import_addresses"]


def import_addresses(path: Path, datum: Datum, *, address_col: str, name_col: str | None,
                     building_col: str | None, compound_col: str | None,
                     lon_col: str | None, lat_col: str | None, layer: str | None, source: str,
                     source_date: str, licence: str, commit: bool, as_json: bool) -> None:
    """Dry run by default: report every unparsable address; ``commit`` writes in one transaction.

    Rows with readable addresses are written even when others are not; the
    report lists the others, so nothing is dropped silently.
    """
    from ..geocode.addressdb import prepare_addresses

    with console.status(f"reading {path.name}…"):
        frame = read_frame(path, datum=datum, layer=layer, lon_column=lon_col, lat_column=lat_col)
    rows, problems = prepare_addresses(frame, address_column=address_col, name_column=name_col,
                                       building_column=building_col,
                                       compound_column=compound_col, source=source,
                                       source_date=source_date, licence=licence)
    report = {"file": path.name, "as": "addresses", "datum": datum.value, "rows": len(frame),
              "readable": len(rows), "unparsable": [p.to_dict() for p in problems],
              "committed": False}
    if commit:
        if not len(rows):
            raise ValidationError(f"{path.name} has no readable address", problems,
                                  fix="Check --address-col and the file's encoding.")
        from ..store.addresses import AddressBook

        store = open_store()
        with store.write() as conn:
            report.update(AddressBook(store).upsert(conn, rows, actor="cli"))
        report["committed"] = True
    if as_json:
        echo_json(report)
        return
    for p in problems:
        console.print(f"  [yellow]行 {p.index}[/yellow] {p.field}: {p.reason}")
    verb = "写入 / imported" if commit else "可导入 / readable (dry run; add --commit to write)"
    console.print(f"[green]{len(rows)} addresses {verb}[/green]; "
                  f"{len(problems)} 无法解析 / unparsable")
