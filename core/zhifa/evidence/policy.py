"""Upload policies: what a department accepts as evidence — a maximum size and a list of file
types, each type checked both by the file's extension and by its leading bytes, so that a program
renamed ``照片.jpg`` is refused.

A department's policy is the JSON ``{"max_bytes": N, "types": ["pdf", …]}`` kept in the
``settings`` table under ``evidence.policy.<DEPT>``; a department without one has
:data:`DEFAULT`. Setting one is an administrative act (the command checks the administrator);
:func:`set_policy` only writes it.

How the contents are recognised (:data:`KINDS`): images, PDF, audio and video by their signatures
(the ``filetype`` library); Word and Excel 2007+ files and OFD (GB/T 33190) by the parts the ZIP
container must hold; Word and Excel 97–2003 files by the compound-file header; plain text as
UTF-8 or GB 18030 without control characters; a ZIP archive as a readable ZIP.
"""

from __future__ import annotations

import io
import json
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import cast

import filetype  # type: ignore[import-untyped]
import sqlalchemy as sa

from zhifa.errors import InputError, NotFoundError
from zhifa.store.tables import Department, Setting

MB = 1024 * 1024
"""One megabyte as policies count it (2**20 bytes)."""

MAX_MB = 1024
"""The largest limit a policy may set: a file is read whole, into memory, to be hashed."""

SETTINGS_PREFIX = "evidence.policy."

_SIGNATURE_BYTES = 8192
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _signature(ext: str) -> Callable[[bytes], bool]:
    matcher = filetype.get_type(ext=ext)
    if matcher is None:  # pragma: no cover - a misspelt table entry fails every test
        raise LookupError(ext)
    return lambda data: bool(matcher.match(data[:_SIGNATURE_BYTES]))


def _zip_parts(data: bytes) -> set[str] | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None


def _ooxml(part: str) -> Callable[[bytes], bool]:
    def match(data: bytes) -> bool:
        parts = _zip_parts(data) if data[:4] == b"PK\x03\x04" else None
        return parts is not None and "[Content_Types].xml" in parts and part in parts

    return match


def _ofd(data: bytes) -> bool:
    parts = _zip_parts(data) if data[:4] == b"PK\x03\x04" else None
    return parts is not None and "OFD.xml" in parts


def _zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06") and _zip_parts(data) is not None


def _ole2(data: bytes) -> bool:
    return data[:8] == _OLE2


_TEXT_CONTROLS = {"\t", "\n", "\r", "\f"}


def _text(data: bytes) -> bool:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return not any(unicodedata.category(c) == "Cc" and c not in _TEXT_CONTROLS for c in text)
    return False


@dataclass(frozen=True, slots=True)
class Kind:
    """A file type a policy may allow: its media type, what it is, and how its bytes are known."""

    media_type: str
    label: str
    matches: Callable[[bytes], bool]


