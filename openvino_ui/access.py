"""Who may do what: the key and role policy that the REST routes, the Gradio API and the Models tab
share (no web framework here; each adapter reads the key its own way and asks this policy).

    API keys (--api-key, OPENVINO_UI_API_KEYS)    when set, every /v1 route needs one of them (or an
                                                  admin key) as `Authorization: Bearer KEY`
    admin keys (--admin-key, OPENVINO_UI_ADMIN_KEYS)  when set, managing models (load, unload:
                                                  whatever changes what is served) needs one of them,
                                                  on every surface (REST, Gradio API, Models tab)
    read-only (--read-only)                       managing models is refused everywhere

Roles: "admin" (an admin key), "user" (an API key), "anonymous" (no key, or one that is not ours).
Keys are compared in constant time (hmac.compare_digest over their SHA-256 digests, so neither
their content nor their length leaks through timing) and never logged or shown: this object's
repr counts them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from .errors import UserError

Role = Literal["admin", "user", "anonymous"]

API_KEYS_ENV = "OPENVINO_UI_API_KEYS"
ADMIN_KEYS_ENV = "OPENVINO_UI_ADMIN_KEYS"
# A key is one token of printable ASCII without spaces or commas (commas separate keys in the
# environment variables), as an HTTP header carries it.
MAX_KEY_CHARS = 512


# What the admin role guards, for the messages.
MANAGING = "Managing models (load, unload, reload, versions, properties, add, remove, benchmark)"


class KeyRequired(UserError):
    """No key, or a key this server does not know, where one is needed (HTTP 401)."""

    title = "Key required"
    status = 401
    code = "invalid_api_key"  # type: invalid_request_error, as OpenAI's 401 says


class NotAllowed(UserError):
    """A valid key whose role may not do this, or a server that refuses it to everyone (HTTP 403)."""

    title = "Not allowed"
    status = 403
    code = "admin_key_required"


class ReadOnly(NotAllowed):
    title = "Read-only server"
    code = "read_only"


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def _matches(key: str, digests: Sequence[bytes]) -> bool:
    """True if `key` is one of the keys behind `digests`; every digest is compared (no early exit)."""
    probe = _digest(key)
    found = False
    for digest in digests:
        found |= hmac.compare_digest(probe, digest)
    return found


def key_problem(key: str) -> str | None:
    """Why `key` cannot be a key (None when it can); the message never quotes the key."""
    if not key:
        return "a key must not be empty"
    if len(key) > MAX_KEY_CHARS:
        return f"a key may have at most {MAX_KEY_CHARS} characters"
    if not all("!" <= c <= "~" and c != "," for c in key):
        return "a key may hold only printable ASCII characters, without spaces or commas"
    return None


def keys_from_env(name: str) -> tuple[str, ...]:
    """The comma-separated keys of environment variable `name` (empty items ignored)."""
    return tuple(k.strip() for k in os.environ.get(name, "").split(",") if k.strip())


@dataclass(frozen=True)
class AccessPolicy:
    """The keys and switches of one server. The default lets everyone do everything (no keys)."""

    api_keys: tuple[str, ...] = field(default=(), repr=False)
    admin_keys: tuple[str, ...] = field(default=(), repr=False)
    read_only: bool = False
    _api: tuple[bytes, ...] = field(default=(), init=False, repr=False, compare=False)
    _admin: tuple[bytes, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key in (*self.api_keys, *self.admin_keys):
            problem = key_problem(key)
            if problem:
                raise ValueError(f"invalid key: {problem}")
        object.__setattr__(self, "_api", tuple(_digest(k) for k in self.api_keys))
        object.__setattr__(self, "_admin", tuple(_digest(k) for k in self.admin_keys))

    @classmethod
    def of(
        cls, api_keys: Iterable[str] = (), admin_keys: Iterable[str] = (), read_only: bool = False
    ) -> AccessPolicy:
        """A policy from keys as given (duplicates dropped, order kept)."""
        return cls(tuple(dict.fromkeys(api_keys)), tuple(dict.fromkeys(admin_keys)), read_only)

    def __repr__(self) -> str:
        return (
            f"AccessPolicy({len(self.api_keys)} API key(s), {len(self.admin_keys)} admin key(s), "
            f"read_only={self.read_only})"
        )

    # -- what is required ---------------------------------------------------------------------------

    @property
    def api_key_required(self) -> bool:
        """True when the /v1 routes need a key (an API key or an admin key)."""
        return bool(self._api)

    @property
    def admin_key_required(self) -> bool:
        """True when managing models needs an admin key (and the server is not read-only)."""
        return bool(self._admin) and not self.read_only

    @property
    def can_manage(self) -> bool:
        """False when no key can manage models (read-only)."""
        return not self.read_only

    def role(self, key: str | None) -> Role:
        """The role of `key` (None or "": anonymous). An admin key is also a valid API key."""
        if not key:
            return "anonymous"
        if _matches(key, self._admin):
            return "admin"
        if _matches(key, self._api):
            return "user"
        return "anonymous"

    # -- checks (each raises KeyRequired, 401, or NotAllowed, 403) -----------------------------------

    def check_api(self, key: str | None) -> Role:
        """The role of the caller of a /v1 route; KeyRequired when API keys are set and `key` is none
        of them (nor an admin key)."""
        role = self.role(key)
        if self.api_key_required and role == "anonymous":
            if not key:
                raise KeyRequired(
                    "This server needs an API key: send it as the header 'Authorization: Bearer <key>' "
                    "(with the OpenAI SDK: api_key=...)."
                )
            raise KeyRequired("The API key is not valid for this server; check the key you sent.")
        return role

    def check_management(self, key: str | None) -> Role:
        """May the holder of `key` load or unload models? ReadOnly under --read-only; with admin keys
        set, KeyRequired without a key (or with one this server does not know) and NotAllowed with
        an API key that is not an admin key."""
        if self.read_only:
            raise ReadOnly(
                "This server is read-only (--read-only): models cannot be loaded, unloaded, reloaded, "
                "added, removed or benchmarked here; each loads on its first request."
            )
        role = self.role(key)
        if not self._admin or role == "admin":
            return role
        if role == "user":
            raise NotAllowed(
                f"{MANAGING} needs an admin key; the key you sent is an API key. Send an admin key "
                "(--admin-key on the server)."
            )
        if not key:
            raise KeyRequired(f"{MANAGING} needs an admin key; none was sent.")
        raise KeyRequired(f"{MANAGING} needs an admin key; the key you sent is not valid.")

    def management_note(self) -> str:
        """One line for the Models tab on what managing models needs here ("" when nothing)."""
        if self.read_only:
            return (
                "Model management is off: this server is read-only (`--read-only`). Each model loads on "
                "its first request."
            )
        if self._admin:
            return f"{MANAGING} needs the admin key (it stays in this page only)."
        return ""
