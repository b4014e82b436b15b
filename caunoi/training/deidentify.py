"""De-identify the free text of a closed teleconsultation before it becomes a teaching case.

A teaching case (Project ECHO style) shows the clinical story without the person. This module
only prepares: ``find_identifiers`` lists the stretches of text that look identifying, and
``redact`` replaces them with translatable tokens such as "[patient]". A reviewer reads the
result and approves it; nothing here is the last line of defence.

What is looked for:

- patient: the names the platform knows (``Known.names``). The full name, and the family name
  with the given name, match whatever the case and with or without diacritics ("giang thi do"
  is "Giàng Thị Dợ"). The given name alone ("Dợ"), or the middle and given names together
  ("Thị Dợ"), match only as written with its own diacritics or with none at all, and only when
  capitalised ("Dợ", "Do") or, with its diacritics, right after a form of address ("bà dợ"):
  folded, "Dợ" is also "do" (because), "đo" (to measure) and "độ" (degree). In a text written
  with diacritics, a bare "Do" opening a sentence is the word "because", not the name. The
  family name alone ("Nguyễn") and the middle names alone ("Thị", "Văn") are never taken. A
  name after "Họ tên:" counts as the patient's too.
- relative: the capitalised words (one to four) after a kinship word ("con gái là Lò Thị Mai",
  "chồng: Vàng A Páo", "mẹ bệnh nhân Lò Thị Mai"). Kinship words match as written or without
  any diacritics, never with other marks: "có HA" is not "cô HA", "ảnh CT" is not "anh CT".
  After ":", "là" or "tên", names in capitals ("LÒ THỊ MAI") count as well, and a list joined
  by "," or "và" is followed. The same words ("cô", "anh", "bà") also address the doctors, whose
  names are then hidden too.
- id: the identifiers the platform knows (``Known.identifiers``), written with or without spaces,
  dots or dashes; the health insurance number (BHYT: two letters and 13 digits); the citizen ID
  (CCCD, 12 digits, also in groups of 3 or 4) and any other run of 9 to 15 digits (old CMND,
  social insurance number).
- phone: Vietnamese mobile (0 and 9 digits) and landline (0 and 10 digits, starting 02) numbers,
  also with +84, 84 or 0084 and with spaces, dots or dashes between groups of digits.
- address: the words after "thôn", "bản", "buôn", "làng", "xóm", "ấp", "tổ dân phố", "tổ",
  "số nhà", "khu phố", "khu", "khóm", "đường", "phố", "ngõ", "ngách", "hẻm", "kiệt", "xã",
  "phường", "thị trấn" (the commune is a small place; district and province are kept, as they
  carry the epidemiology); a house number before a street or after "ở"/"tại"; and the rest of a
  line after "Địa chỉ:", "Nơi ở:", "Quê quán:" and the like.
- date: exact dates: 03/05/2026, 3-5-2026, 3.5.26, 2026-05-03, "ngày 3 tháng 5 năm 2026", and
  day/month when both have two digits ("03/05", but not "10/10 điểm") or after a date word
  ("ngày 3/5", "từ 3/5"). Otherwise a day/month is taken for a fraction ("1/2 viên") and kept;
  blood pressure ("150/90"), a score ("15/15") and a month ("05/2026") are never dates.

A relative's name or a place of two words or more, once found, is then hidden wherever else it
appears (the relative's given name too, by the patient's rules). Spans that overlap are merged
into one, whose kind is the first of patient, relative, phone, id, address, date among them.

What it cannot catch: names never introduced by a kinship word and not known ("Páo đưa vợ
đến" when Páo is named nowhere else), a patient's name misspelt beyond the diacritics,
nicknames, names of facilities or staff written without a form of address, place names with no
keyword, a lone house number ("ở 12"), dates in words without "ngày" or a year ("3 tháng 5"),
a one-digit day/month with no date word ("khám 3/5"), a known given name in lower case without
its diacritics ("ba do"), and rare facts (a unique occupation or event) that identify on their
own. It also hides some ordinary words: a given name that is also a word ("Mai" tomorrow,
"Sáng" morning) when capitalised, place-like names after kinship words ("huyện Bố Trạch"). The
reviewer has to read the whole text.
"""

from __future__ import annotations

import calendar
import functools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from caunoi.core.text import fold

PATIENT = "patient"
RELATIVE = "relative"
ID = "id"
PHONE = "phone"
ADDRESS = "address"
DATE = "date"
KINDS = (PATIENT, RELATIVE, ID, PHONE, ADDRESS, DATE)

