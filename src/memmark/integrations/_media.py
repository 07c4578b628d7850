"""Media sources shared by the adapters: frameworks pass media as URLs or ``data:`` URLs."""

from __future__ import annotations

from typing import Literal

from memmark.message import AudioBlock, Base64Source, ImageBlock, URLSource, VideoBlock

__all__ = ["MediaKind", "media_block", "media_source", "source_url"]

MediaKind = Literal["image", "audio", "video"]

_BASE64_MARKER = ";base64,"


def media_source(url: str) -> Base64Source | URLSource:
    """The memmark source of ``url``: inline base64 for a ``data:`` URL, else the URL itself."""
    if url.startswith("data:") and _BASE64_MARKER in url:
        media_type, data = url[len("data:") :].split(_BASE64_MARKER, 1)
        return Base64Source(type="base64", media_type=media_type, data=data)
    return URLSource(type="url", url=url)


def media_block(
    kind: MediaKind, source: Base64Source | URLSource
) -> ImageBlock | AudioBlock | VideoBlock:
    """An image, audio or video block of ``source``."""
    if kind == "image":
        return ImageBlock(type="image", source=source)
    if kind == "audio":
        return AudioBlock(type="audio", source=source)
    return VideoBlock(type="video", source=source)


def source_url(source: object) -> str | None:
    """The URL of a memmark source (``data:`` URL for base64), or ``None`` if malformed."""
    if not isinstance(source, dict):
        return None
    if source.get("type") == "url" and isinstance(source.get("url"), str):
        return str(source["url"])
    media_type, data = source.get("media_type"), source.get("data")
    if source.get("type") == "base64" and isinstance(media_type, str) and isinstance(data, str):
        return f"data:{media_type}{_BASE64_MARKER}{data}"
    return None
