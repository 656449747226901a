"""Users: born, given roles, deactivated, given passwords, only here, each change an audit
event. The audit verifier checks each user's role and active flag against the last ones
the trail gave them, so the shapes of `user.created`, `user.role_changed`,
`user.deactivated` and `user.reactivated` are fixed. No event ever holds a password or a
hash. Users are never deleted: evidence refers to them. The caller commits."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select

from qms.audit.trail import record_event
from qms.auth.models import User
from qms.auth.passwords import check_policy
from qms.auth.roles import ROLES
from qms.extensions import db

LANGUAGES = ("en", "ru")


class UserError(ValueError):
    """A refused user operation: an English message (also its catalogue id) and its
    parameters, rendered in the reader's language at the edge."""

    def __init__(self, message: str, **params):
        self.message = message
        self.params = params
        super().__init__(message % params)


class WrongCurrentPassword(UserError):
    def __init__(self):
        super().__init__("The current password is not correct.")


def find_user(username: str) -> User | None:
    return db.session.scalars(select(User).where(User.username == username)).first()


def get_user(username: str) -> User:
    user = find_user(username)
    if user is None:
        raise UserError("There is no user named '%(name)s'.", name=username)
    return user


def acting_user(username: str) -> User:
    """The user a command acts as (`--as`): known and active, or a one-line refusal."""
    user = find_user(username)
    if user is None or not user.is_active:
        raise UserError("no active user '%(name)s'", name=username)
    return user


def _check_username(username: str) -> None:
    if not username or len(username) > 64 or any(c.isspace() for c in username):
        raise UserError("A user name has 1 to 64 characters and no spaces.")
    if db.session.scalar(select(func.count()).where(User.username == username)):
        raise UserError("A user named '%(name)s' already exists.", name=username)


def _clean_email(email: str | None) -> str | None:
    email = (email or "").strip() or None
    if email is not None:
        try:
            validate_email(email, check_deliverability=False)
        except EmailNotValidError:
            raise UserError("'%(email)s' is not an e-mail address.", email=email) from None
    return email


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(
            "Unknown role '%(role)s' (known: %(known)s).", role=role, known=", ".join(ROLES)
        )


def create_user(
    actor: User | None,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str,
    email: str | None = None,
    language: str = "ru",
    check_password_policy: bool = True,
    must_change_password: bool = False,
    is_demo: bool = False,
) -> User:
    """A new active user; the event records everything but the password.

    The demo and the test factories pass `check_password_policy=False` for their known
    short passwords; everyone else's are checked. `must_change_password` when someone
    other than the user chose it.
    """
    _check_username(username)
    _check_role(role)
    email = _clean_email(email)
    if language not in LANGUAGES:
        raise UserError("Unknown language '%(language)s'.", language=language)
    if check_password_policy:
        check_policy(password, username=username, other_inputs=(full_name, email or ""))
    user = User(
        username=username,
        full_name=full_name,
        role=role,
        email=email,
        language=language,
        must_change_password=must_change_password,
        is_demo=is_demo,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record_event(
        actor=actor,
        action="user.created",
        entity_type="user",
        entity_id=user.id,
        changes={
            "username": username,
            "full_name": full_name,
            "email": email,
            "role": role,
            "language": language,
            "is_active": True,
            "must_change_password": must_change_password,
            "is_demo": is_demo,
        },
    )
    return user


def _require_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise UserError("A reason is required.")
    return reason


def _still_an_administrator(user: User) -> None:
    """Refuse to take away the last active administrator: no one could manage users after."""
    others = db.session.scalar(
        select(func.count()).where(User.role == "admin", User.is_active, User.id != user.id)
    )
    if user.role == "admin" and user.is_active and not others:
        raise UserError("%(name)s is the last active administrator.", name=user.username)


def change_role(actor: User | None, user: User, role: str, reason: str | None) -> None:
    """A new role, which ends the user's sessions (their pages were built for the old one)."""
    _check_role(role)
    reason = _require_reason(reason)
    if role == user.role:
        raise UserError("%(name)s already has this role.", name=user.username)
    if role != "admin":
        _still_an_administrator(user)
    record_event(
        actor=actor,
        action="user.role_changed",
        entity_type="user",
        entity_id=user.id,
        changes={"role": [user.role, role]},
        reason=reason,
    )
    user.role = role
    user.end_sessions()


def deactivate(actor: User | None, user: User, reason: str | None) -> None:
    """The user can no longer sign in, and every open session of theirs ends now."""
    reason = _require_reason(reason)
    if not user.is_active:
        raise UserError("%(name)s is already deactivated.", name=user.username)
    _still_an_administrator(user)
    record_event(
        actor=actor,
        action="user.deactivated",
        entity_type="user",
        entity_id=user.id,
        changes={"is_active": [True, False]},
        reason=reason,
    )
    user.is_active = False
    user.end_sessions()


def reactivate(actor: User | None, user: User, reason: str | None = None) -> None:
    if user.is_active:
        raise UserError("%(name)s is already active.", name=user.username)
    record_event(
        actor=actor,
        action="user.reactivated",
        entity_type="user",
        entity_id=user.id,
        changes={"is_active": [False, True]},
        reason=(reason or "").strip() or None,
    )
    user.is_active = True


def set_password(actor: User | None, user: User, password: str) -> None:
    """A password chosen for the user by an administrator (the web's reset, the command
    line): checked by the policy, and to be changed at the user's next sign-in."""
    check_policy(password, username=user.username, other_inputs=(user.full_name, user.email or ""))
    record_event(
        actor=actor,
        action="user.password_reset",
        entity_type="user",
        entity_id=user.id,
        changes={"must_change_password": True},
    )
    user.set_password(password)
    user.must_change_password = True
    user.end_sessions()


def change_own_password(user: User, current: str, new: str) -> None:
    """The user's own change: the current password is required, every other session ends
    (the caller signs the present one in again)."""
    if not user.check_password(current):
        raise WrongCurrentPassword()
    if new == current:
        raise UserError("The new password must differ from the current one.")
    check_policy(new, username=user.username, other_inputs=(user.full_name, user.email or ""))
    record_event(
        actor=user,
        action="user.password_changed",
        entity_type="user",
        entity_id=user.id,
        changes={"must_change_password": [user.must_change_password, False]},
    )
    user.set_password(new)
    user.must_change_password = False
    user.end_sessions()


def set_email(actor: User, user: User, email: str | None) -> None:
    email = _clean_email(email)
    if email != user.email:
        record_event(
            actor=actor,
            action="user.email_changed",
            entity_type="user",
            entity_id=user.id,
            changes={"email": [user.email, email]},
        )
        user.email = email


def set_language(user: User, language: str) -> None:
    if language not in LANGUAGES:
        raise UserError("Unknown language '%(language)s'.", language=language)
    if language != user.language:
        record_event(
            actor=user,
            action="user.language",
            entity_type="user",
            entity_id=user.id,
            changes={"language": [user.language, language]},
        )
        user.language = language
