"""Notifications in the app and by e-mail, through an outbox delivered after commit."""
