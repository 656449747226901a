"""Least privilege on PostgreSQL (qms/database_roles.py): the application's role owns no
table, so it can neither switch the evidence guards off nor get around them; only the
owner role, which runs the migrations, could.

Run with two roles by tools/test-postgres.sh. Run with one role for both (the app as the
tables' owner) every PostgreSQL test here fails, as it should: that setup is not
least privilege.
"""

from __future__ import annotations

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from qms.audit.verify import verify_trail
from qms.database_roles import (
    DELETE,
    EVERY_TABLE_PRIVILEGE,
    GRANTS,
    INSERT,
    SELECT,
    UPDATE,
    RoleSetupError,
    owner_url,
)
from qms.extensions import db
from tests.conftest import USE_POSTGRES
from tests.factories import approved_record, make_order, make_team

postgres_only = pytest.mark.skipif(
    not USE_POSTGRES, reason="roles exist only on PostgreSQL (SQLite has only its triggers)"
)
EVIDENCE = (
    "audit_events",
    "audit_checkpoints",
    "signatures",
    "record_contributions",
    "contract_packs",
    "blobs",
)


def test_every_table_has_an_entry_in_the_grants():
    """A migration that adds a table must say what the application may do to it."""
    import qms.models  # noqa: F401  (every model on the metadata)

    assert set(db.metadata.tables) | {"alembic_version"} == set(GRANTS)


def test_the_grants_never_let_the_application_change_evidence():
    assert all(
        set(privileges) <= {SELECT, INSERT, UPDATE, DELETE} for privileges in GRANTS.values()
    )
    assert {table: GRANTS[table] for table in EVIDENCE} == dict.fromkeys(EVIDENCE, (SELECT, INSERT))
    assert GRANTS["audit_chain_head"] == (SELECT, UPDATE)
    assert GRANTS["alembic_version"] == (SELECT,)
    assert DELETE not in GRANTS["records"]


@pytest.mark.parametrize(
    ("owner", "message"),
    [
        ("postgresql+psycopg://owner@db.example/qms", "for PostgreSQL"),
        ("sqlite:///elsewhere.sqlite", "for PostgreSQL"),
    ],
)
def test_an_owner_url_beside_sqlite_is_refused(app, owner, message):
    app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///qms.sqlite"
    app.config["QMS_DATABASE_OWNER_URL"] = owner
    with pytest.raises(RoleSetupError, match=message):
        owner_url()


def test_an_owner_url_naming_another_database_is_refused(app):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://qms_app@db.example/qms"
    app.config["QMS_DATABASE_OWNER_URL"] = "postgresql+psycopg://qms_owner@db.example/other"
    with pytest.raises(RoleSetupError, match="must name the same database"):
        owner_url()


@pytest.fixture
def history(app):
    team = make_team()
    approved_record(make_order(team), "enquiry", team)
    db.session.commit()


REFUSED = [
    "ALTER TABLE audit_events DISABLE TRIGGER USER",
    "ALTER TABLE signatures DISABLE TRIGGER signatures_no_update",
    "DROP TRIGGER audit_events_no_delete ON audit_events",
    "DROP FUNCTION audit_events_no_update() CASCADE",
    "CREATE TRIGGER shadow BEFORE INSERT ON audit_events FOR EACH ROW "
    "EXECUTE FUNCTION audit_events_no_update()",
    "TRUNCATE audit_events",
    "TRUNCATE orders CASCADE",
    "DELETE FROM audit_events",
    "UPDATE audit_events SET reason = 'edited'",
    "UPDATE signatures SET meaning = 'reviewed'",
    "DELETE FROM signatures",
    "UPDATE audit_checkpoints SET note = 'edited'",
    "DELETE FROM blobs",
    "UPDATE contract_packs SET pdf = ''",
    "DELETE FROM records",
    "UPDATE alembic_version SET version_num = '0001'",
    "ALTER TABLE audit_events OWNER TO CURRENT_USER",
    "ALTER TABLE audit_events ADD COLUMN note text",
    "DROP TABLE audit_events CASCADE",
    "CREATE TABLE public.shadow_events (id integer)",
]


