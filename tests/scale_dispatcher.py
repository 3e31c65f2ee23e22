"""The scale-out test's dispatcher outside working hours: ``foiflow dispatch``'s loop, its clock
moved forward by ``SCALE_DISPATCH_CLOCK_SHIFT_S`` seconds into the next working hours.

The dispatcher sends only on working days within the authority's hours; a test run on a Saturday
would otherwise see no mail at all. Only the dispatcher's idea of "now" moves: what it claims,
renders and sends, and how it records it, are the real dispatcher's.
"""

from __future__ import annotations

import asyncio
import os
import signal
from datetime import datetime, timedelta

from delivery.dispatcher import dispatch_forever, utc_now
from logging_setup import configure_logging
from services.delivery import build_dispatcher, temporal_requesters
from services.temporal import connect_client
from settings import get_settings


async def main() -> None:
    settings = get_settings()
    configure_logging(settings)
    shift = timedelta(seconds=float(os.environ["SCALE_DISPATCH_CLOCK_SHIFT_S"]))

    def shifted() -> datetime:
        return utc_now() + shift

    client = await connect_client(settings)
    loop = asyncio.get_running_loop()
    dispatcher = build_dispatcher(
        settings, requester=temporal_requesters(client, loop), clock=shifted
    )
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await dispatch_forever(dispatcher, settings.dispatch_interval_seconds, stop)


if __name__ == "__main__":
    asyncio.run(main())
