"""The client side of the Web Messaging guest API (cxbus_messaging.guest_api) against the emulator.

A websocket-client socket carries the requests the builders make; every frame
that comes back is read by ``parse_frame`` and matched by ``PendingRequests``;
``GuestRestApi`` makes the HTTP calls. Real sockets, no mocks.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import websocket

from cxbus_emulator import Emulator
from cxbus_messaging.guest_api import (
    Attachment,
    DeploymentNotFound,
    Endpoints,
    Frame,
    GuestRestApi,
    JwtResponse,
    PendingRequests,
    PresignedUrlResponse,
    Request,
    RestError,
    SessionResponse,
    StructuredMessage,
    UploadSuccessEvent,
    actions,
    parse_frame,
)

from .conftest import TlsEmulator


class Client:
    """One guest socket driven by the protocol layer alone."""

    def __init__(self, emulator: Emulator) -> None:
        config = emulator.messaging_config()
        self.deployment_id = config["deploymentId"]
        self.endpoints = Endpoints.for_base_url(config["baseURL"])
        self.token = str(uuid.uuid4())
        self.socket = websocket.create_connection(
            self.endpoints.websocket_url(self.deployment_id, "cxbus-tests"),
            timeout=5,
            origin=self.endpoints.origin,
        )
        self.pending = PendingRequests()
        self.pushed: list[Frame] = []

    def send(self, request: Request) -> Request:
        self.pending.add(request, time.monotonic())
        self.socket.send(request.to_json())
        return request

    def answer(self, request: Request) -> Frame:
        """Read frames until the one ``PendingRequests`` matches to ``request``."""
        self.send(request)
        while True:
            frame = parse_frame(self.socket.recv())
            if self.pending.match(frame) is request:
                return frame
            self.pushed.append(frame)

    def next_pushed(self, wanted: type) -> Frame:
        while True:
            frame = parse_frame(self.socket.recv())
            if isinstance(frame.body, wanted) and self.pending.match(frame) is None:
                return frame

    def close(self) -> None:
        self.socket.close()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    guest = Client(emulator)
    yield guest
    guest.close()


@pytest.fixture
def rest(client: Client) -> GuestRestApi:
    return GuestRestApi(client.endpoints, timeout=5)


def test_a_conversation_through_the_protocol_layer(
    emulator: Emulator, client: Client, rest: GuestRestApi
) -> None:
    configured = client.answer(actions.configure_session(client.token, client.deployment_id))
    assert isinstance(configured.body, SessionResponse) and configured.body.new_session
    assert configured.body.allowed_media is not None
    assert configured.body.allowed_media.accepts("image/png")
    hello = actions.text_message("hello", custom_attributes={"plan": "gold"})
    echo = client.answer(actions.on_message(client.token, hello))
    assert isinstance(echo.body, StructuredMessage) and echo.body.inbound
    session_id = emulator.messaging.session_id(client.token)
    assert emulator.messaging.describe(session_id)["customAttributes"] == {"plan": "gold"}
    emulator.messaging.agent_send_quick_replies(session_id, "Pick one")
    offer = client.next_pushed(StructuredMessage).body
    assert isinstance(offer, StructuredMessage) and len(offer.content) == 3
    health = client.answer(actions.echo(client.token))
    assert isinstance(health.body, StructuredMessage) and health.body.text == "ping"
    jwt = client.answer(actions.get_jwt(client.token)).body
    assert isinstance(jwt, JwtResponse) and not jwt.expires_within(5, time.time())
    page = rest.history(jwt.jwt, page_size=1)
    assert [m.text for m in page.messages] == ["Pick one"] and not page.last
    older = rest.history(jwt.jwt, page_number=2, page_size=1)
    assert [m.text for m in older.messages] == ["hello"] and older.last
    assert len(client.pending) == 0


def test_the_deployment_configuration_is_read(emulator: Emulator, rest: GuestRestApi) -> None:
    emulator.messaging.set_deployment(auto_start=True)
    config = rest.deployment_config(emulator.messaging.deployment_id)
    assert config.id == emulator.messaging.deployment_id and config.status == "Active"
    assert config.auto_start and config.uploads_enabled and config.clear_enabled
    assert config.disconnect_type == "ReadOnly" and config.show_user_typing
    assert config.session_duration_seconds == 72 * 3600
    with pytest.raises(DeploymentNotFound) as unknown:
        rest.deployment_config("nope")
    assert unknown.value.status == 404
    assert str(unknown.value) == (
        f"no deployment with this deploymentId at {unknown.value.where} "
        "(its config.json answered 404)"
    )
    assert emulator.data_url.endswith(unknown.value.where)


def test_a_file_goes_up_with_its_presigned_headers_and_comes_back(
    client: Client, rest: GuestRestApi
) -> None:
    client.answer(actions.configure_session(client.token, client.deployment_id))
    data = b"%PDF-1.4 a small pdf"
    request = actions.on_attachment(
        client.token, str(uuid.uuid4()), "terms.pdf", "application/pdf", len(data)
    )
    presigned = client.answer(request).body
    assert isinstance(presigned, PresignedUrlResponse)
    rest.upload(presigned.url, presigned.headers, data, "terms.pdf")
    uploaded = client.next_pushed(UploadSuccessEvent).body
    assert isinstance(uploaded, UploadSuccessEvent)
    assert uploaded.attachment_id == request.attachment_id
    message = actions.text_message("the terms", attachment_ids=[presigned.attachment_id])
    echo = client.answer(actions.on_message(client.token, message)).body
    assert isinstance(echo, StructuredMessage)
    (carried,) = echo.content
    assert isinstance(carried, Attachment) and carried.url is not None
    assert carried == Attachment(
        presigned.attachment_id, carried.url, "terms.pdf", len(data), "File", "application/pdf"
    )
    assert rest.download(carried.url) == data
    fresh = client.answer(actions.get_attachment(client.token, presigned.attachment_id)).body
    assert isinstance(fresh, PresignedUrlResponse) and fresh.file_size == len(data)
    assert rest.download(fresh.url) == data


def test_history_refusals_are_rest_errors_that_keep_the_jwt_out(
    emulator: Emulator, client: Client, rest: GuestRestApi
) -> None:
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJ4In0.forged"
    with pytest.raises(RestError) as refused:
        rest.history(forged)
    assert refused.value.status == 401 and "eyJ" not in str(refused.value)
    client.answer(actions.configure_session(client.token, client.deployment_id))
    jwt = client.answer(actions.get_jwt(client.token)).body
    assert isinstance(jwt, JwtResponse)
    emulator.messaging.fail_rest("*/messages", status=429, retry_after=7)
    with pytest.raises(RestError) as limited:
        rest.history(jwt.jwt)
    assert limited.value.status == 429 and limited.value.retry_after == 7
    # Two 503s are retried away; four are not.
    emulator.messaging.fail_rest("*/messages", status=503, count=2)
    assert rest.history(jwt.jwt).messages == ()
    emulator.messaging.fail_rest("*/messages", status=503, count=4)
    with pytest.raises(RestError) as unavailable:
        rest.history(jwt.jwt)
    assert unavailable.value.status == 503


def test_a_server_that_cannot_be_reached_is_a_rest_error_without_the_url() -> None:
    api = GuestRestApi(Endpoints.for_base_url("http://127.0.0.1:9"), timeout=2)
    with pytest.raises(RestError) as unreachable:
        api.download("http://127.0.0.1:9/file?signature=secret")
    assert unreachable.value.status == 0 and "secret" not in str(unreachable.value)


def test_every_frame_of_a_demo_conversation_is_read_into_a_known_class() -> None:
    with Emulator(agent_join_delay=0.01, agent_typing_delay=0.01) as emulator:
        client = Client(emulator)
        client.answer(actions.configure_session(client.token, client.deployment_id))
        for text in ("hello", "options", "card", "disconnect"):
            client.answer(actions.on_message(client.token, actions.text_message(text)))
        # The bot answers each line in turn; the last answer turns the session read-only.
        while not any(
            isinstance(f.body, StructuredMessage) and f.body.read_only for f in client.pushed
        ):
            client.pushed.append(parse_frame(client.socket.recv()))
        kinds = [type(f.body).__name__ for f in client.pushed]
        assert set(kinds) == {"StructuredMessage"}
        bodies = [f.body for f in client.pushed if isinstance(f.body, StructuredMessage)]
        assert sum(1 for b in bodies if b.typing is not None) == 5  # greeting and 4 answers
        content = [type(c).__name__ for b in bodies for c in b.content]
        assert content == ["QuickReply"] * 3 + ["Card"]
        client.close()


def test_cabundle_wins_over_the_environment_s_bundle_on_rest_and_fills_in_for_it(
    tls: TlsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoints = Endpoints.for_base_url(tls.emulator.messaging_config()["baseURL"])
    deployment = tls.emulator.messaging.deployment_id
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.stranger))
    trusted = GuestRestApi(endpoints, timeout=5, ca_bundle=str(tls.signer))
    assert trusted.deployment_config(deployment).id == deployment
    with pytest.raises(RestError, match="could not be reached"):
        GuestRestApi(endpoints, timeout=5).deployment_config(deployment)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls.signer))
    assert GuestRestApi(endpoints, timeout=5).deployment_config(deployment).id == deployment


def test_conversations_that_read_config_json_at_the_same_time_share_one_request(
    emulator: Emulator,
) -> None:
    endpoints = Endpoints.for_base_url(emulator.messaging_config()["baseURL"])
    deployment = emulator.messaging.deployment_id
    emulator.messaging.fail_rest("*/config.json", status=None, count=1, delay=1.0)
    together = threading.Barrier(2)

    def read() -> tuple[str, float]:
        together.wait(timeout=5)
        began = time.monotonic()
        config = GuestRestApi(endpoints, timeout=5).deployment_config(deployment)
        return config.id, time.monotonic() - began

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        reads = [pool.submit(read) for _ in range(2)]
        outcomes = [done.result(timeout=10) for done in reads]
    assert [read_id for read_id, _ in outcomes] == [deployment, deployment]
    # Only the first request is held back by the server: the other read waited for it.
    assert min(took for _, took in outcomes) > 0.5
    assert GuestRestApi(endpoints, timeout=5).deployment_config(deployment).id == deployment