@postgres_only
@pytest.mark.parametrize("statement", REFUSED)
def test_the_application_role_is_refused(history, statement):
    """Refused for want of privilege or ownership, before any trigger is asked: so an
    owner, whose statements only the triggers refuse (or nothing), would fail this."""
    with pytest.raises(DatabaseError, match=r"permission denied|must be owner"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert verify_trail().intact


@postgres_only
def test_the_application_role_owns_nothing_and_is_no_superuser(history, insider):
    app_role = db.session.scalar(text("SELECT current_user"))
    owner_role = insider.scalar(text("SELECT current_user"))
    assert app_role != owner_role
    owners = dict(
        db.session.execute(
            text(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' "
                "ORDER BY tablename"
            )
        ).all()
    )
    assert set(owners) == set(GRANTS)  # the query sees the schema: not vacuous
    assert set(owners.values()) == {owner_role}
    owned = db.session.scalar(
        text(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = current_user)"
        )
    )
    assert owned == 0
    powers = db.session.execute(
        text("SELECT rolsuper, rolcreaterole, rolbypassrls FROM pg_roles WHERE rolname = :r"),
        {"r": app_role},
    ).one()
    assert tuple(powers) == (False, False, False)
    assert not db.session.scalar(
        text("SELECT pg_has_role(current_user, :owner, 'MEMBER')"), {"owner": owner_role}
    )


@postgres_only
def test_the_application_role_holds_exactly_the_grants(app):
    held = db.session.execute(
        text(
            "SELECT t.tablename, p.privilege "
            "FROM pg_tables t, unnest(CAST(:every AS text[])) AS p(privilege) "
            "WHERE t.schemaname = 'public' AND has_table_privilege("
            "format('%I.%I', t.schemaname, t.tablename), p.privilege)"
        ),
        {"every": list(EVERY_TABLE_PRIVILEGE)},
    ).all()
    granted = {
        (table, privilege) for table, privileges in GRANTS.items() for privilege in privileges
    }
    assert set(held) == granted
    sequences = db.session.execute(
        text(
            "SELECT has_sequence_privilege(c.oid, 'USAGE'), "
            "has_sequence_privilege(c.oid, 'UPDATE') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'S'"
        )
    ).all()
    assert sequences and set(sequences) == {(True, False)}  # nextval, never setval


@postgres_only
def test_the_owner_can_switch_the_guards_off(history, insider):
    """So the refusals above are the roles' doing, not something nobody could do."""
    insider.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    removed = insider.execute(text("DELETE FROM audit_events WHERE seq = 1"))
    assert removed.rowcount == 1
    insider.rollback()
    assert verify_trail().intact


@postgres_only
def test_tables_a_migration_makes_again_get_their_grants(app):
    """The grants are applied after every migration, not once."""
    downgrade(revision="0006")
    assert not db.session.scalar(text("SELECT to_regclass('audit_checkpoints') IS NOT NULL"))
    db.session.rollback()
    upgrade()
    upgrade()  # nothing to do, and the grants stay as they are
    for table in ("audit_checkpoints", "record_contributions"):
        assert db.session.scalar(text(f"SELECT has_table_privilege('{table}', 'INSERT')"))
        assert not db.session.scalar(text(f"SELECT has_table_privilege('{table}', 'DELETE')"))


@postgres_only
@pytest.mark.parametrize(
    ("grant", "message"),
    [
        ("GRANT TRUNCATE ON audit_events TO PUBLIC", "still holds TRUNCATE on audit_events"),
        ("GRANT CREATE ON SCHEMA public TO PUBLIC", "may create tables in schema public"),
    ],
)
def test_an_upgrade_refuses_privileges_granted_around_the_grants(insider, runner, grant, message):
    """The owner's REVOKE cannot take back what every role holds through PUBLIC."""
    insider.execute(text(grant))
    insider.commit()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert message in result.output


@postgres_only
def test_migrating_as_the_application_role_itself_is_refused(app, runner, database_url):
    app.config["QMS_DATABASE_OWNER_URL"] = database_url
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 1
    assert "both connect as" in result.output
    assert "Traceback" not in result.output


@postgres_only
def test_restore_without_the_owner_says_it_needs_the_owner(app, history, runner, tmp_path):
    """The application's role makes the backup (it reads everything) but cannot restore it."""
    backup_file = tmp_path / "qms.backup"
    assert runner.invoke(args=["backup", "-o", str(backup_file)]).exit_code == 0
    app.config["QMS_DATABASE_OWNER_URL"] = None
    result = runner.invoke(args=["restore", str(backup_file), "--yes"])
    assert result.exit_code == 1
    assert "set QMS_DATABASE_OWNER_URL" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert verify_trail().intact  # nothing was changed
