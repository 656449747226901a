"""The organisation's signing identity, and PAdES signatures on issued packs (pyHanko).

The key and certificate come from configuration: a PKCS#12 file (`QMS_PACK_SIGNING_P12`)
or a PEM key and certificate (`QMS_PACK_SIGNING_KEY`, `QMS_PACK_SIGNING_CERT`), by default
the files `qms keys init` makes in the instance folder. When those default files do not
exist, a self-signed *trial* certificate is made there on first use, so `make run` and
`make test` work on a fresh clone; its subject says it is a trial certificate, and so do
every pack it signs and `qms pack verify`.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from io import BytesIO
from pathlib import Path

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from flask import current_app

log = logging.getLogger("qms.packs")

TRIAL_UNIT = "qms trial certificate (not for real use)"
SIGNATURE_FIELD = "QmsPackSignature"


class SigningError(RuntimeError):
    """The signing key or certificate cannot be used; says which file and why."""


@dataclass(frozen=True)
class SigningIdentity:
    """The certificate (what a pack's cover and manifest print), and pyHanko's signer,
    loaded only when a pack is signed: pyHanko's signing modules weigh some 20 MB, and a
    pack render's peak memory is its layout, so the signer comes after the layout is gone."""

    certificate: asn1_x509.Certificate
    chain: tuple[asn1_x509.Certificate, ...]
    load_signer: Callable[[], object] = field(repr=False, compare=False)

    @cached_property
    def signer(self):
        signer = self.load_signer()
        if signer.signing_cert.dump() != self.certificate.dump():
            raise SigningError("the signing certificate changed while the pack was being made")
        return signer

    @property
    def fingerprint(self) -> str:
        return certificate_sha256(self.certificate)

    @property
    def subject(self) -> str:
        return self.certificate.subject.human_friendly

    @property
    def is_trial(self) -> bool:
        return is_trial(self.certificate)


def certificate_sha256(certificate: asn1_x509.Certificate) -> str:
    return hashlib.sha256(certificate.dump()).hexdigest()


def is_trial(certificate: asn1_x509.Certificate) -> bool:
    units = certificate.subject.native.get("organizational_unit_name") or []
    units = [units] if isinstance(units, str) else units
    return TRIAL_UNIT in units


_thread_lock = threading.Lock()


def _default_paths() -> tuple[Path, Path]:
    instance = Path(current_app.instance_path)
    return instance / "pack-signing.key", instance / "pack-signing.crt"


def make_trial_certificate(key_path: Path, cert_path: Path, organisation: str) -> None:
    """A self-signed RSA key and certificate for trying qms out (files mode 0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} (trial)"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, TRIAL_UNIT),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=5 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Each file appears whole or not at all (written aside, then renamed into place).
    _write_atomically(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    _write_atomically(key_path, key_pem)


def _write_atomically(path: Path, data: bytes) -> None:
    aside = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(aside, path)


@contextmanager
def _trial_lock(directory: Path):
    """One maker of the trial certificate at a time, across threads and processes: the
    first print of many at once makes it, the others wait and use it."""
    directory.mkdir(parents=True, exist_ok=True)
    with _thread_lock, open(directory / ".pack-signing.lock", "wb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_certificates(spec: str) -> tuple[asn1_x509.Certificate, ...]:
    paths = [p for p in spec.split(os.pathsep) if p.strip()]
    try:
        return tuple(c for path in paths for c in _certificates_in(Path(path).read_bytes()))
    except (OSError, ValueError) as exc:
        raise SigningError(f"cannot read the certificates {spec}: {exc}") from None


def _certificates_in(data: bytes) -> list[asn1_x509.Certificate]:
    """The certificates of a PEM (one or several) or DER file, read with asn1crypto alone:
    the signing identity is read before a pack is rendered, where cryptography's and
    pyHanko's imports would sit under the render's peak memory."""
    if pem.detect(data):
        return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
    certificate = asn1_x509.Certificate.load(data, strict=True)
    _ = certificate.subject  # parsed now: a file that is not a certificate fails here
    return [certificate]


def _load() -> SigningIdentity:
    config = current_app.config
    password = (config.get("QMS_PACK_SIGNING_PASSWORD") or "").encode() or None
    chain = read_certificates(config.get("QMS_PACK_SIGNING_CHAIN") or "")
    if p12 := config.get("QMS_PACK_SIGNING_P12"):
        try:
            data = Path(p12).read_bytes()
            certificate = _p12_certificate(data, password)
        except (OSError, ValueError) as exc:
            raise SigningError(f"cannot use the PKCS#12 file {p12}: {exc}") from None

        def load_p12_signer():
            from pyhanko.sign import signers

            return signers.SimpleSigner.load_pkcs12_data(data, chain, passphrase=password)

        return SigningIdentity(certificate, chain, load_p12_signer)
    key_path = Path(config["QMS_PACK_SIGNING_KEY"])
    cert_path = Path(config["QMS_PACK_SIGNING_CERT"])
    if (key_path, cert_path) == _default_paths():
        with _trial_lock(key_path.parent):
            if not key_path.exists() and not cert_path.exists():
                log.warning(
                    "no pack signing key: making a trial certificate in %s", key_path.parent
                )
                make_trial_certificate(key_path, cert_path, config["QMS_ORGANISATION"])
    for path in (key_path, cert_path):
        if not path.is_file():
            raise SigningError(f"the pack signing file {path} does not exist (see `qms keys init`)")
    try:
        certificate = _certificates_in(cert_path.read_bytes())[0]
    except (OSError, ValueError, IndexError) as exc:
        raise SigningError(f"cannot read the certificate {cert_path}: {exc}") from None

    def load_pem_signer():
        from pyhanko.sign import signers

        _check_key_belongs(key_path, cert_path, password)
        signer = signers.SimpleSigner.load(
            str(key_path), str(cert_path), key_passphrase=password, other_certs=list(chain)
        )
        if signer is None:
            raise SigningError(f"cannot use the key {key_path} with the certificate {cert_path}")
        return signer

    return SigningIdentity(certificate, chain, load_pem_signer)


def _p12_certificate(data: bytes, password: bytes | None) -> asn1_x509.Certificate:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    _, certificate, _ = pkcs12.load_key_and_certificates(data, password)
    if certificate is None:
        raise ValueError("it holds no certificate")
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _check_key_belongs(key_path: Path, cert_path: Path, password: bytes | None) -> None:
    """Refuse a key that is not the certificate's (a signature made with it would be
    invalid), naming both files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import (
        load_der_private_key,
        load_pem_private_key,
    )

    try:
        key_data = key_path.read_bytes()
        load = load_pem_private_key if pem.detect(key_data) else load_der_private_key
        key = load(key_data, password)
        der = _certificates_in(cert_path.read_bytes())[0].dump()
        certificate = x509.load_der_x509_certificate(der)
    except (OSError, ValueError, TypeError, IndexError) as exc:
        raise SigningError(
            f"cannot use the key {key_path} with the certificate {cert_path}: {exc}"
        ) from None
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(*spki) != certificate.public_key().public_bytes(*spki):
        raise SigningError(f"the key {key_path} does not belong to the certificate {cert_path}")


