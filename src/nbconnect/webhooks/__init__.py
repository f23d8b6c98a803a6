"""Incoming webhooks: signatures, URL validation, the receiver, the event log, RESThooks."""
