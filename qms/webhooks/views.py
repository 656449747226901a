"""Webhooks on the web, for administrators: subscribe a URL, see each subscription's
delivery log (every attempt and its answer), resend a delivery, switch one off or on."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from qms.extensions import db
from qms.web.permissions import requires
from qms.webhooks.delivery import resend
from qms.webhooks.kinds import KINDS
from qms.webhooks.models import WebhookDelivery, WebhookSubscription
from qms.webhooks.services import WebhookError, set_active, subscribe

blueprint = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")
DELIVERIES_SHOWN = 100


class PlainForm(FlaskForm):
    pass


def _index(status: int = 200, error: str | None = None):
    subscriptions = db.session.scalars(
        select(WebhookSubscription).order_by(WebhookSubscription.id)
    ).all()
    return render_template(
        "webhooks/index.html",
        subscriptions=subscriptions,
        kinds=KINDS,
        form=PlainForm(),
        values=request.form,
        error=error,
    ), status


@blueprint.get("")
@requires("manage_users")
def index():
    return _index()


@blueprint.post("")
@requires("manage_users")
def new():
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        subscription = subscribe(
            current_user,
            request.form.get("url", ""),
            request.form.getlist("kinds"),
            request.form.get("description", ""),
        )
    except WebhookError as exc:
        db.session.rollback()
        return _index(422, str(exc))
    db.session.commit()
    return _show(subscription, new_secret=True)


def _subscription_or_404(subscription_id: int) -> WebhookSubscription:
    return db.session.get(WebhookSubscription, subscription_id) or abort(404)


def _show(subscription: WebhookSubscription, new_secret: bool = False):
    deliveries = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.subscription_id == subscription.id)
        .options(selectinload(WebhookDelivery.attempt_log))
        .order_by(WebhookDelivery.id.desc())
        .limit(DELIVERIES_SHOWN)
    ).all()
    return render_template(
        "webhooks/show.html",
        subscription=subscription,
        deliveries=deliveries,
        kinds=KINDS,
        form=PlainForm(),
        new_secret=new_secret,
    )


@blueprint.get("/<int:subscription_id>")
@requires("manage_users")
def show(subscription_id: int):
    return _show(_subscription_or_404(subscription_id))


@blueprint.post("/<int:subscription_id>/active")
@requires("manage_users")
def switch(subscription_id: int):
    subscription = _subscription_or_404(subscription_id)
    if PlainForm().validate_on_submit():
        set_active(current_user, subscription, request.form.get("active") == "1")
        db.session.commit()
    return redirect(url_for("webhooks.show", subscription_id=subscription.id))


@blueprint.post("/deliveries/<int:delivery_id>/resend")
@requires("manage_users")
def resend_delivery(delivery_id: int):
    delivery = db.session.get(WebhookDelivery, delivery_id) or abort(404)
    if PlainForm().validate_on_submit():
        resend(delivery)
        db.session.commit()
        flash(_("It will be sent again with the next round of `qms notify send`."), "success")
    return redirect(url_for("webhooks.show", subscription_id=delivery.subscription_id))