def signing_identity() -> SigningIdentity:
    """The configured identity, loaded once per process and files' modification time."""
    config = current_app.config
    paths = [config.get("QMS_PACK_SIGNING_P12"), config["QMS_PACK_SIGNING_KEY"]]
    stamp = tuple(
        (p, os.stat(p).st_mtime_ns) if p and os.path.exists(p) else (p, None) for p in paths
    )
    cached = current_app.extensions.get("qms.pack-signing")
    if cached is None or cached[0] != stamp:
        identity = _load()
        stamp = tuple(
            (p, os.stat(p).st_mtime_ns) if p and os.path.exists(p) else (p, None) for p in paths
        )
        cached = current_app.extensions["qms.pack-signing"] = (stamp, identity)
    return cached[1]


def sign_pdf(pdf: bytes, identity: SigningIdentity, *, reason: str, location: str) -> bytes:
    """The PDF with a PAdES signature (B-B, or B-T with a timestamp authority) added as an
    incremental update: the signed bytes are exactly the rendered ones."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    timestamper = None
    if url := current_app.config.get("QMS_PACK_TSA_URL"):
        timestamper = timestamps.HTTPTimeStamper(url)
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    out = signers.PdfSigner(metadata, signer=identity.signer, timestamper=timestamper).sign_pdf(
        writer
    )
    return out.getvalue()
