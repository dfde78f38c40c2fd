"""A real SMTP server on loopback for email channel tests (aiosmtpd in its own thread).

Records every message it accepts, parsed, and can refuse on purpose: `mode` "ok" accepts,
"tempfail" answers 451 (the sender should retry), "reject" answers 550 (permanent). It can be
stopped and started again on the same port, like `receiver.Receiver`:

    with SmtpServer() as smtp:
        ... configure an email channel with smtp_host="127.0.0.1", smtp_port=smtp.port ...
        smtp.wait_for(lambda m: m["Message-ID"] == "<key@pageguide>")
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Mail:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def __getitem__(self, header: str) -> Any:
        return self.message[header]

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        return body.get_content() if body is not None else ""


class _Recorder:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mode = self.server.mode
        if mode == "tempfail":
            return "451 4.3.0 try again later"
        if mode == "reject":
            return "550 5.1.1 no such mailbox"
        raw = envelope.original_content or envelope.content
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        with self.server.lock:
            self.server.messages.append(
                Mail(envelope.mail_from, list(envelope.rcpt_tos), parsed)  # type: ignore[arg-type]
            )
        return "250 2.0.0 OK"


@dataclass
class SmtpServer:
    port: int = 0
    mode: str = "ok"  # ok | tempfail (451) | reject (550)
    messages: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def start(self) -> SmtpServer:
        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        self._controller = Controller(
            _Recorder(self), hostname="127.0.0.1", port=self.port, ready_timeout=10
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def matching(self, check: Callable[[Mail], bool]) -> list[Mail]:
        with self.lock:
            return [m for m in self.messages if check(m)]

    def wait_for(self, check: Callable[[Mail], bool], timeout: float = 10.0) -> list[Mail]:
        """The recorded messages passing `check`, once there is at least one (blocking)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.matching(check)
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError("no matching email arrived")
            time.sleep(0.05)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
