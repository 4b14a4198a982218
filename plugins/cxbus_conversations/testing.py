"""pytest fixtures: conversations with the emulator's demo bot and demo agent; the pytest
plugin ``cxbus_conversations``.

``conversation``: a started ``Conversation`` on the emulator, on the channel the
``conversation_channel`` fixture names (``"messaging"`` unless a test says otherwise),
ended after the test::

    def test_the_bot_echoes(conversation):
        conversation.say("hello")
        assert conversation.wait_for(contains="You said").text == "You said: hello"

    @pytest.mark.parametrize("conversation_channel", CHANNELS)
    def test_on_every_channel(conversation): ...

``conversations``: makes as many as a test needs (``conversations("gms")``), each
ended after the test; ``conversations.config(channel)`` is the configuration section
for one of your own (an ``AsyncConversation``, say).

The emulator is the cxbus_emulator plugin's ``emulator``: on Web Messaging its demo bot
answers, on the guest chat API and GMS its demo agent joins and answers (the
emulator's page says what they say), and with the marker
``@pytest.mark.emulator_flow("flow.yaml")`` the bot of that flow file does. When a
test fails, the transcript of each of its conversations is added to its report. It
needs the ``cxbus[emulator]`` extra; ``pytest -p no:cxbus_conversations`` turns it off.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .conversation import Conversation
from .emulator_sections import emulator_config
from .options import CHANNELS

if TYPE_CHECKING:
    from cxbus_emulator import Emulator

__all__ = [
    "CHANNELS",
    "Conversations",
    "conversation",
    "conversation_channel",
    "conversations",
    "emulator_config",
]

_made: pytest.StashKey[Conversations] = pytest.StashKey()


class Conversations:
    """Makes conversations on ``emulator`` and ends them all when the test ends."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.made: list[Conversation] = []

    def __call__(
        self, channel: str = "messaging", *, start: bool = True, **options: Any
    ) -> Conversation:
        """A conversation on ``channel``, started unless ``start`` is false; ``options``
        are ``Conversation``'s (``nickname``, ``attributes``, ``timeout``)."""
        made = Conversation(channel, self.config(channel), **options)
        self.made.append(made)
        return made.start() if start else made

    def config(self, channel: str) -> dict[str, Any]:
        """The configuration section of ``channel`` on the emulator (``emulator_config``)."""
        return emulator_config(self.emulator, channel)

    def end_all(self) -> None:
        for made in self.made:
            made.end()

    def transcripts(self) -> str:
        return "\n\n".join(
            f"{made.channel} ({made.state}):\n{made.transcript}" for made in self.made
        )


@pytest.fixture
def conversation_channel() -> str:
    """The channel of the ``conversation`` fixture: parametrize it to choose others."""
    return "messaging"


@pytest.fixture
def conversations(request: pytest.FixtureRequest, emulator: Emulator) -> Iterator[Conversations]:
    """Makes conversations on the emulator (``conversations(channel)``), ended after the test."""
    made = Conversations(emulator)
    request.node.stash[_made] = made
    try:
        yield made
    finally:
        made.end_all()


@pytest.fixture
def conversation(conversations: Conversations, conversation_channel: str) -> Conversation:
    """A started conversation on ``conversation_channel``, with the emulator's demo bot
    (Web Messaging) or demo agent (guest chat, GMS); ended after the test."""
    return conversations(conversation_channel)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test's report shows the transcripts of its conversations."""
    outcome: Any = yield
    report: pytest.TestReport = outcome.get_result()
    made = item.stash.get(_made, None)
    if report.failed and made is not None and made.made:
        report.sections.append(("conversation transcripts", made.transcripts()))
