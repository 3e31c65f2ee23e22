"""Delivery: the dispatcher that drains the notification outbox, the channels it sends through
(SMTP, a signed JSON webhook, GOV.UK Notify), the message templates, working hours and daily
digests, and a local SMTP sink for development.

Below the services and beside the store: it reads the directory and records outcomes through
``store.delivery``; it never imports workflows, activities, services or front ends. Front ends
reach it through ``services.delivery``.
"""
