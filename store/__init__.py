"""The store: reference data, the read model projected from workflows, the audit log, the outbox.

SQLite under the data directory by default, PostgreSQL via ``FOIFLOW_DATABASE_URL``. Entry points:

* ``store.db``: ``migrate(url)`` at start-up, ``get_engine(url)``, ``session_scope(engine)``;
* ``store.projection.apply_case_view`` (the ``project_case`` activity) and
  ``store.rebuild.rebuild_read_model``;
* ``store.outbox.enqueue_notification`` / ``mark_sent``; ``store.references.allocate_reference``;
* ``store.seed.load_seed`` (no database needed) / ``apply_seed``; ``store.refdata`` for edits;
* ``store.audit_keys.configure_audit(settings)`` before anything writes the audit log (the
  keyed chains); ``store.audit.check_audit`` / ``verify_audit`` to verify it;
* ``store.retention.erase_expired_cases`` (requester details past the retention period);
* ``store.calendars.calendar_repository(settings)``.

Workflow code never imports this package (its table classes break the Temporal sandbox).
"""
