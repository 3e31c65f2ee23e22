"""Requester data never in clear in Temporal: every payload encrypted with AES-256-GCM.

A payload of more than ``COMPRESS_FROM`` bytes is zlib-compressed before it is sealed, when that
makes it smaller: a case's history is mostly JSON (the changes each projection carries, the
answers people give), which compresses several times over, and history bytes are what the
server stores, sends to every worker that replays the case and counts against its limits.
Compression comes first because ciphertext does not compress. The flag says ``compression:
zlib`` in the clear and is bound into the ciphertext, so it cannot be flipped. Lengths of
compressed ciphertext say a little about how repetitive the plain text was; reading them needs
Temporal's database, which holds nothing else in clear, so that is accepted here.

Workflow inputs, activity inputs and results, signals, updates, queries and failure messages
pass through ``EncryptionCodec`` on their way to and from Temporal, so Temporal's database, its
backups and its Web UI hold ciphertext. Search attributes are not payloads of this kind and stay
readable: they carry no personal data (``workflows/search_attributes.py``).

Keys come by id from ``FOIFLOW_PAYLOAD_KEYS``: the current one (``FOIFLOW_PAYLOAD_KEY_ID``, else
the first listed) encrypts; any listed key decrypts the payloads that name it, so keys rotate
without touching history. Payloads written before encryption (plain JSON) pass through decoding
unchanged. Without ``FOIFLOW_PAYLOAD_KEYS`` a key is generated once into the data directory,
beside the dev server's database it protects.

The web app serves this codec to the Temporal Web UI (``/codec``, FOI officers and admins only):
``codec_exchange`` speaks the codec-server protocol.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import os
import secrets
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.protobuf.json_format import MessageToDict, ParseDict, ParseError
from temporalio.api.common.v1 import Payload, Payloads
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import (
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    PayloadCodec,
)

from services.errors import Rejected, Unavailable
from settings import PAYLOAD_KEY_BYTES, Settings, parse_payload_keys

ENCODING = "encoding"
ENCRYPTED = b"binary/encrypted"
KEY_ID = "encryption-key-id"
COMPRESSION = "compression"
ZLIB = b"zlib"
# Below this a payload (an id, a small result) gains too little from zlib to pay its header.
COMPRESS_FROM = 256
# zlib's fastest level: nearly all of level 6's saving on JSON for a fraction of its CPU.
ZLIB_LEVEL = 1
PAYLOAD_KEYS_FILE = "payload_keys"
SETTING = "FOIFLOW_PAYLOAD_KEYS"
NONCE_BYTES = 12
# Bound into every ciphertext with its key id: a payload cannot be relabelled with another id.
_AAD_PREFIX = b"foiflow-payload-v1:"


class PayloadKeyError(Unavailable):
    """A payload this process cannot decrypt: its key is not listed, or is not the key listed
    under its id. Never passed over as garbage; the message says which key and what to do."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, SETTING)


@dataclass(frozen=True)
class PayloadKeyring:
    """The keys by id, and the id new payloads are encrypted with."""

    current_id: str
    keys: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        if self.current_id not in self.keys:
            raise ValueError(f"current key {self.current_id!r} is not among the keys")


class EncryptionCodec(PayloadCodec):
    """AES-256-GCM over each whole serialised payload (its metadata too), a fresh 96-bit nonce
    per payload; the result says ``encoding: binary/encrypted`` and names its key id."""

    def __init__(self, keyring: PayloadKeyring) -> None:
        self._current_id = keyring.current_id
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}

    @property
    def key_ids(self) -> list[str]:
        return list(self._ciphers)

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        key_id = self._current_id.encode("ascii")
        plain = payload.SerializeToString()
        metadata = {ENCODING: ENCRYPTED, KEY_ID: key_id}
        if len(plain) >= COMPRESS_FROM:
            packed = zlib.compress(plain, ZLIB_LEVEL)
            if len(packed) < len(plain):
                plain, metadata[COMPRESSION] = packed, ZLIB
        nonce = os.urandom(NONCE_BYTES)
        aad = _aad(key_id, metadata.get(COMPRESSION))
        sealed = self._ciphers[self._current_id].encrypt(nonce, plain, aad)
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        if payload.metadata.get(ENCODING) != ENCRYPTED:
            return payload  # written before encryption was on: plain, as it was
        raw_id = payload.metadata.get(KEY_ID)
        if not raw_id:
            raise PayloadKeyError("a payload is marked encrypted but names no key id")
        key_id = raw_id.decode("ascii", errors="replace")
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            listed = ", ".join(self._ciphers) or "none"
            raise PayloadKeyError(
                f"a payload is encrypted with key {key_id!r}, which is not listed (this process "
                f"has {listed}); list that key again: what a key encrypted needs it to be read"
            )
        compression = payload.metadata.get(COMPRESSION)
        if compression not in (None, ZLIB):
            raise PayloadKeyError(
                f"a payload is compressed with {compression!r}, which this release cannot read "
                "(only zlib): a newer release wrote it"
            )
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            plain = cipher.decrypt(nonce, sealed, _aad(raw_id, compression))
        except InvalidTag:
            raise PayloadKeyError(
                f"a payload encrypted with key {key_id!r} does not decrypt with the key listed "
                f"under that id: this process holds a different key named {key_id!r} (every "
                "process must list the same keys), or the payload was altered"
            ) from None
        if compression == ZLIB:
            plain = zlib.decompress(plain)
        return Payload.FromString(plain)


