"""The dashboard: `/` serves the single page, `/static/...` its ES modules and stylesheets.

The page is static and holds no secret: it asks for an API key, keeps it in the tab's
sessionStorage and sends it in the `Authorization` header of every `fetch()`. Because the
key lives in script-reachable storage, the page's defence is a strict CSP — scripts and
styles only from this origin, no inline code, no third-party connections — which is why
the responses here set their own headers instead of the API's laxer dashboard policy.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

from service.problems import problem_response

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(str(resources.files("service") / "static"))

# No 'unsafe-inline' anywhere: the page sets no style attributes and runs no inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    # Revalidate every time: a stale module against a newer API is worse than a 304.
    "Cache-Control": "no-cache",
}
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".woff2": "font/woff2",
}


def _file(path: Path) -> Response:
    return FileResponse(
        path, media_type=MEDIA_TYPES[path.suffix.lower()], headers=dict(SECURITY_HEADERS)
    )


@router.api_route("/", methods=["GET", "HEAD"])
def dashboard() -> Response:
    """The single-page dashboard (it routes itself with the URL fragment)."""
    index = STATIC_DIR / "index.html"
    if not index.is_file():
        return problem_response(404, "the dashboard is not installed", "/")
    return _file(index)


@router.api_route("/static/{name:path}", methods=["GET", "HEAD"])
def static_file(name: str) -> Response:
    """A file of `service/static`; anything outside it, hidden or of an unknown type is a
    404 (so a crafted path cannot reach the rest of the package)."""
    root = STATIC_DIR.resolve()
    candidate = (root / name).resolve()
    hidden = any(part.startswith(".") for part in Path(name).parts)
    if (
        hidden
        or not candidate.is_relative_to(root)
        or candidate.suffix.lower() not in MEDIA_TYPES
        or not candidate.is_file()
    ):
        return problem_response(404, f"no resource at /static/{name[:100]}", "/static")
    return _file(candidate)
