"""How a chat ends on the emulator, and how a guest steps away and comes back."""

from __future__ import annotations

import pytest
import requests
import websocket

from cxbus_emulator import Emulator

from .gms import GmsChat
from .guest import Guest, change_of, of_type, shape, wait_until
from .messenger import Messenger


def joined_with_agent(emulator: Emulator, guest: Guest) -> str:
    """An agent answers; the frames up to the ACD member's member-leave are read."""
    agent_id = emulator.agent_join(guest.id, "Alex")
    guest.frame(lambda f: of_type("message")(f) and shape(f)[2] == "member-leave")
    return agent_id


def test_the_agent_leaving_ends_the_chat_for_the_guest(emulator: Emulator, guest: Guest) -> None:
    """The agent leaves (twice over: change and message), then the guest's own leave follows."""
    agent_id = joined_with_agent(emulator, guest)
    emulator.agent_leave(guest.id)
    assert [shape(f) for f in guest.chat_frames(4)] == [
        ("member-change", agent_id, "DISCONNECTED"),
        ("message", agent_id, "member-leave"),
        ("member-change", guest.member_id, "DISCONNECTED"),
        ("message", guest.member_id, "member-leave"),
    ]
    assert emulator.conversation(guest.id).ended
    refused = guest.say("still there?")
    assert refused.status_code == 400
    assert refused.json()["code"] == "chat.error.conversation.state"


def test_with_the_switch_off_the_guest_stays_alone(emulator: Emulator, guest: Guest) -> None:
    """agent_leave_ends_chat off (a compatibility switch): the guest stays CONNECTED."""
    emulator.configure(agent_leave_ends_chat=False)
    agent_id = joined_with_agent(emulator, guest)
    emulator.agent_leave(guest.id)
    guest.frame(change_of(agent_id, "DISCONNECTED"))
    assert guest.member()["state"] == "CONNECTED"
    assert guest.say("hello?").status_code == 200


def test_an_alerting_agent_who_declines_leaves_the_chat_in_queue(
    emulator: Emulator, guest: Guest
) -> None:
    """An ALERTING agent's leaving is a decline: no member-leave, the chat goes on."""
    agent_id = emulator.agent_alert(guest.id, "Alex")
    guest.frame(change_of(agent_id, "ALERTING"))
    emulator.agent_leave(guest.id)
    assert shape(guest.frame(of_type("member-change"))) == (
        "member-change",
        agent_id,
        "DISCONNECTED",
    )
    assert not emulator.conversation(guest.id).ended
    assert [m["bodyType"] for m in guest.history()] == ["member-join", "member-join"]


def test_the_guest_leaving_ends_the_chat_for_everyone(emulator: Emulator, guest: Guest) -> None:
    """DELETE the guest: its member-leave, then the agent's, all in the history too."""
    agent_id = joined_with_agent(emulator, guest)
    assert guest.call("DELETE", f"/members/{guest.member_id}").status_code == 204
    left = [(m["sender"]["id"], m["bodyType"]) for m in guest.history()][-2:]
    assert left == [(guest.member_id, "member-leave"), (agent_id, "member-leave")]


def test_the_history_keeps_joins_and_leaves(emulator: Emulator, guest: Guest) -> None:
    """GET messages has the member-join and member-leave messages between the others."""
    agent_id = joined_with_agent(emulator, guest)
    guest.say("hi")
    emulator.end_conversation(guest.id)
    history = [(m["sender"]["role"], m["bodyType"]) for m in guest.history()]
    assert history == [
        ("CUSTOMER", "member-join"),
        ("ACD", "member-join"),
        ("AGENT", "member-join"),
        ("ACD", "member-leave"),
        ("CUSTOMER", "standard"),
        ("CUSTOMER", "member-leave"),
        ("AGENT", "member-leave"),
    ]
    assert guest.member(agent_id)["state"] == "DISCONNECTED"


def test_a_guest_whose_socket_is_away_is_disconnected_until_it_comes_back(
    emulator: Emulator, guest: Guest
) -> None:
    """With no socket the guest is DISCONNECTED (over REST); reattached, CONNECTED again,
    announced by a member-change; the chat went on meanwhile."""
    emulator.agent_join(guest.id, "Alex")
    emulator.drop_sockets(guest.id)
    away = guest.member()
    assert away["state"] == "DISCONNECTED" and "leaveDate" not in away
    emulator.agent_send(guest.id, "are you there?")
    assert guest.say("posted while away").status_code == 200  # our choice: accepted
    guest.attach()
    guest.frame(change_of(guest.member_id, "CONNECTED"))
    assert guest.member()["state"] == "CONNECTED"
    assert not emulator.conversation(guest.id).ended


def test_with_the_switch_off_an_away_guest_stays_connected(
    emulator: Emulator, guest: Guest
) -> None:
    """away_disconnects_guest off (a compatibility switch): CONNECTED all along."""
    emulator.configure(away_disconnects_guest=False)
    emulator.drop_sockets(guest.id)
    assert guest.member()["state"] == "CONNECTED"


def test_a_guest_away_beyond_the_idle_limit_is_gone(emulator: Emulator, guest: Guest) -> None:
    """After guest_idle_limit with no socket, the chat ends: the guest's own member-leave
    is in the history, and the stream cannot be reattached."""
    agent_id = joined_with_agent(emulator, guest)
    emulator.configure(guest_idle_limit=0.2)
    emulator.drop_sockets(guest.id)
    wait_until(lambda: emulator.conversation(guest.id).ended)
    left = [(m["sender"]["id"], m["bodyType"]) for m in guest.history()][-2:]
    assert left == [(guest.member_id, "member-leave"), (agent_id, "member-leave")]
    assert guest.say("back!").status_code == 400


def test_a_guest_back_within_the_idle_limit_keeps_the_chat(
    emulator: Emulator, guest: Guest
) -> None:
    """Reattaching stops the idle clock: the chat outlives the limit."""
    emulator.configure(guest_idle_limit=2)
    emulator.drop_sockets(guest.id)
    guest.attach()
    guest.frame(change_of(guest.member_id, "CONNECTED"))
    # A second chat left alone after the first came back: once it ends, the first
    # chat's clock would have struck too, had the reattach not stopped it.
    second = Guest(emulator)
    emulator.drop_sockets(second.id)
    wait_until(lambda: emulator.conversation(second.id).ended, timeout=10)
    assert not emulator.conversation(guest.id).ended


def test_a_restart_cuts_every_socket_and_forgets_every_chat_and_session() -> None:
    """``POST /emulator/restart``: as a server that lost its memory, on the same address."""
    with Emulator(demo_agent=False) as emulator:
        guest, gms, messenger = Guest(emulator), GmsChat(emulator), Messenger(emulator)
        token = messenger.token
        answer = requests.post(f"{emulator.data_url}/emulator/restart", timeout=5)
        assert answer.json() == {"conversations": 1, "gmsChats": 1, "messagingSessions": 1}
        with pytest.raises(websocket.WebSocketConnectionClosedException):
            messenger.socket.recv()  # cut with no close frame
        assert guest.call("GET", "/messages").status_code == 404
        refreshed = gms.post("refresh")
        assert (refreshed.status_code, refreshed.json()["statusCode"]) == (404, 2)
        again = Messenger(emulator, token)  # the same token starts a new session
        assert again.session is not None and again.session["body"]["newSession"] is True
        for each in (guest, messenger, again):
            each.close()
