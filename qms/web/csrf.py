"""CSRF protection of every form (Flask-WTF). In a module of its own, bound only by the app
that serves pages (qms.web.init_web): the commands load neither Flask-WTF nor WTForms."""

from flask_wtf import CSRFProtect

csrf = CSRFProtect()
