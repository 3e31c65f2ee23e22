"""The skeleton case: the request workflow's Temporal calls with no-op bodies, the lifecycle
benchmark's baseline. Each update bumps a version and queues as many messages as the real
action queued; the run loop then sends them (one no-op activity each), upserts the status search
attribute when it moved, and projects (one no-op activity), as ``FoiRequestWorkflow`` does.

Imported by the workflow sandbox: only temporalio and the standard library here.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.common import SearchAttributeKey

TIMEOUT = timedelta(seconds=30)
IDLE = timedelta(days=30)
STATUS = SearchAttributeKey.for_keyword("FoiStatus")


@dataclass
class SkeletonStart:
    notices: int  # what opening queues (the acknowledgement)


@dataclass
class SkeletonAction:
    notices: int  # messages the real action queued
    upserts: bool  # whether the real case's search attributes moved
    closes: bool = False


@dataclass
class SkeletonState:
    version: int
    status: str


@activity.defn(name="skeleton_notify")
def skeleton_notify(key: str) -> bool:
    return True


@activity.defn(name="skeleton_project")
def skeleton_project(version: int) -> None:
    return None


@workflow.defn(name="SkeletonCase")
class SkeletonCase:
    @workflow.init
    def __init__(self, start: SkeletonStart) -> None:
        self.version = 1
        self.status = "triage"
        self.pending = start.notices
        self.closed = False
        self.projected = -1
        self.upsert = True

    @workflow.run
    async def run(self, start: SkeletonStart) -> str:
        while True:
            while self.pending:
                await workflow.execute_activity(
                    skeleton_notify, f"n{self.version}", start_to_close_timeout=TIMEOUT
                )
                self.pending -= 1
            if self.upsert:
                workflow.upsert_search_attributes([STATUS.value_set(f"v{self.version}")])
                self.upsert = False
            if self.version != self.projected:
                self.projected = self.version
                await workflow.execute_activity(
                    skeleton_project, self.version, start_to_close_timeout=TIMEOUT
                )
            if self.closed:
                break
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(self._changed, timeout=IDLE)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.status

    def _changed(self) -> bool:
        return self.version != self.projected

    @workflow.query
    def state(self) -> SkeletonState:
        return SkeletonState(version=self.version, status=self.status)

    @workflow.update
    def act(self, action: SkeletonAction) -> SkeletonState:
        self.version += 1
        self.pending += action.notices
        self.upsert = self.upsert or action.upserts
        self.status = "closed" if action.closes else "open"
        self.closed = action.closes
        return SkeletonState(version=self.version, status=self.status)