KINDS: dict[str, Kind] = {
    "pdf": Kind("application/pdf", "PDF", _signature("pdf")),
    "ofd": Kind("application/ofd", "OFD 版式文件", _ofd),
    "jpg": Kind("image/jpeg", "JPEG image", _signature("jpg")),
    "jpeg": Kind("image/jpeg", "JPEG image", _signature("jpg")),
    "png": Kind("image/png", "PNG image", _signature("png")),
    "tif": Kind("image/tiff", "TIFF image", _signature("tif")),
    "tiff": Kind("image/tiff", "TIFF image", _signature("tif")),
    "heic": Kind("image/heic", "HEIC image", _signature("heic")),
    "doc": Kind("application/msword", "Word 97-2003 document", _ole2),
    "docx": Kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word document",
        _ooxml("word/document.xml"),
    ),
    "xls": Kind("application/vnd.ms-excel", "Excel 97-2003 workbook", _ole2),
    "xlsx": Kind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel workbook",
        _ooxml("xl/workbook.xml"),
    ),
    "mp3": Kind("audio/mpeg", "MP3 audio", _signature("mp3")),
    "m4a": Kind("audio/mp4", "M4A audio", _signature("m4a")),
    "wav": Kind("audio/wav", "WAV audio", _signature("wav")),
    "mp4": Kind("video/mp4", "MP4 video", _signature("mp4")),
    "mov": Kind("video/quicktime", "QuickTime video", _signature("mov")),
    "txt": Kind("text/plain", "plain text", _text),
    "zip": Kind("application/zip", "ZIP archive", _zip),
}
"""Every type a policy may allow, by extension (lower case, without the dot)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """What a department accepts as evidence: files of at most ``max_bytes`` bytes, of
    ``types``."""

    max_bytes: int
    types: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "max_bytes": self.max_bytes,
            "max_mb": self.max_bytes / MB,
            "types": list(self.types),
        }


DEFAULT = Policy(
    max_bytes=50 * MB,
    types=("pdf", "ofd", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx", "mp3", "mp4", "txt"),
)
"""The policy of a department that has set none: 50 MB (a scanned file of a few hundred pages, or
some minutes of a phone's video) and the documents, photos, recordings and videos of an ordinary
case file. ZIP archives are left out because a type check cannot see what they hold."""


def _key(department: str) -> str:
    return f"{SETTINGS_PREFIX}{department}"


def policy_of(conn: sa.Connection, department: str) -> Policy:
    """The policy ``department`` has set, else :data:`DEFAULT`."""
    raw = conn.scalar(sa.select(Setting.value).where(Setting.key == _key(department)))
    if raw is None:
        return DEFAULT
    try:
        value = json.loads(raw)
        max_bytes = int(value["max_bytes"])
        types = tuple(str(t) for t in value["types"])
    except (ValueError, TypeError, KeyError):
        raise InputError(
            f"the evidence policy of department {department} in the settings table is not "
            f"readable; set it again with `zhifa evidence policy {department} --max-mb N "
            "--types pdf,jpg`"
        ) from None
    return Policy(max_bytes, types)


def parse_types(text: str) -> tuple[str, ...]:
    """``pdf, .JPG,png`` as ``("pdf", "jpg", "png")``; an unknown or empty list is refused."""
    types = tuple(dict.fromkeys(t.strip().lower().lstrip(".") for t in text.split(",")))
    types = tuple(t for t in types if t)
    if not types:
        raise InputError(
            "--types names no file type; give a comma-separated list such as pdf,jpg,png"
        )
    unknown = [t for t in types if t not in KINDS]
    if unknown:
        raise InputError(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not a file type zhifa "
            f"can recognise; choose among {', '.join(KINDS)}"
        )
    return types


def set_policy(
    conn: sa.Connection,
    department: str,
    *,
    max_mb: int | None = None,
    types: Sequence[str] | None = None,
) -> Policy:
    """Set ``department``'s policy (what is not given stays as it was) in the caller's
    transaction, and return it."""
    if conn.scalar(sa.select(Department.code).where(Department.code == department)) is None:
        raise NotFoundError(
            f"department {department!r} does not exist; `zhifa dept list` shows the codes"
        )
    if max_mb is not None and not 1 <= max_mb <= MAX_MB:
        raise InputError(
            f"--max-mb must be from 1 to {MAX_MB} (a file is read whole to be hashed), got "
            f"{max_mb}; e.g. --max-mb 50"
        )
    chosen = parse_types(",".join(types)) if types is not None else None
    current = policy_of(conn, department)
    policy = Policy(
        max_mb * MB if max_mb is not None else current.max_bytes,
        chosen if chosen is not None else current.types,
    )
    table = cast(sa.Table, Setting.__table__)
    conn.execute(sa.delete(table).where(table.c.key == _key(department)))
    conn.execute(
        sa.insert(table).values(
            key=_key(department),
            value=json.dumps({"max_bytes": policy.max_bytes, "types": list(policy.types)}),
        )
    )
    return policy


_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def clean_name(name: str) -> str:
    """The file's own name: ``name`` without any directories (``/`` or ``\\``) before it. An
    empty name, or one with control or text-direction characters (which can make
    ``exe.jpg`` read as ``gpj.exe``), is refused."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if base in ("", ".", ".."):
        raise InputError(
            f"the file name {name!r} names no file; give the file's own name, e.g. 现场照片.jpg"
        )
    if any(unicodedata.category(c) == "Cc" or c in _BIDI for c in base):
        raise InputError(
            f"the file name {name!r} holds control or text-direction characters, which can "
            "disguise what the file is; rename the file with plain characters"
        )
    return base


def _size(n: int) -> str:
    return f"{n / MB:g} MB ({n:,} bytes)"


def check(conn: sa.Connection, department: str, name: str, data: bytes) -> str:
    """The media type of the file ``name`` holding ``data`` when ``department``'s policy accepts
    it as evidence; else :class:`InputError` saying why and what to do."""
    base = clean_name(name)
    policy = policy_of(conn, department)
    if not data:
        raise InputError(
            f"{base} is empty (0 bytes), so it proves nothing; attach the file itself, not an "
            "empty copy"
        )
    if len(data) > policy.max_bytes:
        raise InputError(
            f"{base} is {_size(len(data))}, more than the {_size(policy.max_bytes)} department "
            f"{department} accepts as evidence; compress or split it, or have an administrator "
            f"raise the limit with `zhifa evidence policy {department} --max-mb N`"
        )
    stem, dot, ext = base.rpartition(".")
    ext = ext.lower() if dot and stem else ""
    if ext not in policy.types or ext not in KINDS:
        shown = f".{ext} files" if ext else "files without an extension"
        raise InputError(
            f"department {department} does not accept {shown} as evidence ({base}); convert it "
            f"to one of {', '.join(policy.types)}, or have an administrator add the type with "
            f"`zhifa evidence policy {department} --types …`"
        )
    kind = KINDS[ext]
    if not kind.matches(data):
        raise InputError(
            f"{base} is named .{ext} but its contents are not a {kind.label}, so it is refused "
            "(a renamed file of another type); attach the original file under its true "
            "extension"
        )
    return kind.media_type
