"""Reading whole numbers from text a user sent (a form, a query string, a header, a template).

`"²".isdigit()` is true and `int("²")` raises, and a 30-digit id overflows a database integer:
every number read from a request goes through `whole_number`, so either is a clear refusal
(None) at the edge, never a 500 further in.
"""

from __future__ import annotations

MAX_DIGITS = 18  # fits a 64-bit database integer


def whole_number(text: object, *, max_digits: int | None = MAX_DIGITS) -> int | None:
    """`text` as a non-negative int when it is ASCII digits only (at most `max_digits`), else None."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()):
        return None
    if max_digits is not None and len(text) > max_digits:
        return None
    return int(text)
