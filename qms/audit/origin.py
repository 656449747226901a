"""Where a change came from (the web, the command line, the API), recorded with its event.

The edge that receives the change says so once (the web per request, the CLI per
command); every event written meanwhile carries it, and it is part of the event's hash.
"""

from __future__ import annotations

import getpass
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from flask import g, has_request_context, request


@dataclass(frozen=True)
class Origin:
    channel: str  # "web", "cli", "api", "system"
    detail: str | None = None  # the client address, the operating-system user, the token


_origin: ContextVar[Origin | None] = ContextVar("qms_audit_origin", default=None)


def current_origin() -> Origin:
    origin = _origin.get()
    if origin is not None:
        return origin
    if has_request_context():
        # An edge other than the web pages (the API) says so for its whole request.
        if (said := g.get("audit_origin")) is not None:
            return said
        return Origin("web", (request.remote_addr or "")[:200] or None)
    return Origin("system")


@contextmanager
def acting_from(origin: Origin) -> Iterator[None]:
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)


def command_line_origin() -> Origin:
    """The operating-system user and host that ran a `qms` command."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = "uid?"
    return Origin("cli", f"{user}@{socket.gethostname()}"[:200])
