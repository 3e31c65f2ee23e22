"""The case model every layer shares: pure pydantic types and rules that import only ``statute``.

Workflows, the store, services and front ends all speak these types; none of them is imported here.
"""
