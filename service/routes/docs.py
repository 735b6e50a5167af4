"""`/docs`: Swagger UI served from the `fastapi-offline` package's assets, never a CDN.

Analysts often work on networks without internet; FastAPI's default page fetches Swagger
UI's script and stylesheet from a CDN and stays blank there. The same page is built here by
FastAPI's own helper, pointing at the assets the package ships.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response

from service.problems import problem_response

router = APIRouter(include_in_schema=False)

# Swagger UI 5 (OpenAPI 3.1, which FastAPI writes), as `fastapi-offline` ships it.
ASSETS = Path(str(resources.files("fastapi_offline") / "static"))
SERVED = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
}


@router.get("/docs")
def docs() -> HTMLResponse:
    """The OpenAPI document in Swagger UI."""
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="Riftcast API",
        swagger_js_url="/docs-assets/swagger-ui-bundle.js",
        swagger_css_url="/docs-assets/swagger-ui.css",
        swagger_favicon_url="data:,",
    )


@router.get("/docs-assets/{name}")
def docs_asset(name: str) -> Response:
    """Swagger UI's script or stylesheet, from the installed package (nothing else)."""
    if name not in SERVED:
        return problem_response(404, f"no resource at /docs-assets/{name[:100]}", "/docs-assets")
    return FileResponse(
        ASSETS / name, media_type=SERVED[name], headers={"Cache-Control": "max-age=86400"}
    )
