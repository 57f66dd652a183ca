"""The public error hierarchy of geogrid.

Every error raised on purpose derives from :class:`GeoGridError`; the HTTP
layer maps each class to a status in one table (``api/errors.py``) and the
CLI prints it as a report. Import errors from here; ``geogrid._errors`` is
the private module that defines them.

>>> from geogrid.errors import GeoGridError, InputError
>>> issubclass(InputError, GeoGridError)
True
"""

from ._errors import (
    CODES,
    AuthenticationError,
    ConflictError,
    CRSError,
    DatumError,
    GeoGridError,
    InputError,
    LimitExceeded,
    NotFoundError,
    OutOfCoverageError,
    PermissionDenied,
    StateError,
    StoreUnavailableError,
    ValidationError,
    ValidationProblem,
    validator_reason_zh,
)

__all__ = [
    "CODES", "GeoGridError", "InputError", "CRSError", "DatumError", "ValidationProblem",
    "ValidationError", "NotFoundError", "ConflictError", "StateError", "OutOfCoverageError",
    "StoreUnavailableError", "PermissionDenied", "AuthenticationError", "LimitExceeded",
    "validator_reason_zh",
]
