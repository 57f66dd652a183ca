"""Chinese numerals in addresses: 三十二 → 32, 二〇一 → 201, and back.

Two spellings reach a dispatch desk:

* positional, with the multipliers 十 / 百 / 千 (``一千三百一十八`` = 1318,
  ``十八`` = 18, ``一百零五`` = 105);
* digit by digit, as house and room numbers are read aloud
  (``二〇一`` = 201, ``六三八`` = 638, with 幺 for 1 and 两 for 2).

A run that contains a multiplier is read positionally, otherwise digit by
digit. Numbers up to 9999 are enough for house, room and floor numbers; larger
runs are refused (``None``) rather than guessed.

>>> cn_to_int("三十二"), cn_to_int("二〇一"), cn_to_int("一千三百一十八")
(32, 201, 1318)
>>> int_to_cn(1318), int_to_cn(15), int_to_cn(201, digitwise=True)
('一千三百一十八', '十五', '二零一')
"""

from __future__ import annotations

__all__ = ["CN_DIGITS", "CN_NUMERAL_CHARS", "cn_to_int", "int_to_cn"]

CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "幺": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_MULTIPLIERS = {"十": 10, "百": 100, "千": 1000}
#: every character that may appear in a numeral run
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(_MULTIPLIERS)

_DIGIT_CHARS = "零一二三四五六七八九"


def cn_to_int(text: str) -> int | None:
    """Value of a Chinese numeral run, or ``None`` if it is not a well-formed one."""
    if not text or any(ch not in CN_DIGITS and ch not in _MULTIPLIERS for ch in text):
        return None
    if not any(ch in _MULTIPLIERS for ch in text):
        return int("".join(str(CN_DIGITS[ch]) for ch in text))
    total = 0
    pending: int | None = None  # digit waiting for its multiplier
    last_mult = 10_000
    for ch in text:
        if ch in CN_DIGITS:
            if pending is not None and CN_DIGITS[ch] != 0:
                return None  # two digits in a row inside a positional numeral
            pending = CN_DIGITS[ch] if CN_DIGITS[ch] != 0 else None
            continue
        mult = _MULTIPLIERS[ch]
        if mult >= last_mult:
            return None  # 十百 or 百百: not a numeral
        total += (1 if pending is None else pending) * mult
        pending = None
        last_mult = mult
    if pending is not None:
        total += pending
    return total


def int_to_cn(value: int, *, digitwise: bool = False) -> str:
    """Spell ``value`` (0-9999) in Chinese: positional by default, or digit by digit.

    Positional spelling follows spoken usage: 10-19 drop the leading 一
    (十五), inner zeros collapse to one 零 (一百零五, 一千零一十).
    """
    if not 0 <= value <= 9999:
        raise ValueError(f"value must be within 0..9999, got {value}")
    if digitwise:
        return "".join(_DIGIT_CHARS[int(d)] for d in str(value))
    if value == 0:
        return "零"
    out: list[str] = []
    zero_gap = False
    for mult, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // mult % 10
        if digit == 0:
            zero_gap = bool(out)
            continue
        if zero_gap:
            out.append("零")
            zero_gap = False
        if not (mult == 10 and digit == 1 and not out):
            out.append(_DIGIT_CHARS[digit])
        out.append(name)
    return "".join(out)
