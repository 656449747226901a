"""The signing identity a pack is signed with: a PKCS#12 file or a PEM pair, read before
anything is rendered, and a key that does not belong to its certificate refused in words
that name the files (nothing issued, nothing stored)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from sqlalchemy import func, select

from qms.extensions import db
from qms.packs.models import ContractPack
from qms.packs.services import issue_pack
from qms.packs.signing import SigningError, make_trial_certificate
from tests.factories import make_order, make_team
from tests.test_pack_evidence import verify


@pytest.fixture
def team(app):
    return make_team()


def _use(app, **paths):
    app.config.update({key: str(value) for key, value in paths.items()})
    app.extensions.pop("qms.pack-signing", None)  # the identity is cached per process


def _acme_p12(folder):
    """A PKCS#12 file of a trial key and certificate, its password 'secret'."""
    from cryptography import x509

    make_trial_certificate(folder / "p.key", folder / "p.crt", "Acme Testing")
    key = serialization.load_pem_private_key((folder / "p.key").read_bytes(), None)
    certificate = x509.load_pem_x509_certificate((folder / "p.crt").read_bytes())
    bundle = pkcs12.serialize_key_and_certificates(
        b"acme", key, certificate, None, serialization.BestAvailableEncryption(b"secret")
    )
    (folder / "acme.p12").write_bytes(bundle)


def test_a_key_that_is_not_the_certificates_is_refused_before_anything_is_issued(
    app, team, tmp_path
):
    make_trial_certificate(tmp_path / "a.key", tmp_path / "a.crt", "Org A")
    make_trial_certificate(tmp_path / "b.key", tmp_path / "b.crt", "Org B")
    _use(app, QMS_PACK_SIGNING_KEY=tmp_path / "a.key", QMS_PACK_SIGNING_CERT=tmp_path / "b.crt")
    order = make_order(team)
    db.session.commit()
    with pytest.raises(SigningError, match=r"a\.key does not belong to the certificate .*b\.crt"):
        issue_pack(order, team["manager"])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ContractPack)) == 0


def test_a_pkcs12_identity_signs_the_pack_and_its_certificate_is_printed(
    app, team, runner, tmp_path
):
    _acme_p12(tmp_path)
    _use(app, QMS_PACK_SIGNING_P12=tmp_path / "acme.p12", QMS_PACK_SIGNING_PASSWORD="secret")
    order = make_order(team)
    pack, issued = issue_pack(order, team["manager"])
    db.session.commit()
    assert issued and "Acme Testing" in pack.signed_by
    result = verify(runner, pack.pdf, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Acme Testing" in result.output


def test_a_wrong_pkcs12_password_is_refused_naming_the_file(app, team, tmp_path):
    _acme_p12(tmp_path)
    _use(app, QMS_PACK_SIGNING_P12=tmp_path / "acme.p12", QMS_PACK_SIGNING_PASSWORD="wrong")
    with pytest.raises(SigningError, match=r"cannot use the PKCS#12 file .*acme\.p12"):
        issue_pack(make_order(team), team["manager"])


def test_a_der_certificate_with_its_pem_key_signs_the_pack(app, team, runner, tmp_path):
    from cryptography import x509

    make_trial_certificate(tmp_path / "d.key", tmp_path / "d.pem", "Der Works")
    certificate = x509.load_pem_x509_certificate((tmp_path / "d.pem").read_bytes())
    (tmp_path / "d.der").write_bytes(certificate.public_bytes(serialization.Encoding.DER))
    _use(app, QMS_PACK_SIGNING_KEY=tmp_path / "d.key", QMS_PACK_SIGNING_CERT=tmp_path / "d.der")
    pack, issued = issue_pack(make_order(team), team["manager"])
    db.session.commit()
    assert issued and "Der Works" in pack.signed_by
    result = verify(runner, pack.pdf, tmp_path)
    assert result.exit_code == 0, result.output


def test_a_file_that_is_not_a_certificate_is_refused_naming_it(app, team, tmp_path):
    make_trial_certificate(tmp_path / "e.key", tmp_path / "e.crt", "Broken")
    (tmp_path / "e.crt").write_bytes(b"\x30\x03\x02\x01\x05")  # DER, but not a certificate
    _use(app, QMS_PACK_SIGNING_KEY=tmp_path / "e.key", QMS_PACK_SIGNING_CERT=tmp_path / "e.crt")
    with pytest.raises(SigningError, match=r"cannot read the certificate .*e\.crt"):
        issue_pack(make_order(team), team["manager"])
