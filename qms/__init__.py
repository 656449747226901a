"""qms: an ISO 9001 contract and project-workflow tracker."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from qms.config import PROJECT_ROOT, load_config

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def create_app(test_config: dict | None = None, *, web: bool = True) -> Flask:
    """The app. `web=False` (the commands that serve no page, see qms.cli) leaves out the
    pages, the API and the migrations, whose imports are most of the start's cost: a
    command renders PDFs and e-mails but builds no URL to a page."""
    instance_path = os.environ.get("QMS_INSTANCE_PATH") or str(PROJECT_ROOT / "instance")
    app = Flask(
        __name__,
        instance_path=instance_path,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    trust_proxies(app)
    register_extensions(app, web=web)
    if web:
        register_migrations(app)
        register_blueprints(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind QMS_TRUSTED_PROXIES proxies, take the client address (sign-in throttling, the
    audit trail) and the scheme from X-Forwarded-For / -Proto; never otherwise, or any
    client could claim any address."""
    if hops := app.config["QMS_TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)


def register_extensions(app: Flask, *, web: bool = True) -> None:
    from qms.extensions import db
    from qms.web import init_web

    db.init_app(app)
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A connection the server closed is replaced as it leaves the pool, with no
        # statement sent before each transaction (as pool_pre_ping would).
        from qms.database import liveness
        from qms.orders.models import name_postgresql_conditions

        name_postgresql_conditions()
        with app.app_context():
            for engine in db.engines.values():
                liveness.watch(engine)
    # The models must be imported for the metadata (and so migrations) to see them; the
    # anchor registers the hook that anchors each committed batch of audit events, the
    # limits the check of every flush against what the columns hold.
    import qms.audit.anchor
    import qms.database.limits
    import qms.models
    import qms.webhooks.outbox  # noqa: F401  (audit events -> webhook deliveries)

    init_web(app, pages=web)


def register_migrations(app: Flask) -> None:
    """Alembic through Flask-Migrate (`qms db ...`, `qms init`)."""
    from flask_migrate import Migrate

    from qms.extensions import db

    Migrate(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)


def register_blueprints(app: Flask) -> None:
    from qms.api import init_api
    from qms.auth.admin import blueprint as users
    from qms.auth.views import blueprint as auth
    from qms.customers.views import blueprint as customers
    from qms.dashboard.views import blueprint as dashboard
    from qms.documents.upkeep_views import blueprint as upkeep
    from qms.documents.views import blueprint as documents
    from qms.inbox.views import blueprint as inbox
    from qms.letterhead.views import blueprint as letterhead
    from qms.loyalty.views import blueprint as loyalty
    from qms.meetings.views import blueprint as meetings
    from qms.orders.views import blueprint as orders
    from qms.packs.views import blueprint as packs
    from qms.records.review_views import blueprint as review
    from qms.records.views import blueprint as records
    from qms.sso.views import blueprint as sso
    from qms.support.views import blueprint as support
    from qms.tokens.views import blueprint as tokens
    from qms.trace.views import blueprint as trace
    from qms.webhooks.views import blueprint as webhooks
    from qms.workcalendar.views import blueprint as workcalendar
    from qms.workitems.views import blueprint as workitems

    for blueprint in (
        auth,
        users,
        dashboard,
        inbox,
        orders,
        records,
        review,
        customers,
        packs,
        trace,
        documents,
        upkeep,
        workitems,
        letterhead,
        tokens,
        webhooks,
        sso,
        support,
        workcalendar,
        meetings,
        loyalty,
    ):
        app.register_blueprint(blueprint)
    init_api(app)
