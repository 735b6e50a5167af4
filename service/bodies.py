"""Cached response bodies: their ETags, their gzip coding, and conditional GETs (304).

One renderer for the routes and the polling fast path (`service.fastpath`), so both answer
alike by construction.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

CACHE_CONTROL = "private, no-cache"


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an `If-None-Match` header names `etag` (weak or strong, or `*`)."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags


JSON = b"application/json"
# Bodies at least this large are also kept gzip-compressed (a listing page of 100 pairs:
# about 135 KB, 8× smaller compressed), so a dashboard on a slow link polls a fraction of it.
GZIP_MIN_BYTES = 16 * 1024


@dataclass(frozen=True)
class Stored:
    """A cached body, its ETag and, for a large body, its gzip coding, compressed once when
    the body is built rather than once per request."""

    body: bytes
    etag: str
    gzipped: bytes | None = None

    @classmethod
    def of(cls, body: bytes) -> Stored:
        large = len(body) >= GZIP_MIN_BYTES
        return cls(body, etag_of(body), gzip.compress(body, 5, mtime=0) if large else None)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether an `Accept-Encoding` header accepts gzip (named or `*`, and not `q=0`)."""
    for part in (accept_encoding or "").lower().split(","):
        coding, _, params = part.partition(";")
        if coding.strip() not in ("gzip", "*"):
            continue
        name, _, value = params.strip().partition("=")
        try:
            return name.strip() != "q" or float(value) > 0
        except ValueError:
            return False
    return False


def gzip_etag(etag: str) -> str:
    """The ETag of a body's gzip coding: a different representation, so a different tag."""
    return etag[:-1] + '-gzip"'


def conditional(
    body: bytes,
    etag: str,
    if_none_match: str | None,
    gzipped: bytes | None = None,
    accept_encoding: str | None = None,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """(status, headers, body) of a conditional GET of a cached body: 304 with no body when
    the client holds `etag` (or the tag of its gzip coding), else 200, compressed when the
    body has a gzip coding and the client accepts it. The one renderer of the route and the
    polling fast path, so the two answer alike by construction."""
    compressed = gzipped is not None and accepts_gzip(accept_encoding)
    tag = gzip_etag(etag) if compressed else etag
    headers = [(b"etag", tag.encode()), (b"cache-control", CACHE_CONTROL.encode())]
    if gzipped is not None:
        headers.append((b"vary", b"accept-encoding"))
    if etag_matches(if_none_match, etag) or (
        gzipped is not None and etag_matches(if_none_match, gzip_etag(etag))
    ):
        return 304, headers, b""
    content = gzipped if compressed and gzipped is not None else body
    headers += [(b"content-length", str(len(content)).encode()), (b"content-type", JSON)]
    if compressed:
        headers.append((b"content-encoding", b"gzip"))
    return 200, headers, content


def etag_of(body: bytes, *extra: str) -> str:
    digest = hashlib.sha256(body)
    for part in extra:
        digest.update(part.encode())
    return f'"{digest.hexdigest()[:32]}"'
