"""One error hierarchy for the whole package.

Every error raised on purpose by geogrid derives from :class:`GeoGridError`.
The HTTP layer maps each subclass to a status code in one table
(``api/errors.py``), so the core never needs to know about HTTP.

Messages follow one pattern: name the argument, say what was received and
say how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CODES",
    "GeoGridError",
    "InputError",
    "CRSError",
    "DatumError",
    "ValidationProblem",
    "ValidationError",
    "NotFoundError",
    "ConflictError",
    "StateError",
    "OutOfCoverageError",
    "StoreUnavailableError",
    "PermissionDenied",
    "AuthenticationError",
    "LimitExceeded",
    "unreadable_file",
    "validator_reason_zh",
]


#: every error code to the class that defines it
CODES: dict[str, type[GeoGridError]] = {}


class GeoGridError(Exception):
    """Base class of every error geogrid raises on purpose.

    A subclass names its code in its header (``class Gone(GeoGridError, code="gone")``) or
    in its body; a code is short, machine-readable, stable across versions and unique
    (:data:`CODES`), so clients and the translated messages can key on it.
    """

    #: short machine-readable code, stable across versions
    code = "geogrid_error"

    def __init_subclass__(cls, code: str | None = None, **kwargs):
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if "code" in vars(cls):
            first = CODES.setdefault(cls.code, cls)
            if (first.__module__, first.__qualname__) != (cls.__module__, cls.__qualname__):
                raise TypeError(f"error code {cls.code!r} of {cls.__qualname__} is already "
                                f"{first.__qualname__}'s; pick another code.")

    def __init__(self, message: str, *, field: str | None = None, value: Any = None,
                 fix: str | None = None):
        self.message = message
        self.field = field
        self.value = value
        self.fix = fix
        parts = [message]
        if fix:
            parts.append(fix)
        super().__init__(" ".join(parts))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = _jsonable(self.value)
        if self.fix:
            out["fix"] = self.fix
        return out


CODES[GeoGridError.code] = GeoGridError


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value][:20]
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."


class InputError(GeoGridError, ValueError, code="invalid_input"):
    """An argument or a field of a request is malformed or out of range."""


class CRSError(InputError, code="crs_error"):
    """A GeoDataFrame has no CRS, or CRSs that must match do not."""


class DatumError(InputError, code="datum_error"):
    """An unknown coordinate datum, or a coordinate that does not fit its datum."""


@dataclass(frozen=True)
class ValidationProblem:
    """One problem found while validating input: where, what and why."""

    index: Any
    field: str
    reason: str
    value: Any = None
    location: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"index": _jsonable(self.index), "field": self.field, "reason": self.reason}
        if self.value is not None:
            out["value"] = _jsonable(self.value)
        if self.location is not None:
            out["location"] = [round(self.location[0], 7), round(self.location[1], 7)]
        return out


class ValidationError(InputError, code="validation_failed"):
    """Validation found problems. All of them are listed, not only the first."""

    def __init__(self, message: str, problems: list[ValidationProblem], *, fix: str | None = None):
        self.problems = list(problems)
        shown = "; ".join(f"[{p.index}] {p.field}: {p.reason}" for p in self.problems[:10])
        more = f" (+{len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(f"{message}: {len(self.problems)} problem(s): {shown}{more}.", fix=fix)
        self.message = message

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["problems"] = [p.to_dict() for p in self.problems]
        return out


class NotFoundError(GeoGridError, LookupError, code="not_found"):
    """Nothing with the given id, code or name exists."""


class ConflictError(GeoGridError, code="conflict"):
    """A write lost an optimistic-lock race, or would break a uniqueness rule."""


class StateError(GeoGridError, code="illegal_state"):
    """An operation is not allowed in the object's current state."""


class OutOfCoverageError(GeoGridError, code="out_of_coverage"):
    """A point lies outside every area and beyond the snapping distance."""


class StoreUnavailableError(GeoGridError, code="store_unavailable"):
    """The database cannot be reached. Nothing was written."""


class AuthenticationError(GeoGridError, code="unauthenticated"):
    """No valid credentials: a wrong password, or a token that expired or was revoked."""


class PermissionDenied(GeoGridError, code="forbidden"):
    """The account's role or scope does not allow the operation."""


class LimitExceeded(InputError, code="limit_exceeded"):
    """A request is larger than a configured limit."""


