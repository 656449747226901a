"""Passwords: how they are hashed, checked, chosen and generated.

Hashing is werkzeug's scrypt (memory-hard) unless QMS_PASSWORD_HASH_METHOD says
otherwise (the test suite uses a quick one). The policy follows NIST SP 800-63B: a
minimum length, no common or easily guessed passwords (zxcvbn's list of 30,000 common
passwords and its estimate of how many guesses a password takes), and not the user's
own name; no rules about character classes.
"""

from __future__ import annotations

import secrets
from functools import cache

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

DEFAULT_METHOD = "scrypt"
MAX_LENGTH = 200
# zxcvbn scores 0-4; below 2 a password falls to fewer than a million guesses.
LEAST_SCORE = 2


class PasswordRefused(ValueError):
    """A password the policy refuses: an English message (also its catalogue id) and its
    parameters, rendered in the reader's language at the edge."""

    def __init__(self, message: str, **params):
        self.message = message
        self.params = params
        super().__init__(message % params)


def hash_method() -> str:
    if has_app_context():
        return current_app.config.get("QMS_PASSWORD_HASH_METHOD", DEFAULT_METHOD)
    return DEFAULT_METHOD


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=hash_method())


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def verify_nobody(password: str) -> bool:
    """The same work as checking a real user's password, for a name that is unknown or
    deactivated, so that how long a sign-in takes tells nothing about the name."""
    check_password_hash(_dummy_hash(hash_method()), password)
    return False


def is_current_method(password_hash: str) -> bool:
    """Whether a stored hash was made the way new ones are (else rehash at the next sign-in,
    so that every account costs the same to check)."""
    return password_hash.split("$", 1)[0] == _dummy_hash(hash_method()).split("$", 1)[0]


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # loads when a password is chosen

    return frozenset(FREQUENCY_LISTS["passwords"])


def min_length() -> int:
    if has_app_context():
        return current_app.config.get("QMS_PASSWORD_MIN_LENGTH", 12)
    return 12


def check_policy(password: str, *, username: str, other_inputs: tuple[str, ...] = ()) -> None:
    """Raise PasswordRefused unless `password` may be chosen by or for `username`."""
    shortest = min_length()
    if len(password) < shortest:
        raise PasswordRefused(
            "The password must have at least %(count)s characters.", count=shortest
        )
    if len(password) > MAX_LENGTH:
        raise PasswordRefused(
            "The password must have at most %(count)s characters.", count=MAX_LENGTH
        )
    # Names of one to three letters turn up inside passwords by chance; zxcvbn still
    # counts them among the user's own words below.
    if len(username) >= 4 and username.casefold() in password.casefold():
        raise PasswordRefused("The password must not contain the user name.")
    if password.casefold() in _common_passwords():
        raise PasswordRefused("This password is one of the most common passwords; choose another.")
    inputs = [username, *(value for value in other_inputs if value)]
    from zxcvbn import zxcvbn

    if zxcvbn(password, user_inputs=inputs)["score"] < LEAST_SCORE:
        raise PasswordRefused(
            "This password is too easy to guess (common words, names, keyboard patterns "
            "or repeats); choose a longer or less predictable one."
        )


def generate_password(username: str = "") -> str:
    """A random password that passes the policy for `username`: four groups of five
    letters and digits (about 113 bits)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY34679"  # no look-alikes
    while True:
        password = "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))
        try:
            check_policy(password, username=username)
        except PasswordRefused:  # it happened to spell the user's name
            continue
        return password
