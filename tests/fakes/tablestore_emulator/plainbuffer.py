"""Tablestore's PlainBuffer row format, read and written from its published layout.

Written here from the wire format rather than borrowed from the SDK, so that a request the
SDK encodes wrongly (a bad checksum, a truncated cell) fails here as it would on the service,
and a response built here goes through the SDK's own decoders unchanged.

A row is ``header? ROW_PK cell* [ROW_DATA cell*] [DELETE_MARKER] ROW_CHECKSUM crc``; a cell
is ``CELL CELL_NAME len name [CELL_VALUE len type payload] [CELL_TYPE op] [CELL_TIMESTAMP
ts] CELL_CHECKSUM crc``. Checksums are CRC-8 (polynomial 0x07) over the name, the value, the
timestamp and then the op; a row's over its cells' checksums and the delete marker.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Any

HEADER = 0x75
TAG_ROW_PK = 0x1
TAG_ROW_DATA = 0x2
TAG_CELL = 0x3
TAG_CELL_NAME = 0x4
TAG_CELL_VALUE = 0x5
TAG_CELL_TYPE = 0x6
TAG_CELL_TIMESTAMP = 0x7
TAG_DELETE_ROW_MARKER = 0x8
TAG_ROW_CHECKSUM = 0x9
TAG_CELL_CHECKSUM = 0xA

VT_INTEGER = 0x0
VT_DOUBLE = 0x1
VT_BOOLEAN = 0x2
VT_STRING = 0x3
VT_BLOB = 0x7
VT_INF_MIN = 0x9
VT_INF_MAX = 0xA
VT_AUTO_INCREMENT = 0xB

OP_DELETE_ALL_VERSIONS = 0x1
OP_DELETE_ONE_VERSION = 0x3
OP_INCREMENT = 0x4


class Infinity:
    """A range bound below (``INF_MIN``) or above (``INF_MAX``) every value."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


INF_MIN = Infinity("INF_MIN")
INF_MAX = Infinity("INF_MAX")
AUTO_INCREMENT = Infinity("AUTO_INCREMENT")


class PlainBufferError(ValueError):
    """The bytes are not a well-formed PlainBuffer row."""


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
        table.append(crc)
    return table


_CRC8 = _crc_table()


def crc_bytes(crc: int, data: bytes) -> int:
    """CRC-8 of ``data`` continuing from ``crc``."""
    for byte in data:
        crc = _CRC8[(crc ^ byte) & 0xFF]
    return crc


def crc_int(crc: int, value: int, size: int) -> int:
    """CRC-8 of the ``size``-byte little-endian form of ``value``."""
    return crc_bytes(crc, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))


@dataclass
class Cell:
    """One cell of a row: ``op`` is ``None`` for a put, else an ``OP_*`` code."""

    name: str
    value: Any = None
    has_value: bool = False
    op: int | None = None
    timestamp: int | None = None


@dataclass
class DecodedRow:
    """A row as the request carried it."""

    primary_key: list[tuple[str, Any]]
    cells: list[Cell] = field(default_factory=list)
    delete_marker: bool = False


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise PlainBufferError("truncated PlainBuffer")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def int32(self) -> int:
        return int(struct.unpack("<i", self.take(4))[0])

    def int64(self) -> int:
        return int(struct.unpack("<q", self.take(8))[0])

    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def expect(self, tag: int) -> None:
        found = self.byte()
        if found != tag:
            raise PlainBufferError(f"expected tag {tag:#x}, found {found:#x}")

    def done(self) -> bool:
        return self.pos == len(self.data)


def read_value(reader: _Reader) -> tuple[Any, int, bytes]:
    """Read ``type payload``; return the value, its type and the bytes the checksum covers."""
    kind = reader.byte()
    if kind == VT_INTEGER:
        raw = reader.take(8)
        return struct.unpack("<q", raw)[0], kind, raw
    if kind == VT_DOUBLE:
        raw = reader.take(8)
        return struct.unpack("<d", raw)[0], kind, raw
    if kind == VT_BOOLEAN:
        raw = reader.take(1)
        return raw != b"\x00", kind, bytes([1 if raw != b"\x00" else 0])
    if kind in (VT_STRING, VT_BLOB):
        size_raw = reader.take(4)
        size = struct.unpack("<i", size_raw)[0]
        raw = reader.take(size)
        if kind == VT_BLOB:
            return bytearray(raw), kind, size_raw + raw
        try:
            return raw.decode("utf-8"), kind, size_raw + raw
        except UnicodeDecodeError as exc:
            raise PlainBufferError("a string value is not UTF-8") from exc
    if kind in (VT_INF_MIN, VT_INF_MAX, VT_AUTO_INCREMENT):
        return {VT_INF_MIN: INF_MIN, VT_INF_MAX: INF_MAX}.get(kind, AUTO_INCREMENT), kind, b""
    raise PlainBufferError(f"unknown value type {kind:#x}")


def decode_value(data: bytes) -> Any:
    """A value serialised on its own (``type payload``), as in a column condition."""
    reader = _Reader(data)
    value, _, _ = read_value(reader)
    if not reader.done():
        raise PlainBufferError("trailing bytes after a value")
    return value


