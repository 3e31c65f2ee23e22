"""Requester data is never in clear in Temporal: the payload codec on the real time-skipping
server, with real workers.

What Temporal stores is read with a client that has no codec (as anyone with the database, a
backup or the Web UI without the codec endpoint would see it); the requester's name and email
appear in none of it, while a client with the keys reads the case as before. Keys rotate, a
missing or wrong key is a clear error (never garbage), and plain payloads written before
encryption still decode.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from pydantic import SecretStr, ValidationError
from temporalio.api.common.v1 import Payload, SearchAttributes
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle, WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker

from activities.store_adapters import store_activities
from domain.case import CasePolicy
from domain.messages import RequestInput
from services.errors import Rejected, Unavailable
from services.payload_codec import (
    COMPRESSION,
    ENCODING,
    ENCRYPTED,
    KEY_ID,
    PAYLOAD_KEYS_FILE,
    ZLIB,
    PayloadKeyError,
    codec_exchange,
    data_converter,
    payload_keyring,
)
from services.temporal import case_state, start_case
from settings import Settings, get_settings, settings_problem
from store.calendars import calendar_repository
from worker import SANDBOX, WORKFLOWS
from workflows.request import FoiRequestWorkflow

from case_driver import close_started_cases, route_seed, seed_intake, start_seed

REQUESTER = {"name": "Philippa Quarrington-Vale", "email": "p.quarrington-vale@example.net"}
PERSONAL = [value.encode() for value in REQUESTER.values()]
Handle = WorkflowHandle[FoiRequestWorkflow, Any]


def key(label: str) -> str:
    """A 32-byte key, base64, as FOIFLOW_PAYLOAD_KEYS takes it."""
    return base64.b64encode(label.encode().ljust(32, b"-")[:32]).decode()


KEY_A, KEY_B = f"a:{key('key A')}", f"b:{key('key B')}"


def keyed(keys: str, current: str = "") -> Settings:
    """The test settings with other payload keys, validated as an entry point reads them."""
    Settings(payload_keys=SecretStr(keys), payload_key_id=current)
    return get_settings().model_copy(
        update={"payload_keys": SecretStr(keys), "payload_key_id": current}
    )


def converter(keys: str, current: str = "") -> DataConverter:
    return data_converter(keyed(keys, current))


def client_with(env: WorkflowEnvironment, data: DataConverter) -> Client:
    return Client(env.client.service_client, namespace=env.client.namespace, data_converter=data)


@asynccontextmanager
async def worker_with(
    env: WorkflowEnvironment, executor: ThreadPoolExecutor, data: DataConverter, queue: str
) -> AsyncIterator[Worker]:
    """A worker with its own keys. It caches no case: each task replays the whole history, as
    a worker restarted with new keys does (and no task waits on a stopped worker's sticky
    queue, which the test server never hands back)."""
    worker = Worker(
        client_with(env, data),
        task_queue=queue,
        workflows=WORKFLOWS,
        activities=store_activities(get_settings()).all(),
        activity_executor=executor,
        workflow_runner=SANDBOX,
        max_cached_workflows=0,
    )
    async with worker:
        yield worker


async def start_own(client: Client, queue: str, received: datetime) -> Handle:
    """The demo request on a queue of the test's own (its cases are ended by the test, not by
    ``close_started_cases``: no worker polls the queue afterwards)."""
    intake = seed_intake(received, requester=REQUESTER)
    inp = RequestInput(intake=intake, policy=CasePolicy())
    return await start_case(client, inp, queue, calendar_repository(get_settings()))


def payloads_of(events: Any) -> list[Payload]:
    """Every payload anywhere in the events (inputs, results, updates, failures…), except
    search attributes (readable by design; they carry no personal data) and the SDK's own
    patch markers (``workflow.patched`` ids, written by the core SDK, never through a codec)."""
    found: list[Payload] = []

    def walk(message: Message) -> None:
        if isinstance(message, Payload):
            found.append(message)
            return
        if isinstance(message, SearchAttributes):
            return
        for field, value in message.ListFields():
            if field.type != FieldDescriptor.TYPE_MESSAGE:
                continue
            if field.message_type.GetOptions().map_entry:
                items = list(value.values())
            elif field.is_repeated:
                items = list(value)
            else:
                items = [value]
            for item in items:
                if isinstance(item, Message):
                    walk(item)

    for event in events:
        marker = event.marker_recorded_event_attributes
        if (
            event.HasField("marker_recorded_event_attributes")
            and marker.marker_name == "core_patch"
        ):
            continue
        walk(event)
    return found


async def settled_history(client: Client, reference: str, activities: int) -> WorkflowHistory:
    """The case's history once ``activities`` activities have completed. Polls, bounded."""
    handle = client.get_workflow_handle(reference)
    completed = EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    for _ in range(300):
        history = await handle.fetch_history()
        if sum(1 for e in history.events if e.event_type == completed) >= activities:
            return history
        await asyncio.sleep(0.05)
    raise AssertionError(f"{reference}: fewer than {activities} activities ever completed")