# When two spans overlap, the merged span takes the kind that comes first here.
_PRIORITY = {kind: rank for rank, kind in enumerate((PATIENT, RELATIVE, PHONE, ID, ADDRESS, DATE))}


@dataclass(frozen=True)
class Known:
    """What the platform knows about the patient: full names, and identifiers (citizen ID,
    insurance number, phone numbers, record numbers) as stored."""

    names: Sequence[str] = ()
    identifiers: Sequence[str] = ()


@dataclass(frozen=True)
class Redaction:
    """A stretch ``text[start:end]`` of the original text that identifies someone, and its kind
    (one of ``KINDS``)."""

    start: int
    end: int
    kind: str
    text: str


# --- Public API -----------------------------------------------------------------------------------


def find_identifiers(text: str, known: Known) -> list[Redaction]:
    """The identifying stretches of ``text``, sorted and not overlapping, with positions in
    ``text`` itself (whatever its Unicode normalisation)."""
    composed = _composed(text)
    folded = _folded(composed)
    found: list[tuple[int, int, str]] = []

    for name in known.names:
        found += _person_spans(text, folded, name, PATIENT)
    for identifier in known.identifiers:
        found += _identifier_spans(folded, identifier)
    labelled = list(_labelled_patient_spans(composed))
    relatives = list(_relative_spans(composed))
    places = list(_address_spans(composed))
    found += labelled + relatives + places
    found += _phone_spans(folded)
    found += _id_spans(folded)
    found += _date_spans(folded)

    # A name or a place of two words or more found once is hidden wherever else it is written
    # (one word alone, "Mai", "Do", is too often an ordinary word).
    people = {_words(text[start:end]): kind for start, end, kind in reversed(labelled + relatives)}
    for name, kind in people.items():
        if len(name.split()) >= 2:
            found += _person_spans(text, folded, name, kind)
    for place in {_words(text[start:end]) for start, end, _kind in places}:
        if len(place.split()) >= 2:
            found += _place_spans(folded, place)

    return _merge(text, found)


def redact(text: str, known: Known) -> tuple[str, list[Redaction]]:
    """``text`` with every identifying stretch replaced by a token in the active language
    ("[patient]", "[phone]"…), and the stretches replaced (positions in the original text)."""
    spans = find_identifiers(text, known)
    tokens = _tokens()
    pieces: list[str] = []
    at = 0
    for span in spans:
        pieces += [text[at : span.start], tokens[span.kind]]
        at = span.end
    pieces.append(text[at:])
    return "".join(pieces), spans


def age_band(birth: date, on: date) -> str:
    """The age band, translated, of someone born on ``birth`` as of ``on``: "< 1 month",
    "1–11 months", "1–4 years", "5–14 years", "15–24 years", "25–44 years", "45–64 years" or
    "65+ years".

    Ages are in completed months and years. A month after the 31st is the last day of a shorter
    month, and a year after 29 February is 28 February (as in ``training.rules``). Datetimes
    count by their local date. Raises ``ValueError`` if ``on`` is before ``birth``.
    """
    born, day = _local_date(birth), _local_date(on)
    if day < born:
        raise ValueError(f"The age is asked on {day}, before the birth on {born}.")
    months = (day.year - born.year) * 12 + day.month - born.month
    if _add_months(born, months) > day:
        months -= 1
    years = months // 12
    if months < 1:
        return _("< 1 month")
    if years < 1:
        return _("1–11 months")
    if years < 5:
        return _("1–4 years")
    if years < 15:
        return _("5–14 years")
    if years < 25:
        return _("15–24 years")
    if years < 45:
        return _("25–44 years")
    if years < 65:
        return _("45–64 years")
    return _("65+ years")


def relative_day(moment: date | datetime, anchor: date | datetime) -> str:
    """``moment`` as a day counted from ``anchor`` ("day 0", "day 3", "day −2"), translated, to
    stand in for an exact date. Aware datetimes count by their date in the current time zone."""
    days = (_local_date(moment) - _local_date(anchor)).days
    number = f"\u2212{-days}" if days < 0 else str(days)
    return pgettext("relative day", "day %(n)s") % {"n": number}


