"""Controlled documents: revisions of the register's standards, who approved and read them."""