def _read_cell(reader: _Reader, *, primary_key: bool) -> tuple[Cell, int]:
    reader.expect(TAG_CELL)
    reader.expect(TAG_CELL_NAME)
    name_raw = reader.take(reader.int32())
    try:
        cell = Cell(name_raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PlainBufferError("a column name is not UTF-8") from exc
    crc = crc_bytes(0, name_raw)
    if reader.peek() == TAG_CELL_VALUE:
        reader.byte()
        length = reader.int32()
        start = reader.pos
        cell.value, kind, covered = read_value(reader)
        if reader.pos - start != length:
            raise PlainBufferError(f"cell {cell.name!r}: value length {length} is wrong")
        cell.has_value = True
        crc = crc_bytes(crc_int(crc, kind, 1), covered)
    elif primary_key:
        raise PlainBufferError(f"primary-key cell {cell.name!r} has no value")
    if not primary_key and reader.peek() == TAG_CELL_TYPE:
        reader.byte()
        cell.op = reader.byte()
    if not primary_key and reader.peek() == TAG_CELL_TIMESTAMP:
        reader.byte()
        cell.timestamp = reader.int64()
        crc = crc_int(crc, cell.timestamp, 8)
    if cell.op is not None:
        crc = crc_int(crc, cell.op, 1)
    reader.expect(TAG_CELL_CHECKSUM)
    if reader.byte() != crc:
        raise PlainBufferError(f"cell {cell.name!r}: checksum mismatch")
    return cell, crc


def _read_row(reader: _Reader) -> DecodedRow:
    reader.expect(TAG_ROW_PK)
    row = DecodedRow([])
    row_crc = 0
    while reader.peek() == TAG_CELL:
        cell, crc = _read_cell(reader, primary_key=True)
        row.primary_key.append((cell.name, cell.value))
        row_crc = crc_int(row_crc, crc, 1)
    if reader.peek() == TAG_ROW_DATA:
        reader.byte()
        while reader.peek() == TAG_CELL:
            cell, crc = _read_cell(reader, primary_key=False)
            row.cells.append(cell)
            row_crc = crc_int(row_crc, crc, 1)
    if reader.peek() == TAG_DELETE_ROW_MARKER:
        reader.byte()
        row.delete_marker = True
    row_crc = crc_int(row_crc, 1 if row.delete_marker else 0, 1)
    reader.expect(TAG_ROW_CHECKSUM)
    if reader.byte() != row_crc:
        raise PlainBufferError("row checksum mismatch")
    return row


def decode_row(data: bytes) -> DecodedRow:
    """One row with its header, as a request's ``row`` / ``primary_key`` field holds it."""
    reader = _Reader(data)
    if reader.int32() != HEADER:
        raise PlainBufferError("bad PlainBuffer header")
    row = _read_row(reader)
    if not reader.done():
        raise PlainBufferError("trailing bytes after the row")
    return row


class _Writer:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def raw(self, data: bytes) -> None:
        self.parts.append(data)

    def tag(self, tag: int) -> None:
        self.parts.append(bytes([tag]))

    def int32(self, value: int) -> None:
        self.parts.append(struct.pack("<i", value))

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _value_bytes(value: Any) -> tuple[int, bytes]:
    """The type byte and the payload of a stored value."""
    if isinstance(value, bool):
        return VT_BOOLEAN, b"\x01" if value else b"\x00"
    if isinstance(value, int):
        return VT_INTEGER, struct.pack("<q", value)
    if isinstance(value, float):
        return VT_DOUBLE, struct.pack("<d", value)
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return VT_STRING, struct.pack("<i", len(encoded)) + encoded
    if isinstance(value, (bytes, bytearray)):
        return VT_BLOB, struct.pack("<i", len(value)) + bytes(value)
    raise TypeError(f"cannot store {type(value).__name__}")


def _write_cell(out: _Writer, name: str, value: Any, timestamp: int | None) -> int:
    encoded_name = name.encode("utf-8")
    out.tag(TAG_CELL)
    out.tag(TAG_CELL_NAME)
    out.int32(len(encoded_name))
    out.raw(encoded_name)
    kind, payload = _value_bytes(value)
    out.tag(TAG_CELL_VALUE)
    out.int32(1 + len(payload))
    out.raw(bytes([kind]) + payload)
    crc = crc_bytes(crc_int(crc_bytes(0, encoded_name), kind, 1), payload)
    if timestamp is not None:
        out.tag(TAG_CELL_TIMESTAMP)
        out.raw(struct.pack("<q", timestamp))
        crc = crc_int(crc, timestamp, 8)
    out.tag(TAG_CELL_CHECKSUM)
    out.raw(bytes([crc]))
    return crc


def _write_row(
    out: _Writer, primary_key: list[tuple[str, Any]], columns: list[tuple[str, Any, int]]
) -> None:
    out.tag(TAG_ROW_PK)
    row_crc = 0
    for name, value in primary_key:
        row_crc = crc_int(row_crc, _write_cell(out, name, value, None), 1)
    if columns:
        out.tag(TAG_ROW_DATA)
        for name, value, timestamp in columns:
            row_crc = crc_int(row_crc, _write_cell(out, name, value, timestamp), 1)
    out.tag(TAG_ROW_CHECKSUM)
    out.raw(bytes([crc_int(row_crc, 0, 1)]))


def encode_rows(rows: list[tuple[list[tuple[str, Any]], list[tuple[str, Any, int]]]]) -> bytes:
    """Rows of (primary key, [(column, value, timestamp)]) after one header; ``b""`` if none."""
    if not rows:
        return b""
    out = _Writer()
    out.int32(HEADER)
    for primary_key, columns in rows:
        _write_row(out, primary_key, columns)
    return out.getvalue()
