"""Reading a list of Vietnamese ICD-10 titles from a CSV file, such as the Ministry of Health's
list (QĐ 4469/QĐ-BYT) saved from Excel.

Accepted: UTF-8 with or without a byte-order mark (or UTF-16 with one: Excel's "Unicode text");
``;``, ``,``, tab or ``|`` between columns, detected; lines starting with ``#`` are comments.
Columns, if the first row is a header (it has no ICD code in it):

- ``code`` and ``title_vi``, or ``Mã`` and ``Tên`` (any case, with or without diacritics);
- or the Ministry's wide layout, where each ``Mã X`` column is paired with its ``Tên X`` column
  (``Mã chương``/``Tên chương``, ``Mã nhóm chính``/``Tên nhóm chính``, ``Mã loại``/``Tên loại``,
  ``Mã bệnh``/``Tên bệnh``), so one row names a chapter, a block, a category and a code.

Without a header, the first column is the code and the second the title. Codes are read as
``A09``, ``a09.0``, ``A090``, ``A17.0†``, ``G01*``; chapters as ``I``…``XXII`` or ``Chương I``
or their range (``A00-B99``); blocks as ``A00-A09``.

Nothing here touches the database: ``read_vi_titles`` returns the rows and the line numbers of
the bad ones; ``caunoi.codes.services.icd_titles_vi_import`` resolves and stores them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from caunoi.core.text import fold

DELIMITERS = (";", "\t", ",", "|")
MAX_TITLE = 300

_CATEGORY = re.compile(r"^[A-Z]\d{2}(\.\d{1,2})?$")
_NO_DOT = re.compile(r"^([A-Z]\d{2})(\d{1,2})$")
_RANGE = re.compile(r"^[A-Z]\d{2}-[A-Z]\d{2}$")
_ROMAN = re.compile(r"^(X{0,2})(IX|IV|V?I{0,3})$")
_MARKS = str.maketrans("", "", "†‡*+!")
_SPACES = re.compile(r"\s+")


class ViListError(ValueError):
    """The file cannot be read at all (encoding, columns)."""


@dataclass(frozen=True)
class ViTitleRow:
    line: int
    code: str
    title: str


@dataclass
class ViTitleFile:
    rows: list[ViTitleRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    delimiter: str = ";"
    header: list[str] = field(default_factory=list)
    pairs: list[tuple[int, int]] = field(default_factory=list)


def normalize_code(raw: str) -> str:
    """``" a17.0† "`` → ``A17.0``; ``A000`` → ``A00.0``; ``Chương IX`` → ``IX``; ranges kept."""
    code = fold(raw).upper().translate(_MARKS).replace(" ", "")
    code = code.removeprefix("CHUONG")
    code = code.replace("–", "-").replace("—", "-")
    if m := _NO_DOT.match(code):
        code = f"{m[1]}.{m[2]}"
    return code


def looks_like_code(raw: str) -> bool:
    code = normalize_code(raw)
    if not code:
        return False
    return bool(_CATEGORY.match(code) or _RANGE.match(code) or _ROMAN.match(code))


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ViListError(
                f"not UTF-8 (byte {exc.start + 1}): save the file as 'CSV UTF-8' and try again"
            ) from exc
    # Titles typed on some systems arrive decomposed (NFD); store them composed like the rest.
    return unicodedata.normalize("NFC", text)


def _sample(text: str) -> str:
    lines = [
        line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    ]
    return "\n".join(lines[:30])


def _delimiter(sample: str) -> str:
    """The delimiter that splits the first rows into the same number (≥ 2) of columns most often."""
    best, best_score = ";", (-1, -1)
    for d in DELIMITERS:
        counts = [len(r) for r in csv.reader(io.StringIO(sample), delimiter=d) if r]
        split = [c for c in counts if c >= 2]
        steady = Counter(split).most_common(1)[0][1] if split else 0
        score = (steady, len(split))
        if score > best_score:
            best, best_score = d, score
    return best


def _column_name(cell: str) -> str:
    return _SPACES.sub(" ", re.sub(r"[_\-/().:\[\]]", " ", fold(cell))).strip()


def _pairs(header: list[str]) -> list[tuple[int, int]]:
    """(code column, title column) pairs from a header row: ``Mã X`` goes with ``Tên X``;
    ``code``/``Mã``/``ICD-10`` with ``title_vi``/``Tên``/``Tên tiếng Việt``. English title
    columns (``Disease name``, ``title_en``, ``Tên tiếng Anh``) are left alone."""
    codes: dict[str, int] = {}
    titles: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = _column_name(cell)
        first, _sep, rest = name.partition(" ")
        if first in ("code", "icd", "icd10") or (first == "ma" and rest.startswith("icd")):
            codes.setdefault("", i)
        elif first == "ma":
            codes.setdefault(rest, i)
        elif name in ("title vi", "title", "vietnamese", "tieng viet"):
            titles.setdefault("", i)
        elif first == "ten" and not rest.endswith(("tieng anh", "english")):
            titles.setdefault(rest.removesuffix("tieng viet").strip(), i)
    pairs = [(codes[s], titles[s]) for s in codes if s in titles]
    if not pairs and len(codes) == 1 and len(titles) == 1:
        pairs = [(next(iter(codes.values())), next(iter(titles.values())))]
    return pairs


def read_vi_titles(data: bytes) -> ViTitleFile:
    """Rows of (line, code, title) and the bad rows, each named by its line number."""
    text = _decode(data)
    sample = _sample(text)
    if not sample:
        raise ViListError("the file has no rows")
    result = ViTitleFile(delimiter=_delimiter(sample))
    reader = csv.reader(io.StringIO(text), delimiter=result.delimiter)
    seen: dict[str, ViTitleRow] = {}
    end = 0
    for cells in reader:
        # A quoted cell may span lines: a row starts on the line after the previous row ended.
        number, end = end + 1, reader.line_num
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if not result.pairs:
            if not any(looks_like_code(cell) for cell in cells):
                result.header = cells
                result.pairs = _pairs(cells)
                if not result.pairs:
                    raise ViListError(
                        f"line {number}: no code and Vietnamese title columns in the header "
                        f"({', '.join(cells)}); name them 'code' and 'title_vi' (or 'Mã' and "
                        "'Tên')"
                    )
                continue
            if len(cells) < 2:
                raise ViListError(f"line {number}: one column only; need a code and a title")
            result.pairs = [(0, 1)]
        for code_col, title_col in result.pairs:
            raw_code = cells[code_col] if code_col < len(cells) else ""
            raw_title = cells[title_col] if title_col < len(cells) else ""
            title = _SPACES.sub(" ", raw_title).strip()
            if not raw_code.strip() and not title:
                continue
            error = _row_error(raw_code, title)
            if error:
                result.errors.append(f"line {number}: {error}")
                continue
            code = normalize_code(raw_code)
            before = seen.get(code)
            if before is None:
                row = ViTitleRow(line=number, code=code, title=title)
                seen[code] = row
                result.rows.append(row)
            elif before.title != title:
                result.errors.append(
                    f"line {number}: {code} already has another title on line {before.line}"
                )
    return result


def _row_error(raw_code: str, title: str) -> str:
    if not raw_code.strip():
        return "a title without a code"
    if not looks_like_code(raw_code):
        return f"{raw_code.strip()!r} is not an ICD-10 code"
    if not title:
        return f"{normalize_code(raw_code)} has no title"
    if len(title) > MAX_TITLE:
        return f"{normalize_code(raw_code)}: title longer than {MAX_TITLE} characters"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in title):
        return f"{normalize_code(raw_code)}: control characters in the title"
    return ""
