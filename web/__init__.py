"""The web front end: the JSON API under ``/api`` (and, in a later issue, the pages).

A thin adapter over ``services``: it resolves who is calling, calls a service, and maps typed
service errors to HTTP statuses. No business rule lives here.
"""
