"""HTML to PDF with WeasyPrint, reading nothing but the app's own static files.

The fetcher serves `qms-static:///<path>` from qms/static and refuses every other URL
(file:, http:, https:, data: ...), so no text in a pack can make the renderer read a
local file or call out. One FontConfiguration is shared by every render.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from threading import Lock

from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_SCHEME = "qms-static:///"
_fonts = FontConfiguration()
# Pango and its font caches, shared through _fonts, are not safe to use from two threads
# at once: concurrent renders in one process were seen spinning forever in line breaking.
# One render at a time per process (others run in parallel in other workers); layout
# holds the GIL anyway, so threads lose no throughput by waiting.
_rendering = Lock()


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, static_dir: Path = STATIC_DIR):
        super().__init__(allowed_protocols=())
        self.static_dir = static_dir.resolve()
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith(STATIC_SCHEME):
            path = (self.static_dir / url.removeprefix(STATIC_SCHEME)).resolve()
            if path.is_file() and path.is_relative_to(self.static_dir):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        self.refused.append(url)
        raise ValueError(f"the pack renderer reads only the app's static files, not {url}")


def render_pdf(html: str, fetcher: StaticOnlyFetcher | None = None) -> tuple[bytes, int]:
    """The PDF bytes of `html`, and its page count."""
    fetcher = fetcher or StaticOnlyFetcher()
    with _rendering:
        document = HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=fetcher).render(
            font_config=_fonts
        )
        return document.write_pdf(), len(document.pages)
