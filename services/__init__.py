"""The use cases: the only thing front ends (CLI, API, pages) call.

Services take an explicit context (settings, Temporal client, database engine, acting user), raise
typed errors and never print.
"""