def _tokens() -> dict[str, str]:
    """The replacement of each kind, looked up at call time in the active language."""
    return {
        PATIENT: _("[patient]"),
        RELATIVE: _("[relative]"),
        ID: _("[ID number]"),
        PHONE: _("[phone]"),
        ADDRESS: _("[address]"),
        DATE: _("[date]"),
    }


def _local_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    return value


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- Text with its positions ------------------------------------------------------------------


@dataclass(frozen=True)
class _View:
    """A normalised copy of a text in which every character knows the stretch of the original
    it came from, so that a match in the copy maps back to the original."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original(self, start: int, end: int) -> tuple[int, int]:
        return self.starts[start], self.ends[end - 1]


def _composed(text: str) -> _View:
    """``text`` in NFC, one base character and its combining marks at a time."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.category(text[j]) == "Mn":
            j += 1
        for ch in unicodedata.normalize("NFC", text[i:j]):
            chars.append(ch)
            starts.append(i)
            ends.append(j)
        i = j
    return _View("".join(chars), tuple(starts), tuple(ends))


def _folded(view: _View) -> _View:
    """``view`` folded as ``core.text.fold`` folds (lower case, no diacritics, đ as d), one
    character at a time so that positions survive; every space is a plain space."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for k, ch in enumerate(view.text):
        for out in " " if ch.isspace() else fold(ch):
            chars.append(out)
            starts.append(view.starts[k])
            ends.append(view.ends[k])
    return _View("".join(chars), tuple(starts), tuple(ends))


# --- Words -----------------------------------------------------------------------------------

_B = r"(?<![^\W_])"  # no letter or digit just before
_E = r"(?![^\W_])"  # no letter or digit just after
_SP = r"[^\S\n]+"  # spaces within one line
_SP0 = r"[^\S\n]*"


def _forms(words: Iterable[str]) -> frozenset[str]:
    """The ways each of ``words`` may be written: with its own diacritics, or with none."""
    return frozenset(form for word in words for form in (word.casefold(), fold(word)))


def _alternation(words: Iterable[str]) -> str:
    """A regular expression for any of ``words``, as written or without diacritics (longest
    first; words within a phrase are separated by spaces)."""
    forms = sorted(_forms(words), key=len, reverse=True)
    return "|".join(_SP.join(re.escape(part) for part in form.split()) for form in forms)


def _words(text: str) -> str:
    """``text`` in NFC with single spaces, as a key for names found more than once."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _is_one_of(word: str, forms: frozenset[str]) -> bool:
    return unicodedata.normalize("NFC", word).casefold() in forms


def _char_before(text: str, start: int) -> str:
    """The character before ``start`` and the spaces or tabs just before it ("" at the start)."""
    while start > 0 and text[start - 1] in " \t":
        start -= 1
    return text[start - 1] if start > 0 else ""


def _previous_word(text: str, start: int) -> str:
    """The word just before ``start`` in the original text, without a colon after it ("bà",
    "tên"); with any other punctuation it is kept ("bà,") and so never a form of address."""
    match = re.search(r"(\S+)\s+$", text[max(0, start - 40) : start])
    return match.group(1).rstrip(":") if match else ""


_KIN = (
    "bố", "ba", "cha", "tía", "mẹ", "má", "mạ", "chồng", "vợ", "con", "cháu", "chắt", "anh",
    "chị", "em", "ông", "bà", "cụ", "cô", "chú", "bác", "dì", "cậu", "mợ", "thím", "dượng",
    "bé", "người nhà", "người thân", "người giám hộ", "người chăm sóc", "người đi cùng",
    "người liên hệ",
)  # fmt: skip
_KIN_MODIFIERS = (
    "trai", "gái", "nội", "ngoại", "đẻ", "ruột", "nuôi", "dâu", "rể", "cả", "út", "họ", "kế",
    "riêng",
)  # fmt: skip
_POSSESSORS = ("bệnh nhân", "bệnh nhi", "người bệnh", "BN")
# Forms of address, after which a name in lower case is still a name ("bà dợ").
_FORMS_OF_ADDRESS = _forms((*_KIN, *_KIN_MODIFIERS, "tên"))
_COMMON_MIDDLE = _forms(("Thị", "Văn"))

_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_GAP = re.compile(_SP)


def _shape(word: str) -> str:
    """ "title" (Mai, Páo, H'Hen), "single" (a capital alone: A, Y), "caps" (MAI) or "other"."""
    letters = [ch for ch in word if ch.isalpha()]
    if not letters or not letters[0].isupper():
        return "other"
    if len(letters) == 1:
        return "single"
    return "caps" if all(ch.isupper() for ch in letters) else "title"


