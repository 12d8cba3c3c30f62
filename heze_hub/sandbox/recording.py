"""What a fake service received (recorded requests) and what it answers (responses)."""

from __future__ import annotations

import base64
import json as _json
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email import policy as _email_policy
from email.parser import BytesParser
from typing import Any

JSON_TYPE = "application/json; charset=utf-8"


class Headers(Mapping[str, str]):
    """Request headers: a read-only mapping with case-insensitive keys that keeps the spelling."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._data: dict[str, tuple[str, str]] = {}
        for key, value in items:
            low = key.lower()
            if low in self._data:  # repeated header: join as HTTP allows
                value = f"{self._data[low][1]}, {value}"
            self._data[low] = (key, value)

    def __getitem__(self, key: str) -> str:
        return self._data[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._data

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._data.values())

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"Headers({dict(self)!r})"


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart/form-data body."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedRequest:
    """One request a service received, as it arrived (secrets included: it is a fake)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Headers
    body: bytes
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    # "host:port" of the peer: two requests with the same value came over one connection.
    client: str = ""
    time: float = 0.0
    # Filled in once answered: the HTTP status sent, None when the connection was dropped.
    status: int | None = None
    faulted: bool = False

    def to_dict(self) -> dict[str, Any]:
        try:
            text: str | None = self.body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": dict(self.headers),
            "body": text,
            "body_base64": None if text is not None else base64.b64encode(self.body).decode(),
            "json": self.json,
            "form": self.form,
            "files": {
                name: {"filename": f.filename, "content_type": f.content_type, "size": len(f.data)}
                for name, f in self.files.items()
            },
            "client": self.client,
            "time": self.time,
            "status": self.status,
            "faulted": self.faulted,
        }


def parse_request(
    method: str, target: str, header_items: list[tuple[str, str]], body: bytes, client: str
) -> RecordedRequest:
    split = urllib.parse.urlsplit(target)
    query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
    headers = Headers(header_items)
    content_type = headers.get("Content-Type", "")
    mime = content_type.split(";", 1)[0].strip().lower()
    form: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    parsed_json: Any = None
    if mime == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
            form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict"))
        except (UnicodeDecodeError, ValueError):
            form = {}
    elif mime == "multipart/form-data":
        form, files = _parse_multipart(content_type, body)
    elif body:
        # WeChat clients often post JSON without a JSON content type; read it whenever it parses.
        try:
            parsed_json = _json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            parsed_json = None
    return RecordedRequest(
        method=method,
        path=urllib.parse.unquote(split.path) or "/",
        query=query,
        headers=headers,
        body=body,
        json=parsed_json,
        form=form,
        files=files,
        client=client,
        time=time.time(),
    )


def _parse_multipart(
    content_type: str, body: bytes
) -> tuple[dict[str, str], dict[str, UploadedFile]]:
    message = BytesParser(policy=_email_policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    form: dict[str, str] = {}
    files: dict[str, UploadedFile] = {}
    if not message.is_multipart():
        return form, files
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = UploadedFile(filename, part.get("Content-Type"), data)
        else:
            form[name] = data.decode(part.get_content_charset() or "utf-8", errors="replace")
    return form, files


@dataclass
class Response:
    """An answer: JSON-ready ``body`` (or ``raw`` bytes), status, extra headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON_TYPE
    raw: bytes | None = None

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return _json.dumps(self.body, ensure_ascii=False).encode("utf-8")


def field_set_problems(body: Mapping[str, Any], fields: tuple[str, ...]) -> list[str]:
    """A JSON body's missing and unknown fields against a fake's exact field list."""
    problems = []
    missing = [f for f in fields if f not in body]
    unknown = [f for f in body if f not in fields]
    if missing:
        problems.append("missing field(s): " + ", ".join(missing))
    if unknown:
        problems.append("unknown field(s): " + ", ".join(unknown))
    return problems
