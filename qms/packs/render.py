"""HTML to PDF/A-3b with WeasyPrint, reading nothing but the app's own static files.

The fetcher serves `qms-static:///<path>` from qms/static, and `qms-resource:///<name>`
from the bytes the caller hands it (the letterhead's logo, taken from the database), and
refuses every other URL (file:, http:, https:, data: ...), so no text in a pack can make
the renderer read a local file or call out. One FontConfiguration is shared by every render.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import io
import mimetypes
import warnings
from datetime import datetime
from pathlib import Path
from threading import Lock

from weasyprint import HTML
from weasyprint import Attachment as PdfAttachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from qms.packs.manifest import EmbeddedFile

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
STATIC_SCHEME = "qms-static:///"
RESOURCE_SCHEME = "qms-resource:///"
PDF_VARIANT = "pdf/a-3b"
_fonts = FontConfiguration()
# Pango and its font caches, shared through _fonts, are not safe to use from two threads
# at once: concurrent renders in one process were seen spinning forever in line breaking.
# One render at a time per process (others run in parallel in other workers); layout
# holds the GIL anyway, so threads lose no throughput by waiting.
_rendering = Lock()


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, static_dir: Path = STATIC_DIR, resources: dict | None = None):
        super().__init__(allowed_protocols=())
        self.static_dir = static_dir.resolve()
        self.resources = resources or {}  # name -> (bytes, content type)
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        if url.startswith(STATIC_SCHEME):
            path = (self.static_dir / url.removeprefix(STATIC_SCHEME)).resolve()
            if path.is_file() and path.is_relative_to(self.static_dir):
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        if url.startswith(RESOURCE_SCHEME) and url.removeprefix(RESOURCE_SCHEME) in self.resources:
            content, content_type = self.resources[url.removeprefix(RESOURCE_SCHEME)]
            return URLFetcherResponse(url, content, {"Content-Type": content_type})
        self.refused.append(url)
        raise ValueError(f"the pack renderer reads only the app's static files, not {url}")


def render_pdf(
    html: str,
    fetcher: StaticOnlyFetcher | None = None,
    *,
    embedded: list[EmbeddedFile] | tuple = (),
    made_at: datetime | None = None,
) -> tuple[bytes, int]:
    """The PDF/A-3b bytes of `html` with `embedded` files attached, and its page count."""
    fetcher = fetcher or StaticOnlyFetcher()
    with _rendering:  # one render at a time per process: Pango's shared setup hangs otherwise
        document = HTML(string=html, base_url=STATIC_SCHEME, url_fetcher=fetcher).render(
            font_config=_fonts
        )
        attachments = [
            PdfAttachment(
                file_obj=io.BytesIO(f.content),
                name=f.name,
                description=f.description,
                relationship=f.relationship,
                created=made_at,
                modified=made_at,
            )
            for f in embedded
        ]
        # WeasyPrint opens its sRGB profile for PDF/A and never closes it: the ResourceWarning
        # is WeasyPrint's, not ours, and would otherwise surface wherever the file is freed.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            pdf = document.write_pdf(pdf_variant=PDF_VARIANT, attachments=attachments)
        pages = len(document.pages)
        del document
        _return_freed_memory()
        return pdf, pages


def _return_freed_memory() -> None:
    """The layout is garbage now: tens of MB of boxes held in reference cycles, and C heap
    behind them. Collect it and hand the freed heap back to the system, so that what comes
    next (pyHanko's signing) does not stack on top of the layout's peak: the 31-page pack's
    peak resident memory went from about 157 to 150 MB (bench/startup.py). A few milliseconds
    beside a render of seconds."""
    gc.collect()
    # Not glibc: its allocator keeps what it keeps.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
