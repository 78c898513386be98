"""A real SMTP server (aiosmtpd) in the test process, recording every message it accepts."""

import re
import socket
import threading

import pytest
from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.MULTILINE | re.IGNORECASE)


class Recorder:
    def __init__(self):
        self.messages: list[bytes] = []
        self.rcpt: list[list[str]] = []
        self.lock = threading.Lock()
        self.refuse = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's API)
        if self.refuse:
            return "451 try again later"
        with self.lock:
            self.messages.append(envelope.content)
            self.rcpt.append(list(envelope.rcpt_tos))
        return "250 OK"

    def message_ids(self) -> list[str]:
        with self.lock:
            return [MESSAGE_ID.search(m).group(1).decode() for m in self.messages]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    recorder.port = port
    yield recorder
    controller.stop()
