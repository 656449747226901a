"""Security headers on every response, and the health check's view of the schema."""

from __future__ import annotations

from flask import Flask, abort, request

# No inline script or style anywhere: every asset is served by the app itself.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def refuse_nul_characters() -> None:
    """No field takes a NUL character, and PostgreSQL cannot store one: refuse it at the door
    (a 400 that says why) rather than fail deep inside a query. The path counts too: an
    order number in the URL goes into a query like any field."""
    if "\x00" in request.path:
        abort(400, "The request contains a NUL character, which no field accepts.")
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400, "The request contains a NUL character, which no field accepts.")


def init_security_headers(app: Flask) -> None:
    app.before_request(refuse_nul_characters)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            # Pages, PDFs, attachments and exports hold what only signed-in users may
            # see: no browser or proxy may keep a copy (send_file's own "no-cache" too).
            response.headers["Cache-Control"] = "no-store"
        if request.is_secure:  # only behind https, or browsers would pin plain http
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        return response
