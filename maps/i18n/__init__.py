"""UI strings: Chinese by default, English available (``?lang=en``).

Pages get the strings they need as a JSON bundle (:func:`bundle`) so the
JavaScript modules never carry their own copies. The strings live in one data
file, ``strings.toml``: keys are grouped by prefix (``level.``, ``status.``,
``action.`` and so on) in its ``[UI]`` table; codes the API returns (error codes,
validation finding kinds, timer stages and units, dispatch rules) have their
sentences in ``[ERRORS]`` and ``[DOMAIN]``, and every page gets those (``error.``,
``issue.``, ``timer.``, ``unit.``, ``rule.``, ``role.``, ``common.``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ._docs import REDOC_LABELS, SWAGGER_LABELS, redoc_labels

_TABLES = tomllib.loads(Path(__file__).with_name("strings.toml").read_text(encoding="utf-8"))
UI: dict[str, dict[str, str]] = _TABLES["UI"]
ERRORS: dict[str, dict[str, str]] = _TABLES["ERRORS"]
DOMAIN: dict[str, dict[str, str]] = _TABLES["DOMAIN"]

__all__ = ["t", "bundle", "issue_text", "LANGS", "STRINGS", "ALWAYS", "ERRORS_PREFIX",
           "SWAGGER_LABELS", "REDOC_LABELS", "redoc_labels"]

LANGS = ("zh", "en")
STRINGS: dict[str, dict[str, str]] = {**UI, **ERRORS, **DOMAIN}
ERRORS_PREFIX = "error.code."
#: prefixes every page's bundle carries
ALWAYS = ("error.", "issue.", "timer.", "unit.", "rule.", "role.", "common.", "mygrid.", "print.",
          "legend.legend")


def t(key: str, lang: str = "zh", **values) -> str:
    """The string ``key`` in ``lang`` (Chinese when missing), ``{name}`` placeholders filled."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang if lang in LANGS else "zh", entry["zh"])
    return text.format(**values) if values else text


def bundle(lang: str, *prefixes: str) -> dict[str, str]:
    """All strings whose key starts with one of ``prefixes`` (and :data:`ALWAYS`), in ``lang``."""
    return {k: t(k, lang) for k in STRINGS if k.startswith(prefixes + ALWAYS)}


def issue_text(issue: dict, name_of, lang: str = "zh") -> str:
    """A validation finding (``kind``, ``ids``, ``value``) as a sentence naming its areas.

    ``name_of(id)`` gives an area's or object's display name (None: the id is shown).
    The same sentences as ``static/js/texts.js`` ``issueText`` (the editor's list).
    """
    names = [name_of(i) or str(i) for i in issue.get("ids") or ()]
    value = issue.get("value")
    value = "" if value is None else f"{round(float(value), 2):g}"
    key = f"issue.{issue.get('kind')}"
    key = key if key in STRINGS else "issue.kind.other"
    sep = "、" if lang == "zh" else ", "
    return t(key, lang, names=sep.join(names), first=names[0] if names else "",
             second=names[1] if len(names) > 1 else "", rest=sep.join(names[1:]), value=value)