def _name_at(text: str, pos: int, *, capitals: bool, limit: int = 4) -> tuple[int, int] | None:
    """The one to ``limit`` capitalised words that begin at ``pos`` on the same line, or
    ``None``. Words in capitals count only if ``capitals`` (after an explicit ":" or "là") and
    then only two or more of them: "HA", "CT" are abbreviations, not names."""
    words: list[tuple[int, int, str]] = []
    while len(words) < limit:
        match = _NAME_WORD.match(text, pos)
        if match is None:
            break
        after = text[match.end() : match.end() + 1]
        shape = _shape(match.group())
        if (after and (after.isalnum() or after == "_")) or shape == "other":
            break
        if shape == "caps" and not capitals:
            break
        words.append((match.start(), match.end(), shape))
        gap = _GAP.match(text, match.end())
        if gap is None:
            break
        pos = gap.end()
    if not words or (len(words) == 1 and words[0][2] != "title"):
        return None
    return words[0][0], words[-1][1]


# --- People ----------------------------------------------------------------------------------


def _person_spans(text: str, folded: _View, name: str, kind: str) -> list[tuple[int, int, str]]:
    """Where the person called ``name`` is named in ``text``.

    The full name and the family name with the given name match loosely (any case, diacritics
    or not). The given name, and the middle and given names together, match strictly: each word
    as written in ``name`` or without any diacritics, capitalised, or in lower case with its
    diacritics right after a form of address. Single letters, the family name alone and the
    common middle names alone never match.
    """
    parts = unicodedata.normalize("NFC", name).split()
    candidates: list[tuple[list[str], bool]] = []
    if len(parts) >= 2:
        candidates.append((parts, False))
        if len(parts) >= 3:
            candidates.append(([parts[0], parts[-1]], False))
        candidates += [(parts[i:], True) for i in range(1, len(parts) - 1)]
    if parts:
        given = parts[-1]
        if len(given) >= 2 and not _is_one_of(given, _COMMON_MIDDLE):
            candidates.append(([given], True))

    spans: list[tuple[int, int, str]] = []
    for words, strict in candidates:
        pattern = _B + " +".join(re.escape(fold(word)) for word in words) + _E
        for match in re.finditer(pattern, folded.text):
            start, end = folded.original(match.start(), match.end())
            if strict and not _written_as_name(text, start, end, words):
                continue
            spans.append((start, end, kind))
    return spans


def _written_as_name(text: str, start: int, end: int, words: list[str]) -> bool:
    """Whether ``text[start:end]``, which folds to ``words``, is written as the name.

    Each word must be as in ``words`` (any case) or bare (no diacritics at all). In lower case
    the name counts only with its diacritics and right after a form of address ("chị dợ"). A
    bare capitalised word opening a sentence of a text written with diacritics is the ordinary
    word ("Do sốt cao": because of a high fever), not the name "Dợ".
    """
    found = unicodedata.normalize("NFC", text[start:end]).split()
    if len(found) != len(words):
        return False
    exact = all(w.casefold() == n.casefold() for w, n in zip(found, words, strict=True))
    bare = all(fold(w) == w.casefold() for w in found)
    addressed = _is_one_of(_previous_word(text, start), _FORMS_OF_ADDRESS)
    if not found[0][:1].isupper():
        return exact and addressed
    if exact or addressed:
        return exact or bare
    opening = _char_before(text, start) in "\n.!?:;(-–•*\"'"  # "" (the start) is in any str
    return bare and (not opening or not _with_diacritics(text))


@functools.lru_cache(maxsize=8)
def _with_diacritics(text: str) -> bool:
    """Whether ``text`` is written with Vietnamese diacritics (one word in ten or more)."""
    words = text.split()
    marked = sum(1 for word in words if fold(word) != word.casefold())
    return marked * 10 >= len(words) > 0


