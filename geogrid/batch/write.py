"""Write batch results chunk by chunk: GeoParquet (points) or CSV.

The output is written to a temporary file beside it and renamed into place
when the last chunk is written, so a failed batch leaves any earlier output
as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

__all__ = ["ResultWriter", "point_wkb", "point_wkb_arrow", "geo_metadata", "is_parquet",
           "STORAGE_CRS_JSON"]


def is_parquet(path: Path) -> bool:
    return Path(path).suffix.lower() in (".parquet", ".geoparquet")


def _wkb_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One 21-byte row per point: byte order (little endian), type 1 (Point), x, y."""
    n = len(x)
    buf = np.empty((n, 21), dtype=np.uint8)
    buf[:, 0] = 1
    buf[:, 1:5] = np.frombuffer(np.uint32(1).tobytes(), dtype=np.uint8)
    buf[:, 5:13] = np.ascontiguousarray(x, dtype="<f8").view(np.uint8).reshape(n, 8)
    buf[:, 13:21] = np.ascontiguousarray(y, dtype="<f8").view(np.uint8).reshape(n, 8)
    return buf


def point_wkb(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """WKB of 2D points (little endian), ``None`` where a coordinate is missing.

    Built with numpy in one pass: 21 bytes a point (byte order, type 1, x, y).
    """
    out = np.frombuffer(_wkb_rows(x, y).tobytes(), dtype="S21").astype(object)
    out[~(np.isfinite(x) & np.isfinite(y))] = None
    return out


def point_wkb_arrow(x: np.ndarray, y: np.ndarray):
    """:func:`point_wkb` as an Arrow binary array, built from one buffer without copies."""
    import pyarrow as pa

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    buf = _wkb_rows(x, y)
    offsets = (np.arange(n + 1, dtype=np.int32) * 21)
    valid = np.isfinite(x) & np.isfinite(y)
    mask = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(pa.binary(), n, [mask, pa.py_buffer(offsets),
                                                  pa.py_buffer(buf)],
                                 null_count=int(n - valid.sum()))


#: PROJJSON of EPSG:4490 as pyproj writes it (``CRS.from_epsg(4490).to_json_dict()``),
#: kept beside this module: loading pyproj took longer than writing a small batch
STORAGE_CRS_JSON = Path(__file__).with_name("epsg4490.json")


def geo_metadata(column: str = "geometry") -> bytes:
    """GeoParquet 1.0 metadata for one WKB point column in EPSG:4490."""
    return json.dumps({"version": "1.0.0", "primary_column": column, "columns": {column: {
        "encoding": "WKB", "geometry_types": ["Point"],
        "crs": json.loads(STORAGE_CRS_JSON.read_text(encoding="utf-8"))}}}).encode()


def _plain_schema(schema, names):
    """``schema`` with the dictionary types of columns ``names`` replaced by their values'."""
    import pyarrow as pa

    return pa.schema([f.with_type(f.type.value_type)
                      if f.name in names and pa.types.is_dictionary(f.type) else f
                      for f in schema])


def _arrow_schema(schema) -> bytes:
    """The ``ARROW:schema`` entry of Parquet metadata: the IPC schema, base64."""
    import base64

    return base64.b64encode(schema.serialize().to_pybytes())


def _repetitive(table, sample: int = 10_000) -> list[str]:
    """Columns worth dictionary-encoding: dictionary arrays (the answers), and
    text whose first ``sample`` values repeat (half or fewer distinct). Ids,
    coordinates and geometries are not: Parquet would build a dictionary for
    each and then give it up."""
    import pyarrow as pa

    out = []
    for name, column in zip(table.column_names, table.columns):
        kind = column.type
        if pa.types.is_dictionary(kind):
            out.append(name)
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
            head = column.slice(0, sample).to_pylist()
            if len(set(head)) * 2 <= len(head):
                out.append(name)
    return out


class ResultWriter:
    """Append result frames to ``out``; :meth:`close` publishes the file."""

    def __init__(self, out, *, geometry: bool = True):
        self.out = Path(out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.out.with_name(f".{self.out.name}.{os.getpid()}.part")
        self.geometry = geometry and is_parquet(self.out)
        self._writer = None
        self._first = True

    def write(self, attrs, answer: dict, x: np.ndarray, y: np.ndarray) -> None:
        """Append rows: ``attrs`` (DataFrame or Arrow batch), the answer columns
        (name → Arrow array), and the point geometry from ``x``/``y``."""
        import pyarrow as pa

        if isinstance(attrs, pa.RecordBatch):
            attrs = pa.Table.from_batches([attrs])
        else:                                         # a pandas DataFrame
            attrs = pa.Table.from_pandas(attrs.reset_index(drop=True), preserve_index=False)
        attrs = attrs.replace_schema_metadata(None)
        if self._writer is not None or not self._first:
            if attrs.schema != self._attrs_schema:     # a cast loads pyarrow.compute (0.1 s)
                attrs = attrs.cast(self._attrs_schema)
        else:
            self._attrs_schema = attrs.schema
        self._answers = set(answer)
        for name, column in answer.items():
            attrs = attrs.append_column(name, column)
        if is_parquet(self.out):
            self._write_parquet(attrs, x, y)
        else:
            attrs.to_pandas().to_csv(self.tmp, mode="w" if self._first else "a",
                                     header=self._first, index=False)
        self._first = False

    def _write_parquet(self, table, x, y) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        if self.geometry:
            table = table.append_column("geometry", point_wkb_arrow(x, y))
        if self._writer is None:
            self._meta = {b"geo": geo_metadata()} if self.geometry else {}
            self._schema = table.schema
            # The answers arrive dictionary-encoded, and Parquet stores text as a
            # dictionary anyway, so they are written as they are. The Arrow schema
            # stored with the file (written at close) names their plain types, so
            # readers get text, not categories, as from any other writer.
            plain = _plain_schema(table.schema, self._answers).with_metadata(dict(self._meta))
            self._meta[b"ARROW:schema"] = _arrow_schema(plain)
            self._writer = pq.ParquetWriter(
                self.tmp, self._schema, store_schema=False, use_dictionary=_repetitive(table),
                # min/max of WKB bytes says nothing about where the points are
                write_statistics=[n for n in table.column_names if n != "geometry"])
        self._writer.write_table(pa.Table.from_arrays(table.columns, schema=self._schema))

    def close(self) -> None:
        if self._writer is not None:
            self._writer.add_key_value_metadata(self._meta)
            self._writer.close()
        if self._first:
            if is_parquet(self.out):
                import pyarrow as pa
                import pyarrow.parquet as pq

                pq.write_table(pa.table({}), self.tmp)
            else:
                self.tmp.write_text("")
        os.replace(self.tmp, self.out)

    def abort(self) -> None:
        if self._writer is not None:
            try:
                self._writer.close()
            except Exception:  # the write already failed; keep the first error
                pass
        self.tmp.unlink(missing_ok=True)
