"""Error messages in the client's language, by error code (``Accept-Language``).

The error body keeps its shape (``{"error": {"code", "message", "field", "value",
"fix"}}``). Chinese comes first: when a message has no Chinese, :func:`localise_error`
puts the Chinese sentence for its code first in ``message`` and keeps the detailed
English text after it, so nothing is lost; ``message_en`` carries the original.
Clients that rank English above Chinese (``Accept-Language``) get the body unchanged.

``api/errors.py`` applies it where it builds the response::

    body = localise_error(exc.to_dict(), request.headers.get("accept-language"))
"""

from __future__ import annotations

from maps.i18n import ERRORS_PREFIX, t

__all__ = ["prefers_chinese", "prefers_english", "localise_error"]


def _ranks(accept_language: str | None) -> dict[str, float]:
    """The best q-value of Chinese and of English in ``Accept-Language``."""
    best: dict[str, float] = {}
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            key, _, val = p.strip().partition("=")
            if key == "q":
                try:
                    q = float(val)
                except ValueError:
                    q = 0.0
        lang = tag.strip().lower().split("-")[0]
        if lang in ("zh", "en"):
            best[lang] = max(best.get(lang, 0.0), q)
    return best


def prefers_chinese(accept_language: str | None) -> bool:
    """Whether ``Accept-Language`` ranks a Chinese tag above every English one (q-values)."""
    best = _ranks(accept_language)
    return best.get("zh", 0.0) > best.get("en", 0.0)


def prefers_english(accept_language: str | None) -> bool:
    """Whether ``Accept-Language`` ranks an English tag above every Chinese one."""
    best = _ranks(accept_language)
    return best.get("en", 0.0) > best.get("zh", 0.0)


def _has_chinese(text: str | None) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text or "")


def localise_error(error: dict, accept_language: str | None) -> dict:
    """``error`` (the inner object of an error body), Chinese first unless the client ranks
    English above Chinese. A message that already has its Chinese is left as it is; an
    English-only one gets the Chinese sentence of its code in front (``message_en`` keeps it)."""
    if prefers_english(accept_language) or _has_chinese(error.get("message")):
        return error
    key = ERRORS_PREFIX + str(error.get("code", ""))
    zh = t(key, "zh")
    if zh == key:
        zh = t(ERRORS_PREFIX + "http_error", "zh")
    out = dict(error)
    out["message_en"] = error.get("message")
    out["message"] = f"{zh} ({error.get('message')})" if error.get("message") else zh
    return out
