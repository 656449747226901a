"""Objections heard during pre-contract work, and how they were handled."""
