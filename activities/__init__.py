"""Side effects of a case, as Temporal activities: calendar loading, notifications, projection.

``case_activities.CaseActivities`` is the activities class, built with its dependencies (the
``ports``); workflows import it (never ``store_adapters``) to call its methods by reference.
``store_adapters.store_activities(settings)`` builds it on the store for the worker.
"""
