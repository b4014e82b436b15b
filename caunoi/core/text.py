"""Text folding for search that ignores Vietnamese diacritics and case.

"Trạm Y tế xã Lũng Cú" and "tram y te xa lung cu" fold to the same string, so a worker typing
on a phone keyboard without Telex finds what they mean. Folded copies are stored in indexed
columns (``search_name``) and queries are folded the same way before matching.
"""

from __future__ import annotations

import re
import unicodedata

# đ/Đ is a letter of its own, not d with a combining mark, so NFD leaves it alone.
_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})
_SPACES = re.compile(r"\s+")


def unmarked(text: str) -> str:
    """``text`` without diacritics, its case kept ("Đắk Lắk" → "Dak Lak"): what a phone that
    cannot show Vietnamese in an SMS is sent."""
    decomposed = unicodedata.normalize("NFD", text.translate(_EXTRA))
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def fold(text: str) -> str:
    """Lower-case ``text`` without diacritics and with single spaces."""
    return _SPACES.sub(" ", unmarked(text).casefold()).strip()


def search_terms(query: str) -> list[str]:
    """The folded words of a search query, each of which must match."""
    return [word for word in fold(query).split(" ") if word]
