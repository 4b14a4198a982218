"""The conversation machine on an authenticated deployment, step by step: no threads, no
sockets, no clock (the mobile SDK's AuthHandlerImpl is the model of the 401 and its 3 tries)."""

from __future__ import annotations

import base64
import json
from typing import Any, TypeVar

from cxbus.runtime import machine_runner as effects
from cxbus.runtime.machine_runner import CallFailed, CallSucceeded, TimerFired, Updated
from cxbus_messaging import calls
from cxbus_messaging.guest_api import AuthTokens, DeploymentConfig, parse_frame
from cxbus_messaging.inputs import Answered, Configure, Logout, StartConversation, Timer
from cxbus_messaging.machine import ConversationMachine
from cxbus_messaging.states import Active, Connecting, Idle, Settings

A = TypeVar("A")
NOW = 1_700_000_000.0


def jwt(exp: float) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": int(exp)}).encode()).decode()
    return f"eyJhbGciOiJIUzI1NiJ9.{payload.rstrip('=')}.sig"


def call(out: list[effects.Effect], action: type[A]) -> effects.Call[A]:
    (found,) = [e for e in out if isinstance(e, effects.Call) and isinstance(e.action, action)]
    return found


def names(out: list[effects.Effect]) -> list[str]:
    return [e.name for e in out if isinstance(e, effects.Publish)]


def machine() -> ConversationMachine:
    chat = ConversationMachine(
        Settings(deployment_id="deployment", authenticated=True), None, lambda: NOW
    )
    load = call(chat.handle(Configure(1)), calls.LoadDeployment)
    chat.handle(CallSucceeded(load.id, DeploymentConfig("deployment")))
    return chat


def session_frame(code: int = 200) -> Any:
    if code != 200:
        body: Any = "User is unauthorized"
        return parse_frame({"type": "response", "class": "string", "code": code, "body": body})
    body = {"connected": True, "newSession": True, "readOnly": False}
    return parse_frame({"type": "response", "class": "SessionResponse", "code": 200, "body": body})


def signed_in(chat: ConversationMachine, tokens: AuthTokens) -> effects.Call[calls.Connect]:
    """startConversation: the sign-in succeeds with ``tokens``; the Connect that follows."""
    sign_in = call(chat.handle(StartConversation(2)), calls.SignInCall)
    assert isinstance(chat.state, Connecting)
    out = chat.handle(CallSucceeded(sign_in.id, tokens))
    assert names(out) == ["authenticated"]
    return call(out, calls.Connect)


def test_the_session_is_configured_with_the_jwt_once_signed_in() -> None:
    # ConfigureAuthenticatedSessionRequest: the JWT in data.code.
    chat = machine()
    connect = signed_in(chat, AuthTokens(jwt(NOW + 900), "refresh"))
    request = json.loads(connect.action.configure.to_json())
    assert request["action"] == "configureAuthenticatedSession"
    assert request["data"] == {"code": jwt(NOW + 900)}


def test_a_401_renews_the_jwt_and_configures_again() -> None:
    chat = machine()
    connect = signed_in(chat, AuthTokens(jwt(NOW + 900), "refresh"))
    chat.handle(CallSucceeded(connect.id, None))
    out = chat.handle(
        Updated(chat.generation, Answered(connect.action.configure, session_frame(401)))
    )
    refresh = call(out, calls.RefreshJwt)
    out = chat.handle(CallSucceeded(refresh.id, AuthTokens(jwt(NOW + 1800), "refresh")))
    (again,) = call(out, calls.Send).action.requests
    assert json.loads(again.to_json())["data"] == {"code": jwt(NOW + 1800)}
    out = chat.handle(Updated(chat.generation, Answered(again, session_frame())))
    assert isinstance(chat.state, Active)
    started = [e.data for e in out if isinstance(e, effects.Publish) and e.name == "started"]
    assert started[0]["authenticated"] is True


def test_three_failed_renewals_end_the_session() -> None:
    chat = machine()
    connect = signed_in(chat, AuthTokens(jwt(NOW + 900), "refresh"))
    chat.handle(CallSucceeded(connect.id, None))
    chat.handle(Updated(chat.generation, Answered(connect.action.configure, session_frame())))
    out = chat.handle(TimerFired(Timer.JWT_REFRESH.value))
    for attempt in range(3):
        refresh = call(out, calls.RefreshJwt)
        out = chat.handle(CallFailed(refresh.id, "The JWT refresh: the server answered 500.", 500))
        assert isinstance(chat.state, Active if attempt < 2 else Idle)
    assert names(out) == ["error"]
    assert any(isinstance(e, effects.Forget) for e in out)
    assert chat.auth is None
    assert [e for e in chat.handle(Logout(3)) if isinstance(e, effects.Refuse)]