#: what a reading library's reason means, in Chinese (its English text is kept as the detail)
_READ_REASONS_ZH = (
    ("Parquet magic bytes not found", "不是 Parquet 文件, 或文件已损坏"),
    ("Parquet file size is 0", "文件为空 (0 字节)"),
    ("not recognized as being in a supported file format", "内容不是可识别的地理数据格式"),
    ("not recognized as a supported file format", "内容不是可识别的地理数据格式"),
    ("No such file or directory", "文件不存在"),
    ("Permission denied", "没有读取权限"),
    ("Is a directory", "这是一个目录, 不是文件"),
    ("Failed to read GeoJSON data", "GeoJSON 内容不是完整的 JSON (可能被截断)"),
    ("file is not a database", "不是 GeoPackage / SQLite 数据库"),
    ("unable to open database file", "无法打开数据库文件"),
    ("Layer", "文件中没有该图层, 或图层无法打开"),
    (".shx", "缺少或损坏 .shx 索引文件"),
    ("No columns to parse", "文件为空, 没有列"),
    ("codec can't decode", "文字不是 UTF-8 编码"),
    ("Error tokenizing data", "CSV 的列数不一致"),
)


def unreadable_file(path: Any, reason: Any, fix: str) -> InputError:
    """A file that could not be read: Chinese first, naming the file and what the reading
    library's reason means, its own (English) reason kept as the detail, and ``fix``.

    >>> err = unreadable_file("no/such.geojson", "No such file or directory", "Check the file.")
    >>> err.message
    '无法读取 such.geojson: 文件不存在。cannot read such.geojson: No such file or directory.'
    >>> err.fix
    '检查路径。Check the path.'
    """
    from pathlib import Path

    path = Path(str(path))
    detail = str(reason).split("; It might help to specify the correct driver")[0].strip()
    detail = detail.removesuffix(".")
    if not path.exists():
        zh, fix = "文件不存在", "检查路径。Check the path."
    elif path.is_dir():
        zh = "这是一个目录, 不是文件"
        fix = f"请给出目录里的文件, 而不是目录本身。Pass a file inside it, not the directory. {fix}"
    elif path.exists() and path.stat().st_size == 0:
        zh = "文件为空 (0 字节)"
    else:
        zh = next((z for en, z in _READ_REASONS_ZH if en in detail), "读取库无法解析此文件")
    return InputError(f"无法读取 {path.name}: {zh}。cannot read {path.name}: {detail}.",
                      field="path", value=str(path), fix=fix)


#: a data validator's error type (pydantic's ``type``) → why the value was refused, in Chinese
_VALIDATOR_ZH = {
    "missing": "缺少此项", "int_parsing": "须为整数", "int_from_float": "须为整数",
    "int_type": "须为整数", "float_parsing": "须为数字", "float_type": "须为数字",
    "bool_parsing": "须为 true 或 false", "bool_type": "须为 true 或 false",
    "string_type": "须为文字", "date_parsing": "须为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "须为日期 YYYY-MM-DD", "date_type": "须为日期 YYYY-MM-DD",
    "datetime_parsing": "须为时间 YYYY-MM-DDTHH:MM", "datetime_type": "须为时间 YYYY-MM-DDTHH:MM",
    "datetime_from_date_parsing": "须为日期或时间 (YYYY-MM-DD 或 YYYY-MM-DDTHH:MM)",
    "uuid_parsing": "须为 UUID", "dict_type": "须为 JSON 对象", "model_attributes_type": "须为 JSON 对象",
    "list_type": "须为列表", "json_invalid": "不是合法的 JSON", "enum": "不在可选值之中",
    "literal_error": "不在可选值之中", "string_pattern_mismatch": "格式不符",
    "extra_forbidden": "不认识此字段", "value_error": "取值无效",
}
_BOUNDS_ZH = {"greater_than": ("gt", ">"), "greater_than_equal": ("ge", "≥"),
              "less_than": ("lt", "<"), "less_than_equal": ("le", "≤"),
              "string_too_short": ("min_length", "长度 ≥"), "string_too_long": ("max_length", "长度 ≤"),
              "too_short": ("min_length", "项数 ≥"), "too_long": ("max_length", "项数 ≤")}


def validator_reason_zh(kind: str, ctx: dict | None = None) -> str | None:
    """Why a data validator refused a value, in Chinese, from its error type and context.

    >>> validator_reason_zh("less_than_equal", {"le": 180})
    '须 ≤ 180'
    >>> validator_reason_zh("enum", {"expected": "'wgs84' or 'gcj02'"})
    '不在可选值之中 (可选: wgs84, gcj02)'
    """
    ctx = ctx or {}
    if kind in _BOUNDS_ZH:
        key, sign = _BOUNDS_ZH[kind]
        return f"须 {sign} {ctx[key]}" if key in ctx else None
    zh = _VALIDATOR_ZH.get(kind)
    if zh and kind in ("enum", "literal_error") and ctx.get("expected"):
        expected = str(ctx["expected"]).replace("'", "").replace(" or ", ", ")
        zh = f"{zh} (可选: {expected})"
    return zh
