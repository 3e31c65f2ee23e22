"""The JSON API: ``deps`` (who is calling, what they may do), ``errors`` (service errors as
HTTP), ``idempotency`` (the ``Idempotency-Key`` header) and one module per resource in
``routes``."""