def _aad(key_id: bytes, compression: bytes | None) -> bytes:
    # Payloads sealed before compression existed carry the bare prefix and key id.
    aad = _AAD_PREFIX + key_id
    return aad if compression is None else aad + b":" + compression


def _generated(path: Path) -> str:
    """The ``id:base64key`` kept in ``path``, made (mode 0600) when there is none yet.

    Written whole to a temporary file and linked into place, so a process starting beside this
    one reads either no file or a complete key, never half of one.
    """
    if not path.exists():
        key_id = f"local-{secrets.token_hex(4)}"
        line = f"{key_id}:{base64.b64encode(os.urandom(PAYLOAD_KEY_BYTES)).decode('ascii')}\n"
        draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(line)
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(draft, path)
        finally:
            draft.unlink(missing_ok=True)
    return path.read_text("utf-8").strip()


def payload_keyring(settings: Settings) -> PayloadKeyring:
    """The keys of ``settings`` (validated when the settings were read), or the data
    directory's generated key. Never logged, never returned by any API."""
    configured = parse_payload_keys(settings.payload_keys.get_secret_value())
    if configured:
        return PayloadKeyring(settings.payload_key_id or next(iter(configured)), configured)
    try:
        path = settings.ensure_data_dir() / PAYLOAD_KEYS_FILE
        text = _generated(path)
    except OSError as exc:
        raise Unavailable(
            f"cannot keep the generated payload key in {settings.data_dir} "
            f"({exc.strerror or exc}); set FOIFLOW_DATA_DIR to a writable directory, "
            f"or set {SETTING}",
            "FOIFLOW_DATA_DIR",
        ) from None
    try:
        keys = parse_payload_keys(text)
    except ValueError as exc:
        keys, problem = {}, str(exc)
    else:
        problem = "it is empty"
    if len(keys) != 1:
        raise Unavailable(
            f"{path} holds no usable payload key ({problem}); restore it from a backup (what "
            "it encrypted cannot be read without it), or delete it to start a new one",
            SETTING,
        )
    return PayloadKeyring(next(iter(keys)), keys)


def payload_codec(settings: Settings) -> EncryptionCodec:
    return EncryptionCodec(payload_keyring(settings))


def data_converter(settings: Settings) -> DataConverter:
    """The one data converter of every client and worker: pydantic models as JSON, encrypted.

    Failure messages and stack traces go into the encrypted attributes too (they can quote
    what a person sent). A worker and the clients that talk to its cases must share the keys.
    """
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=payload_codec(settings),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


# --- The codec-server protocol (the Temporal Web UI's remote codec) ----------------------------

Direction = Literal["encode", "decode"]


def _payloads(body: object) -> list[Payload]:
    if not isinstance(body, dict) or not isinstance(body.get("payloads"), list):
        raise Rejected('send {"payloads": [...]} (Temporal payloads as protobuf JSON)', "payloads")
    try:
        parsed = ParseDict(body, Payloads())
    except ParseError as exc:
        detail = str(exc).splitlines()[0] if str(exc) else "unreadable"
        raise Rejected(f"not Temporal payloads in protobuf JSON ({detail})", "payloads") from None
    return list(parsed.payloads)


async def codec_exchange(
    settings: Settings, direction: Direction, body: object, namespace: str | None
) -> dict[str, Any]:
    """One ``/encode`` or ``/decode`` call of the codec-server protocol: ``{"payloads": [...]}``
    in and out, each payload as protobuf JSON (metadata values and data in base64).

    ``namespace`` is the caller's ``X-Namespace``: only foiflow's own namespace is served (its
    keys are foiflow's). A payload that does not decrypt is refused naming its position.
    """
    if namespace is not None and namespace != settings.temporal_namespace:
        raise Rejected(
            f"this codec serves the namespace {settings.temporal_namespace!r} only", "X-Namespace"
        )
    payloads = _payloads(body)
    codec = payload_codec(settings)
    if direction == "encode":
        converted = [codec.encrypt(p) for p in payloads]
    else:
        converted = []
        for position, payload in enumerate(payloads):
            try:
                converted.append(codec.decrypt(payload))
            except PayloadKeyError as exc:
                raise Rejected(exc.reason, f"payloads[{position}]") from None
    answer = MessageToDict(Payloads(payloads=converted))
    answer.setdefault("payloads", [])  # protobuf JSON leaves an empty list out
    return answer
