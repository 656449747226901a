"""The organisation's letterhead: name, details and logo on every pack's cover and header."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.extensions import db
from qms.letterhead.models import Letterhead
from qms.records.files import check_upload
from qms.records.models import Blob

LOGO_TYPES = (".png", ".jpg", ".jpeg")


class LetterheadError(ValueError):
    """A letterhead change refused, in words."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class CurrentLetterhead:
    name: str
    details: str
    logo_sha256: str | None

    def as_dict(self) -> dict:
        return {"name": self.name, "details": self.details, "logo_sha256": self.logo_sha256}


def current_letterhead() -> CurrentLetterhead:
    """The latest letterhead an administrator set, else the configured organisation."""
    row = db.session.scalars(select(Letterhead).order_by(Letterhead.id.desc()).limit(1)).first()
    if row is None:
        config = current_app.config
        return CurrentLetterhead(
            config["QMS_ORGANISATION"], config.get("QMS_ORGANISATION_DETAILS", ""), None
        )
    return CurrentLetterhead(row.name, row.details or "", row.logo_sha256)


def logo_bytes(sha256: str | None) -> tuple[bytes, str] | None:
    if not sha256:
        return None
    blob = db.session.get(Blob, sha256)
    return (blob.content, blob.content_type) if blob is not None else None


def set_letterhead(
    actor: User,
    *,
    name: str,
    details: str,
    logo: tuple[str, bytes] | None = None,
    remove_logo: bool = False,
) -> Letterhead:
    """A new letterhead (administrators only); the logo is checked like any upload and
    must be a PNG or JPEG picture. The caller commits."""
    if actor.role != "admin":
        raise LetterheadError(_l("only an administrator sets the letterhead"))
    name = (name or "").strip()
    if not name:
        raise LetterheadError(_l("the letterhead needs the organisation's name"))
    current = current_letterhead()
    logo_sha256 = None if remove_logo else current.logo_sha256
    if logo is not None:
        filename, content = logo
        if PurePath(filename or "").suffix.lower() not in LOGO_TYPES:
            raise LetterheadError(_l("the logo must be a PNG or JPEG picture"))
        try:
            _, content_type = check_upload(
                filename, content, current_app.config["MAX_CONTENT_LENGTH"]
            )
        except ValueError as exc:
            raise LetterheadError(str(exc)) from None
        logo_sha256 = hashlib.sha256(content).hexdigest()
        if db.session.get(Blob, logo_sha256) is None:
            db.session.add(
                Blob(
                    sha256=logo_sha256,
                    size=len(content),
                    content_type=content_type,
                    content=content,
                )
            )
            db.session.flush()
    row = Letterhead(
        name=name[:300],
        details=(details or "").strip(),
        logo_sha256=logo_sha256,
        set_by_id=actor.id,
    )
    db.session.add(row)
    db.session.flush()
    record_event(
        actor=actor,
        action="letterhead.set",
        entity_type="letterhead",
        entity_id=row.id,
        changes={
            "name": [current.name, row.name],
            "details": [current.details, row.details],
            "logo_sha256": [current.logo_sha256, row.logo_sha256],
        },
    )
    return row