_RELATIVE = re.compile(
    rf"{_B}(?:{_alternation(_KIN)})(?:{_SP}(?:{_alternation((*_KIN, *_KIN_MODIFIERS))})){{0,2}}"
    rf"(?:{_SP}(?:(?:của|cua){_SP})?(?:{_alternation(_POSSESSORS)}))?{_E}"
    rf"(?:(?P<said>{_SP0}[:\-–]{_SP0}|{_SP}(?:{_alternation(('tên là', 'tên', 'là'))})"
    rf"(?:{_SP0}:{_SP0}|{_SP}))|{_SP})",
    re.IGNORECASE,
)
_AND = re.compile(rf"{_SP0}[,;&]{_SP0}|{_SP}(?:{_alternation(('và', 'hoặc'))}){_SP}", re.IGNORECASE)
_IS = re.compile(rf"{_SP}(?:{_alternation(('tên là', 'là'))}){_SP0}:?{_SP0}", re.IGNORECASE)
_PATIENT_LABEL = re.compile(
    rf"{_B}(?:{_alternation(('họ và tên', 'họ tên', 'tên bệnh nhân', 'tên người bệnh', 'tên BN'))})"
    rf"{_SP0}:{_SP0}",
    re.IGNORECASE,
)


def _relative_spans(view: _View) -> Iterator[tuple[int, int, str]]:
    """The names after kinship words, and the names listed with them or said to be them."""
    for match in _RELATIVE.finditer(view.text):
        said = match.group("said") is not None
        name = _name_at(view.text, match.end(), capitals=said)
        while name is not None:
            yield (*view.original(*name), RELATIVE)
            joined = (_AND.match(view.text, name[1]) if said else None) or _IS.match(
                view.text, name[1]
            )
            name = _name_at(view.text, joined.end(), capitals=said) if joined else None


def _labelled_patient_spans(view: _View) -> Iterator[tuple[int, int, str]]:
    """The name after "Họ tên:", "Họ và tên:", "Tên bệnh nhân:"."""
    for match in _PATIENT_LABEL.finditer(view.text):
        name = _name_at(view.text, match.end(), capitals=True, limit=5)
        if name is not None:
            yield (*view.original(*name), PATIENT)


# --- Places ----------------------------------------------------------------------------------

_PLACE_WORDS = (
    "thôn", "bản", "buôn", "làng", "plei", "xóm", "ấp", "tổ dân phố", "tổ", "số nhà", "khu phố",
    "khu", "khóm", "đường", "phố", "ngõ", "ngách", "hẻm", "kiệt", "xã", "phường", "thị trấn",
)  # fmt: skip
_STREETS = _forms(("đường", "phố", "ngõ", "ngách", "hẻm", "kiệt"))
_UNITS = (
    "cm", "mm", "m", "km", "ml", "l", "lít", "mg", "g", "kg", "mmhg", "độ", "lần", "ngày",
    "tuần", "tháng", "năm", "tuổi", "giờ", "h", "phút", "giây", "viên", "ống", "gói", "liều",
    "người", "tiếng",
)  # fmt: skip
_PLACE = re.compile(
    rf"{_B}(?:{_alternation(_PLACE_WORDS)}){_E}(?:{_SP0}:{_SP0}|{_SP})", re.IGNORECASE
)
_HOUSE_NUMBER = r"\d+[^\W\d_]?(?:[/\-]\d+[^\W\d_]?)*"
_PLACE_NUMBER = re.compile(rf"{_HOUSE_NUMBER}{_E}")
_UNIT = re.compile(rf"{_SP0}(?:[%°‰]|(?:{_alternation(_UNITS)}){_E})", re.IGNORECASE)
_NUMBER_BEFORE = re.compile(rf"(?<![\w/.,])(?P<n>{_HOUSE_NUMBER}){_SP}$")
_HOUSE = re.compile(rf"(?<![\w/.,]){_HOUSE_NUMBER}{_SP}")
_AT = _forms(("ở", "tại", "số", "nhà"))
_ADDRESS_LABEL = re.compile(
    rf"{_B}(?:{_alternation(('địa chỉ', 'nơi ở', 'nơi cư trú', 'chỗ ở', 'trú tại', 'thường trú', 'tạm trú', 'quê quán', 'quê', 'hộ khẩu'))})"
    rf"{_SP0}:{_SP0}(?P<value>[^\n;]+?)(?={_SP0}(?:\.(?:\s|$)|[\n;]|$))",
    re.IGNORECASE,
)


