"""The worker's sandbox passes the workflow's pure modules through (imported once per process):
a new module beside the workflow is either listed there or knowingly left sandboxed."""

from __future__ import annotations

import pkgutil

import workflows
from worker import PURE_WORKFLOW_MODULES

SANDBOXED = {"workflows.request", "workflows.review"}  # the workflows: calls checked per run


def test_every_workflow_module_is_passed_through_or_sandboxed() -> None:
    modules = {f"workflows.{m.name}" for m in pkgutil.iter_modules(workflows.__path__)}
    assert modules - SANDBOXED == set(PURE_WORKFLOW_MODULES)
