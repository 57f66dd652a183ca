"""``geogrid import FILE --as addresses``: load an address database (标准地址库)."""

from __future__ import annotations

from pathlib import Path

from .._errors import InputError, ValidationError, ValidationProblem
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

    with console.status(f"正在读取 / reading {path.name}…"):
        frame = read_frame(path, datum=datum, layer=layer, lon_column=lon_col, lat_column=lat_col)
    _raise_all(path, [*_provenance_errors(source=source, source_date=source_date,
                                          licence=licence),
                      *_column_errors(path, frame, {
                          "--address-col": address_col, "--name-col": name_col,
                          "--building-col": building_col, "--compound-col": compound_col})])
    rows, problems = prepare_addresses(frame, address_column=address_col, name_column=name_col,
                                       building_column=building_col,
                                       compound_column=compound_col, source=source,
                                       source_date=source_date, licence=licence)
    report = {"file": path.name, "as": "addresses", "datum": datum.value, "rows": len(frame),
              "readable": len(rows), "unparsable": [p.to_dict() for p in problems],
              "committed": False}
    if commit:
        if not len(rows):
            raise ValidationError(f"{path.name} 没有可解析的地址, 未写入任何数据。{path.name} has no "
                                  "readable address; nothing was written", problems,
                                  fix="检查 --address-col 是否为地址列、文件编码是否为 UTF-8。Check "
                                      "that --address-col is the address column and the file is "
                                      "UTF-8.")
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


#: what each provenance option holds, with an example
_PROVENANCE = {"--source": ("数据来源", "where the addresses come from", "街道标准地址库"),
               "--source-date": ("来源日期", "the date of the source", "2026-11-01"),
               "--licence": ("许可", "the licence of the data", "内部 / internal")}


def _raise_all(path: Path, errors: list[InputError]) -> None:
    """Every problem of the options at once: one error as it is, several as one list."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ValidationError(
            f"{path.name}: 选项有 {len(errors)} 处问题, 未写入任何数据。{len(errors)} problems with "
            "the options; nothing was written",
            [ValidationProblem("*", e.field, e.message, value=e.value) for e in errors],
            fix=" ".join(e.fix for e in errors if e.fix))


def _provenance_errors(**given: str) -> list[InputError]:
    """Every address keeps its source, date and licence."""
    out = []
    for key, value in given.items():
        opt = "--" + key.replace("_", "-")
        zh, en, example = _PROVENANCE[opt]
        if not value or not str(value).strip():
            out.append(InputError(f"缺少 {opt} ({zh}); 每条地址都记录来源。{opt} ({en}) is required: "
                                  "every address keeps its provenance.", field=opt, value=value,
                                  fix=f"加上 {opt}, 如 {opt} '{example}'。Pass {opt}, e.g. "
                                      f"{opt} '{example}'."))
    text = str(given["source_date"] or "").strip()
    if text and not _is_date(text):
        out.append(InputError(f"--source-date {text!r} 不是日期。--source-date {text!r} is not a "
                              "date.", field="--source-date", value=text,
                              fix="写 YYYY-MM-DD (或 YYYY-MM、YYYY), 如 2026-11-01。Write YYYY-MM-DD "
                                  "(or YYYY-MM, YYYY), e.g. 2026-11-01."))
    return out


def _is_date(text: str) -> bool:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``."""
    from datetime import date

    full = {4: f"{text}-01-01", 7: f"{text}-01"}.get(len(text), text)
    try:
        date.fromisoformat(full)
    except ValueError:
        return False
    return True


def _column_errors(path: Path, frame, columns: dict) -> list[InputError]:
    have = [str(c) for c in frame.columns if c != frame.geometry.name]
    return [InputError(f"{path.name} 中没有列 {col!r} ({opt})。column {col!r} ({opt}) is not in "
                       f"{path.name}; it has {have[:12]}.", field=opt, value=col,
                       fix=f"用 {opt} 指定其中一列。Pass {opt} with one of {have[:12]}.")
            for opt, col in columns.items() if col is not None and col not in frame.columns]