def _address_spans(view: _View) -> Iterator[tuple[int, int, str]]:
    """Names and numbers after place words, house numbers, and labelled address lines."""
    text = view.text
    for match in _PLACE.finditer(text):
        if fold(_previous_word(text, match.start())) == "huyet":
            continue  # huyết áp, blood pressure, is not the hamlet (ấp)
        place = _place_words(text, match.end())
        if place is None:
            continue
        start = place[0]
        if fold(match.group().strip()) in _STREETS:
            # The house number before the street: "số 12 đường Lê Lợi".
            window = max(0, match.start() - 20)
            number = _NUMBER_BEFORE.search(text, window, match.start())
            if number is not None:
                yield (*view.original(number.start("n"), number.end("n")), ADDRESS)
        yield (*view.original(start, place[1]), ADDRESS)
    for match in _HOUSE.finditer(text):
        before = _char_before(text, match.start())
        if before not in "\n,;:(" and not _is_one_of(_previous_word(text, match.start()), _AT):
            continue  # "mạch 84 ..." is not "ở 12 Lê Lợi"
        street = _name_at(text, match.end(), capitals=False)
        if street is None or len(text[match.end() : street[1]].split()) < 2:
            continue
        yield (*view.original(match.start(), street[1]), ADDRESS)
    for match in _ADDRESS_LABEL.finditer(text):
        yield (*view.original(match.start("value"), match.end("value")), ADDRESS)


def _place_words(text: str, pos: int) -> tuple[int, int] | None:
    """The place that begins at ``pos``: capitalised words and house numbers ("Pá Hu", "A Lù",
    "5", "12/3"), up to five runs of them; a number followed by a unit ("5 cm") ends it."""
    end = pos
    for _count in range(5):
        number = _PLACE_NUMBER.match(text, end)
        if number is not None:
            if _UNIT.match(text, number.end()):
                break
            stop = number.end()
        else:
            name = _name_at(text, end, capitals=False)
            if name is None:
                break
            stop = name[1]
        gap = _GAP.match(text, stop)
        end = stop
        if gap is None:
            break
        end = gap.end()
    words = text[pos:end].split()
    if not words or (len(words) == 1 and _shape(words[0]) == "single"):
        return None
    return pos, pos + len(text[pos:end].rstrip())


def _place_spans(folded: _View, place: str) -> list[tuple[int, int, str]]:
    """Where else the place ``place`` (two words or more) is written: any case, with or without
    diacritics."""
    pattern = _B + " +".join(re.escape(fold(word)) for word in place.split()) + _E
    return [
        (*folded.original(match.start(), match.end()), ADDRESS)
        for match in re.finditer(pattern, folded.text)
    ]


# --- Numbers and dates (matched on the folded text: lower case, plain digits) ------------------


def _identifier_spans(folded: _View, identifier: str) -> list[tuple[int, int, str]]:
    """A known identifier, written with or without separators; a phone number also in its
    national (0…) and international (+84…) forms."""
    chars = [ch for ch in fold(identifier) if ch.isalnum()]
    if len(chars) < 4:
        return []
    digits = "".join(chars)
    national = None  # a phone number as dialled in Vietnam: 0 and 9 or 10 digits
    if digits.isdigit():
        if digits.startswith("0") and len(digits) in (10, 11):
            national = digits
        elif digits.startswith("840") and len(digits) in (12, 13):
            national = digits[2:]  # "+84 0912…", the trunk 0 kept by mistake
        elif digits.startswith("84") and len(digits) in (11, 12):
            national = "0" + digits[2:]
    variants = {digits}
    kind = ID
    if national is not None:
        variants |= {national, "84" + national[1:]}
        kind = PHONE
    spans = []
    for variant in variants:
        pattern = r"(?<![^\W_+])\+?" + r"[ .\-/]?".join(re.escape(ch) for ch in variant) + _E
        spans += [
            (*folded.original(m.start(), m.end()), kind) for m in re.finditer(pattern, folded.text)
        ]
    return spans


_PHONE = re.compile(
    r"(?<![\w+(])(?:\(?\+ ?84\)?|\(?0084\)?|\(84\)|84|\(?0)"
    r"[ .\-]?(?P<rest>\d{1,4}\)?(?:[ .\-]?\d{2,4}|\d)*)"
)


def _phone_spans(folded: _View) -> Iterator[tuple[int, int, str]]:
    """Vietnamese phone numbers: the digits after 0 or +84 are a mobile number (9 digits,
    starting 3, 5, 7, 8 or 9) or a landline (10 digits, starting 2), in groups of 2 to 4."""
    for match in _PHONE.finditer(folded.text):
        rest = match.group("rest")
        first = rest[:1]
        if first not in "235789":
            continue
        wanted = 10 if first == "2" else 9
        count = 0
        for group in re.finditer(r"\d+", rest):
            count += len(group.group())
            if count == wanted:
                end = match.start("rest") + group.end()
                yield (*folded.original(match.start(), end), PHONE)
                break
            if count > wanted:
                break


