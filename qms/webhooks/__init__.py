"""Webhooks: administrators subscribe URLs to kinds of event; each event becomes a delivery
in an outbox written in the change's transaction, signed (Standard Webhooks) and sent after
commit by `qms notify send`, with retries and a log per subscription."""
