"""The text encodings spreadsheets and Windows tools write: UTF-8 (with or without a byte-order mark), UTF-16
with a byte-order mark (Excel's "Unicode text"), and single-byte Windows-1252 / Latin-1 (older Excel and
Windows tools in Western Europe: ``Température``, ``très bien``). Read as UTF-8, a Windows-1252 file was
refused as corrupt (series) or had every accented word replaced by a U+FFFD mark (texts)."""

from __future__ import annotations

import codecs
import gzip
import re
from pathlib import Path

from ..errors import DataError

# A valid multi-byte UTF-8 sequence: a file holding one is UTF-8 (with some damaged bytes), not single-byte.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def decode(raw: bytes) -> tuple[str | None, str]:
    """``(text, encoding)``. ``text`` is None for bytes that are UTF-8 with some invalid bytes (the caller
    repairs those lines or refuses the file; ``encoding`` is then ``"UTF-8"``)."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            return None, "UTF-16"
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_MULTIBYTE.search(raw):
        return None, "UTF-8"
    try:
        return raw.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:  # five bytes Windows-1252 leaves undefined; Latin-1 defines every byte
        return raw.decode("latin-1"), "Latin-1"


def read_file_text(path: Path, *, repair: bool = False) -> tuple[str, str, list[int]]:
    """``(text, encoding, repaired lines)`` of a file (gzip-compressed or not) in UTF-8, UTF-16 or Windows-1252,
    with ``\n`` line ends. A UTF-8 file with damaged bytes is refused naming the first, or with ``repair`` has
    those lines decoded with U+FFFD marks and listed (1-based)."""
    raw = path.read_bytes()
    if path.suffix.lower() == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
            raise DataError(f"{path}: not a readable gzip file ({exc}); is it truncated or corrupt?") from None
    text, encoding = decode(raw)
    repaired: list[int] = []
    if text is None and not repair:
        where = first_invalid_utf8(raw) if encoding == "UTF-8" else "a broken character"
        raise DataError(f"{path}: is not valid {encoding} ({where}); save it as UTF-8")
    if text is None:
        fixed = []
        for i, line in enumerate(raw.split(b"\n")):
            try:
                fixed.append(line.decode("utf-8"))
            except UnicodeDecodeError:
                repaired.append(i + 1)
                fixed.append(line.decode("utf-8", errors="replace"))
        text = "\n".join(fixed)
    return universal_newlines(text), encoding, repaired


def universal_newlines(text: str) -> str:
    """Windows (CRLF) and classic Mac (CR, "CSV (Macintosh)" from Excel) line ends as ``\n``, as ``open()`` reads
    text files."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def header_delimiter(text: str, suffix: str) -> str:
    """The delimiter of a table of texts or file paths: tab for .tsv; otherwise a comma, unless the header line has
    no comma and splits on ';' or a tab (Excel's CSV in much of Europe). The header decides: the cells below it
    may hold any of these characters."""
    if suffix.lower() == ".tsv":
        return "\t"
    header = next((line for line in text.splitlines() if line.strip()), "")
    if "," not in header:
        for sep in (";", "\t"):
            if len(header.split(sep)) > 1:
                return sep
    return ","


def first_invalid_utf8(raw: bytes) -> str:
    """Where decoding as UTF-8 first fails, as ``"byte 0xe9 on line 3"``."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return f"byte 0x{raw[exc.start]:02x} on line {line}"
    return "nowhere"


def leading_comments(text: str) -> tuple[str, int]:
    """``(text, n)``: the text without the lines starting with ``#`` before the first data or header line, which
    instruments and lab tools write (``# exported from ...``, ``# units: mV``). Read as rows, they failed as
    "rows have inconsistent numbers of fields"."""
    lines = text.split("\n")
    n = 0
    while n < len(lines) and (lines[n].lstrip().startswith("#") or (not lines[n].strip() and n < len(lines) - 1
                                                                    and lines[n + 1].lstrip().startswith("#"))):
        n += 1
    comments = sum(1 for line in lines[:n] if line.strip())
    if not comments:
        return text, 0
    last, first = lines[n - 1].lstrip().lstrip("#").strip(), lines[n] if n < len(lines) else ""
    if any(last.count(sep) == first.count(sep) > 0 for sep in (",", "\t", ";", "|")):
        # numpy.savetxt(header=...) writes the header as "# t0,t1,...": a header, not a comment
        return "\n".join([last, *lines[n:]]), comments - 1
    return "\n".join(lines[n:]), comments


def head_text(path: Path, size: int = 256 * 1024) -> str:
    """The start of a table file (its first ``size`` bytes, gzip-compressed or not) as text: decoded as
    :func:`read_file_text` decodes (damaged bytes replaced), ``\n`` line ends, the comment lines above the header left
    out. Enough to tell what a file holds without reading all of it; its last line may be cut off."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read(size)
    except (OSError, EOFError) as exc:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot be read ({exc})") from None
    text = decode(raw)[0] or raw.decode("utf-8", errors="replace")
    return leading_comments(universal_newlines(text))[0]