_ID_PATTERNS = (
    # Health insurance (BHYT): two letters and 13 digits, e.g. DN4010123456789, DN 401 0123456789.
    re.compile(r"(?<![^\W_])[a-z]{2}[ .\-]?\d(?:[ .\-]?\d){12}(?!\d)"),
    # Citizen ID (CCCD) in groups: 001 234 567 890, 0012 3456 7890.
    re.compile(r"(?<![\d.,])\d{3}(?P<g>[ .\-])\d{3}(?P=g)\d{3}(?P=g)\d{3}(?!\d)"),
    re.compile(r"(?<![\d.,])\d{4}(?P<g>[ .\-])\d{4}(?P=g)\d{4}(?!\d)"),
    # Any other run of 9 to 15 digits: CCCD, CMND, social insurance, record numbers.
    re.compile(r"(?<!\d)(?<!\d[.,])\d{9,15}(?!\d)"),
)


def _id_spans(folded: _View) -> Iterator[tuple[int, int, str]]:
    for pattern in _ID_PATTERNS:
        for match in pattern.finditer(folded.text):
            yield (*folded.original(match.start(), match.end()), ID)


_D = r"(?:0?[1-9]|[12]\d|3[01])"
_M = r"(?:0?[1-9]|1[0-2])"
_DATE_PATTERNS = (
    # 03/05/2026, 3-5-2026, 3.5.26: the same separator twice.
    re.compile(rf"(?<![\d/.\-]){_D}(?P<s>[/.\-]){_M}(?P=s)(?:\d{{4}}|\d{{2}})(?!\d|[/.\-]\d)"),
    # 2026-05-03
    re.compile(rf"(?<![\d/.\-])(?:1[89]|20)\d\d(?P<s>[/.\-]){_M}(?P=s){_D}(?!\d|[/.\-]\d)"),
    # ngày 3 tháng 5 (năm 2026), mùng 3 tháng 5; 3 tháng 5 năm 2026
    re.compile(
        rf"{_B}(?:ngay|mung|mong) +{_D} +thang +{_M}(?: *,? *nam +\d{{4}})?(?!\d)"
        rf"|{_B}{_D} +thang +{_M} *,? *nam +\d{{4}}(?!\d)"
    ),
)
_DAY_MONTH = re.compile(rf"(?<![\d/.\-])(?P<d>{_D})/(?P<m>{_M})(?!\d|/\d)")
_DATE_WORD = re.compile(
    r"(?<![^\W_])(?:ngay|hom|tu|den|toi|sang|trua|chieu|dem|mung|mong|vao|luc) *$"
)
_FRACTION_OF = re.compile(r" *(?:vien|ong|goi|lieu|diem|lan|ml|mg|g|chai|vi|muong|cup)(?![^\W_])")


def _date_spans(folded: _View) -> Iterator[tuple[int, int, str]]:
    """Exact dates. A day/month without a year is a date after a date word ("ngày 3/5", "từ
    3/5") or when both are written with two digits ("03/05"), unless a dose or score follows."""
    text = folded.text
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            yield (*folded.original(match.start(), match.end()), DATE)
    for match in _DAY_MONTH.finditer(text):
        after_word = _DATE_WORD.search(text[max(0, match.start() - 12) : match.start()])
        padded = len(match.group("d")) == 2 and len(match.group("m")) == 2
        if after_word or (padded and not _FRACTION_OF.match(text, match.end())):
            yield (*folded.original(match.start(), match.end()), DATE)


# --- Merging -----------------------------------------------------------------------------------


def _merge(text: str, found: Iterable[tuple[int, int, str]]) -> list[Redaction]:
    """Sorted, non-overlapping spans: overlapping ones become one, of the kind first in
    ``_PRIORITY``."""
    merged: list[tuple[int, int, str]] = []
    for start, end, kind in sorted(found):
        if start >= end:
            continue
        if merged and start < merged[-1][1]:
            last_start, last_end, last_kind = merged[-1]
            best = kind if _PRIORITY[kind] < _PRIORITY[last_kind] else last_kind
            merged[-1] = (last_start, max(last_end, end), best)
        else:
            merged.append((start, end, kind))
    return [Redaction(start, end, kind, text[start:end]) for start, end, kind in merged]
