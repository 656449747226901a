"""Signing in: throttled, and just as slow for a name that does not exist."""

from __future__ import annotations

from qms.auth import throttle
from qms.auth.models import User
from qms.auth.passwords import is_current_method, verify_nobody
from qms.auth.throttle import TooManyAttempts
from qms.auth.users import find_user, set_language
from qms.timeutil import utcnow

__all__ = ["TooManyAttempts", "authenticate", "set_language"]


def authenticate(
    username: str, password: str, remote_addr: str | None, *, known_device: bool = False
) -> User | None:
    """The user if the name is an active user's and the password is right, else None.

    An attempt is reserved (and committed) before the password is checked, so parallel
    guesses cannot overrun the limit; raises TooManyAttempts, checking nothing, while
    the name or address must wait. An unknown or deactivated name costs a password check
    against a dummy hash made the same way, so the time taken tells nothing.
    """
    throttle.reserve_attempt(username, remote_addr, known_device=known_device)
    user = find_user(username)
    if user is None or not user.is_active:
        verify_nobody(password)
        return None
    if not user.check_password(password):
        return None
    throttle.give_back(username, remote_addr)
    if not is_current_method(user.password_hash):
        user.set_password(password)  # stored the way new ones are, so all cost the same
    user.last_login_at = utcnow()
    return user