@pytest.fixture(autouse=True)
async def close_cases() -> AsyncIterator[None]:
    yield
    await close_started_cases()


async def test_temporal_holds_no_requester_data_in_clear(
    env: WorkflowEnvironment, worker: Worker
) -> None:
    handle = await start_seed(
        env.client, worker.task_queue, await env.get_current_time(), requester=REQUESTER
    )
    await route_seed(handle)  # more activity inputs carrying the case (project_case…)
    await settled_history(env.client, handle.id, activities=2)

    # What the server stores, read without the codec.
    plain = client_with(env, pydantic_data_converter)
    stored = await plain.get_workflow_handle(handle.id).fetch_history()
    raw = b"".join(event.SerializeToString() for event in stored.events)
    for value in PERSONAL:
        assert value not in raw, f"{value!r} is in Temporal's history in clear"
    payloads = payloads_of(stored.events)
    assert len(payloads) > 5
    unencrypted = [p for p in payloads if p.metadata.get("encoding") != ENCRYPTED]
    assert not unencrypted, f"{len(unencrypted)} payloads in clear: {unencrypted[:1]}"
    assert {p.metadata[KEY_ID] for p in payloads} == {b"tests"}
    assert any(p.metadata.get(COMPRESSION) == ZLIB for p in payloads)  # the big ones
    with pytest.raises(Exception, match="binary/encrypted"):
        await plain.get_workflow_handle(handle.id).query("state")

    # With the keys, the case reads as it always did.
    view = await case_state(env.client, handle.id)
    assert view.requester is not None
    assert (view.requester.name, view.requester.email) == (REQUESTER["name"], REQUESTER["email"])

    # The recorded history replays with the keys (a worker picking the case up again).
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=env.client.data_converter, workflow_runner=SANDBOX
    )
    result = await replayer.replay_workflow(stored, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


async def test_keys_rotate_and_old_history_still_decodes(
    env: WorkflowEnvironment, executor: ThreadPoolExecutor
) -> None:
    queue = f"rotation-{uuid.uuid4()}"
    only_a = converter(KEY_A)
    async with worker_with(env, executor, only_a, queue):
        handle = await start_own(client_with(env, only_a), queue, await env.get_current_time())
        await settled_history(env.client, handle.id, activities=1)

    # B added and made current; A stays listed for what it encrypted.
    rotated = converter(f"{KEY_A},{KEY_B}", current="b")
    reader = client_with(env, rotated)
    case: Handle = reader.get_workflow_handle_for(FoiRequestWorkflow.run, handle.id)
    try:
        async with worker_with(env, executor, rotated, queue):
            await route_seed(case)
            view = await case_state(reader, handle.id)
            assert view.requester is not None
            assert view.requester.email == REQUESTER["email"]
            assert [t.unit for t in view.tasks][:1] == ["vawg"]  # written under B, read back
            stored = await case.fetch_history()
            ids = {p.metadata.get(KEY_ID) for p in payloads_of(stored.events)}
            assert ids == {b"a", b"b"}, ids

            # Dropping A too early: what A encrypted is refused naming the key, never garbled.
            started = stored.events[0].workflow_execution_started_event_attributes.input
            without_a = converter(KEY_B)
            with pytest.raises(PayloadKeyError, match="key 'a', which is not listed"):
                await without_a.decode(started.payloads, [RequestInput])
            # The same id over different key material: refused, not decrypted into garbage.
            impostor = converter(f"a:{key('not key A')},{KEY_B}", "b")
            with pytest.raises(PayloadKeyError, match="does not decrypt with the key listed"):
                await impostor.decode(started.payloads, [RequestInput])
            [inp] = await rotated.decode(started.payloads, [RequestInput])
            assert inp.intake.requester.email == REQUESTER["email"]
    finally:
        await case.terminate("rotation test over")


async def test_a_worker_without_the_key_fails_its_task_visibly(
    env: WorkflowEnvironment, executor: ThreadPoolExecutor
) -> None:
    queue = f"keyless-{uuid.uuid4()}"
    with_a = client_with(env, converter(KEY_A))
    handle = await start_own(with_a, queue, await env.get_current_time())
    only_b = converter(KEY_B)
    failed = EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    failure = None
    try:
        async with worker_with(env, executor, only_b, queue):
            for _ in range(200):
                history = await handle.fetch_history()
                failures = [e for e in history.events if e.event_type == failed]
                if failures:
                    failure = failures[0].workflow_task_failed_event_attributes.failure
                    break
                await asyncio.sleep(0.05)
    finally:
        await handle.terminate("keyless test over")
    assert failure is not None, "the workflow task never failed"
    assert failure.message == "Encoded failure"  # its text is encrypted too (it may quote data)
    error = await only_b.decode_failure(failure)  # with the worker's own key
    assert "key 'a', which is not listed" in str(error), str(error)
    assert "FOIFLOW_PAYLOAD_KEYS" in str(error)


async def test_a_history_recorded_before_encryption_replays() -> None:
    # tests/histories hold plain payloads, as every case started before encryption has.
    # (tests/workflows/test_replay.py replays them all with the encrypting converter.)
    histories = Path(__file__).resolve().parents[1] / "histories"
    path = histories / "seed_on_time.json"
    history = WorkflowHistory.from_json("seed_on_time", path.read_text())
    payloads = payloads_of(history.events)
    assert payloads and not any(p.metadata.get("encoding") == ENCRYPTED for p in payloads)
    codec = data_converter(get_settings()).payload_codec
    assert codec is not None
    assert await codec.decode(payloads) == payloads
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=data_converter(get_settings()), workflow_runner=SANDBOX
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, result.replay_failure


# --- Settings: where the keys are entered -----------------------------------------------------


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (
            {"FOIFLOW_PAYLOAD_KEYS": key("k")},
            "FOIFLOW_PAYLOAD_KEYS: entry 1 is not ID:BASE64KEY",
        ),
        ({"FOIFLOW_PAYLOAD_KEYS": "k1:not*base64"}, "FOIFLOW_PAYLOAD_KEYS: key 'k1' is not base64"),
        (
            {"FOIFLOW_PAYLOAD_KEYS": f"k1:{base64.b64encode(b'x' * 16).decode()}"},
            "FOIFLOW_PAYLOAD_KEYS: key 'k1' is 16 bytes; AES-256 needs 32",
        ),
        (
            {"FOIFLOW_PAYLOAD_KEYS": f"{KEY_A},{KEY_A}"},
            "FOIFLOW_PAYLOAD_KEYS: key id 'a' is listed twice",
        ),
        (
            {"FOIFLOW_PAYLOAD_KEYS": f"a b:{key('k')}"},
            "FOIFLOW_PAYLOAD_KEYS: entry 1: a key id is 1 to 64 letters",
        ),
        (
            {"FOIFLOW_PAYLOAD_KEYS": KEY_A, "FOIFLOW_PAYLOAD_KEY_ID": "c"},
            "FOIFLOW_PAYLOAD_KEY_ID: no key 'c' in FOIFLOW_PAYLOAD_KEYS (it lists a)",
        ),
        (
            {"FOIFLOW_TEMPORAL_UI_ORIGINS": "https://temporal.example.org/ui"},
            "FOIFLOW_TEMPORAL_UI_ORIGINS: 'https://temporal.example.org/ui' is not an origin",
        ),
    ],
)
def test_bad_key_settings_are_one_line_naming_the_setting(
    env: dict[str, str], said: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as caught:
        Settings()
    problem = settings_problem(caught.value)
    assert problem.startswith(said), problem
    assert "\n" not in problem
    assert key("k") not in str(caught.value) and key("key A") not in str(caught.value)


def test_without_keys_one_is_generated_once_into_the_data_directory(tmp_path: Path) -> None:
    settings = get_settings().model_copy(
        update={"payload_keys": SecretStr(""), "data_dir": tmp_path}
    )
    first = payload_keyring(settings)
    assert first.current_id.startswith("local-")
    path = tmp_path / PAYLOAD_KEYS_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    assert payload_keyring(settings) == first  # the same key on every start

    path.write_text("half a key\n")
    with pytest.raises(Unavailable, match="holds no usable payload key"):
        payload_keyring(settings)


async def test_big_payloads_are_compressed_before_they_are_sealed() -> None:
    data = converter(KEY_A)
    answer = {
        "kind": "exempt",
        "reasoning": "Disclosure would prejudice the prevention of crime. " * 40,
    }
    [big] = await data.encode([answer])
    plain = (await pydantic_data_converter.encode([answer]))[0]
    assert big.metadata[COMPRESSION] == ZLIB
    assert len(big.data) * 5 < len(plain.data)  # what the history stores for it
    assert await data.decode([big], [dict]) == [answer]

    [small] = await data.encode([{"version": 3}])
    assert COMPRESSION not in small.metadata
    assert await data.decode([small], [dict]) == [{"version": 3}]

    # The flag is sealed with the payload: removed, it is refused, never inflated wrongly.
    stripped = Payload(metadata={ENCODING: ENCRYPTED, KEY_ID: b"a"}, data=big.data)
    with pytest.raises(PayloadKeyError, match="does not decrypt with the key listed"):
        await data.decode([stripped], [dict])
    unknown = Payload(metadata={**big.metadata, COMPRESSION: b"zstd"}, data=big.data)
    with pytest.raises(PayloadKeyError, match="compressed with b'zstd'"):
        await data.decode([unknown], [dict])


async def test_payloads_sealed_before_compression_still_decode() -> None:
    # As every payload in a history written by the release before compression was sealed.
    plain = (await pydantic_data_converter.encode([{"text": "word " * 200}]))[0]
    nonce = b"\x01" * 12
    sealed = AESGCM(b"key A".ljust(32, b"-")).encrypt(
        nonce, plain.SerializeToString(), b"foiflow-payload-v1:a"
    )
    old = Payload(metadata={ENCODING: ENCRYPTED, KEY_ID: b"a"}, data=nonce + sealed)
    assert await converter(KEY_A).decode([old], [dict]) == [{"text": "word " * 200}]


async def test_the_codec_exchange_refuses_what_it_cannot_serve() -> None:
    settings = keyed(KEY_A)
    plain = (await pydantic_data_converter.encode([{"x": 1}]))[0]
    wire = {
        "payloads": [
            {
                "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
                "data": base64.b64encode(plain.data).decode(),
            }
        ]
    }
    sealed = await codec_exchange(settings, "encode", wire, settings.temporal_namespace)
    assert sealed["payloads"][0]["metadata"][KEY_ID] == base64.b64encode(b"a").decode()
    opened = await codec_exchange(settings, "decode", sealed, None)
    assert opened == wire
    assert await codec_exchange(settings, "decode", wire, None) == wire  # plain passes through

    with pytest.raises(Rejected, match="X-Namespace: this codec serves the namespace"):
        await codec_exchange(settings, "decode", sealed, "someone-else")
    with pytest.raises(Rejected, match=r"payloads\[0\]: a payload is encrypted with key 'a'"):
        await codec_exchange(keyed(KEY_B), "decode", sealed, None)
    with pytest.raises(Rejected, match=r"payloads: not Temporal payloads .*no field named"):
        await codec_exchange(settings, "decode", {"payloads": [{"bogus": 1}]}, None)
    with pytest.raises(Rejected, match=r'payloads: send \{"payloads"'):
        await codec_exchange(settings, "decode", ["not", "an", "object"], None)
