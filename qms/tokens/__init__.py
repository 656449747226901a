"""Personal API tokens: made by a user for themselves (or by an administrator for a
service account), shown once, stored as a SHA-256 digest, revocable, expiring."""
