"""The machine-readable manifest embedded in every issued pack, and the files beside it.

The manifest names the pack (order, revision, content SHA-256), the organisation, the audit
trail's head at issue, and every record revision the pack shows or supersedes with its
content hash, files and signatures: `qms pack verify` compares it with the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from qms.extensions import db
from qms.records.models import Blob


@dataclass(frozen=True)
class EmbeddedFile:
    """A file carried inside the PDF (PDF/A-3 associated file)."""

    name: str
    content: bytes
    description: str
    relationship: str  # PDF/A-3 AFRelationship: Data, Source, Supplement, ...


MANIFEST_NAME = "qms-pack-manifest.json"
MANIFEST_FORMAT = "qms-contract-pack-manifest/1"
EMBEDDED_TYPES = (".pdf", ".png", ".jpg", ".jpeg")


def pack_manifest(
    *,
    content: dict[str, Any],
    digest: str,
    revision: int,
    issued_at,
    issued_by: str | None,
    trail_head: tuple[int, str],
    certificate: dict[str, Any],
) -> dict[str, Any]:
    records = []
    for section in content["sections"]:
        for record in section["records"]:
            for earlier in record["earlier"]:
                records.append(
                    {
                        "kind": record["kind"],
                        "lineage": record["lineage"],
                        "revision": earlier["revision"],
                        "approved": earlier["approved"],
                        "content_sha256": earlier["content_sha256"],
                        "signatures": [_signature(s) for s in earlier["signatures"]],
                    }
                )
            records.append(
                {
                    "kind": record["kind"],
                    "lineage": record["lineage"],
                    "revision": record["revision"],
                    "title": record["title"],
                    "approved": record["approved"],
                    "content_sha256": record["content_sha256"],
                    "files": record["attachments"],
                    "signatures": [_signature(s) for s in record["signatures"]],
                }
            )
    return {
        "format": MANIFEST_FORMAT,
        "pack": {
            "order": content["order"]["number"],
            "revision": revision,
            "language": content["language"],
            "content_sha256": digest,
            "issued_at": issued_at.isoformat(timespec="seconds"),
            "issued_by": issued_by,
        },
        "organisation": content["letterhead"],
        "audit_trail_head": {"seq": trail_head[0], "hash": trail_head[1]},
        "signing_certificate": certificate,
        "records": records,
        "contract_changes": [a["number"] for a in content["amendments"]],
    }


def _signature(signature: dict[str, Any]) -> dict[str, Any]:
    return {
        "signer": signature["signer"],
        "role": signature["role"],
        "meaning": signature["meaning"],
        "signed_at": signature["signed_utc"],
        "content_sha256": signature["content_sha256"],
    }


def manifest_file(manifest: dict[str, Any]) -> EmbeddedFile:
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True)
    return EmbeddedFile(
        MANIFEST_NAME,
        text.encode(),
        "Records, revisions, content hashes and signatures of this contract pack",
        "Data",
    )


def record_files(content: dict[str, Any]) -> list[EmbeddedFile]:
    """The current records' attached PDFs and pictures, to travel inside the pack."""
    wanted = []
    for section in content["sections"]:
        for record in section["records"]:
            for attachment in record["attachments"]:
                if PurePath(attachment["filename"]).suffix.lower() in EMBEDDED_TYPES:
                    wanted.append((record, attachment))
    blobs = {
        b.sha256: b.content
        for b in db.session.scalars(
            db.select(Blob).where(Blob.sha256.in_({a["sha256"] for _, a in wanted}))
        )
    }
    return [
        EmbeddedFile(
            f"{record['kind']}-rev{record['revision']}-{attachment['filename']}",
            blobs[attachment["sha256"]],
            f"{record['title']}, revision {record['revision']}: {attachment['filename']}",
            "Supplement",
        )
        for record, attachment in wanted
        if attachment["sha256"] in blobs
    ]
