"""``Player``: one scenario played on one channel, as one ``Conversation``; its ``Play``.

The player starts a conversation (with the scenario's attributes and the one that
marks the run), runs the steps one after the other, each as soon as the one before
it is met (no pause anywhere: a wait ends when its message comes), and ends the
conversation whatever happens: passed, failed, timed out, or interrupted by
``interrupt()`` from another thread (the runner's answer to Ctrl-C).

Each step that waits for a reply records its latency: from the customer's last
send (or the start) to the arrival of the message that met it, by the transcript's
clock. A failure keeps the sentence that says what was expected and which message
came nearest, and the transcript so far.

Threads: ``play`` runs on the caller's thread (the runner's workers, pytest's, a
Locust greenlet); ``interrupt`` may come from any other.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from ..conversation import Conversation
from ..errors import (
    ConversationEnded,
    ConversationError,
    NotOffered,
    NotReceived,
    WaitTimeout,
    without_article,
)
from ..message import Message
from ..transcript import Entry, Transcript
from .steps import (
    AnyOrder,
    Choose,
    Collect,
    Expect,
    Expectation,
    Say,
    Scenario,
    SendFile,
    Silence,
    Step,
    Values,
)

__all__ = [
    "DEFAULT_WITHIN",
    "RUN_ATTRIBUTE",
    "PlatformSide",
    "Play",
    "Player",
    "StepResult",
    "new_run_id",
]

RUN_ATTRIBUTE = "cxbusTestRun"
"""The custom attribute that every conversation of a run carries, naming the run: a
flow tells test conversations apart by it, and reports leave them out."""
DEFAULT_WITHIN = 10.0
"""How long an ``expect`` waits when neither it, its file nor the run says."""
NO_PLATFORM = (
    "expect participant_data needs a platform section in the target's configuration "
    "(a Genesys Cloud OAuth client): a guest cannot read participant data"
)
# The platform is asked again until the participant data is as expected or the step's
# time is up: first after this many seconds, twice as long each time, up to the last.
FIRST_POLL = 0.1
LAST_POLL = 2.0


def new_run_id() -> str:
    """A run's id: ``cxbus-`` and the UTC time, and a few random letters."""
    return time.strftime("cxbus-%Y%m%d-%H%M%S-", time.gmtime()) + uuid.uuid4().hex[:6]


class PlatformSide(Protocol):
    """What the platform API adds to a play, with a Genesys Cloud OAuth client in the
    target's configuration: what a guest cannot see or do. The player asks it for the
    participant data of an ``expect: {participant_data: ...}`` (``None`` while the
    platform does not know the conversation yet), at the end for the conversation's id
    and to disconnect what the guest could not end. ``attributes`` are those the
    conversation carries (the run's mark among them), to find it by
    (``platform_side.PlatformConversations``)."""

    def conversation_id(self, conversation: Conversation) -> str | None: ...

    def participant_data(
        self, conversation: Conversation, attributes: Mapping[str, str]
    ) -> Mapping[str, str] | None: ...

    def disconnect(self, conversation: Conversation, attributes: Mapping[str, str]) -> None: ...


@attrs.frozen
class StepResult:
    """A step that was met: ``latency`` is the reply's, for a step that waits for one;
    ``messages`` are those that met it. (A step that was not met is the play's
    ``failed_step``.)"""

    index: int
    step: Step
    latency: float | None = None
    messages: tuple[Message, ...] = ()


@attrs.define
class Play:
    """One scenario on one channel: how it went, step by step.

    ``status``: ``"passed"``, ``"failed"``, ``"skipped"`` (the scenario is not for this
    channel) or ``"interrupted"``. A failure says ``problem`` at ``failed_step`` (the
    step's index; ``None``: the start).
    """

    scenario: Scenario
    channel: str
    status: str = "passed"
    steps: list[StepResult] = attrs.field(factory=list)
    transcript: Transcript = attrs.field(factory=Transcript)
    problem: str | None = None
    failed_step: int | None = None
    seconds: float = 0.0
    conversation_id: str | None = None
    """The conversation's id on the server, when known: told to guest chat and GMS
    guests, found through the platform on Web Messaging."""

    @property
    def failed(self) -> bool:
        return self.status == "failed"


class _StepFailed(Exception):
    """A step that was not met; the message says what was expected and what came."""


class _Interrupted(Exception):
    """The play was interrupted (its conversation ended by ``interrupt``)."""


class Player:
    """Plays ``scenario`` on ``channel`` with the configuration section ``config``.

    ``within`` is the run's default wait (the scenario's own wins); ``run_id`` names
    the run (``RUN_ATTRIBUTE``); ``environ`` is where ``${env.NAME}`` is read;
    ``platform`` is the platform API's side, when the target has one.
    """

    def __init__(
        self,
        scenario: Scenario,
        channel: str,
        config: Mapping[str, Any],
        *,
        run_id: str,
        within: float = DEFAULT_WITHIN,
        environ: Mapping[str, str],
        platform: PlatformSide | None = None,
    ) -> None:
        self.scenario = scenario
        self.channel = channel
        self.config = config
        self.run_id = run_id
        self.within = scenario.within or within
        self.values = Values(environ, {"run.id": run_id, "scenario.id": uuid.uuid4().hex[:12]})
        self.platform = platform
        self._lock = threading.Lock()
        self._interrupted = False
        self._wake = threading.Event()  # set by interrupt: a wait between polls ends
        self._conversation: Conversation | None = None
        self._last_send = 0.0

    def interrupt(self) -> None:
        """End the play's conversation now (from any thread): its wait stops at once,
        and the play ends as ``"interrupted"``. A play that has not started does not."""
        with self._lock:
            self._interrupted = True
            self._wake.set()
            conversation = self._conversation
        if conversation is not None:
            conversation.end()

    def play(self) -> Play:
        """Play the scenario; its ``Play``. Never raises for what the conversation does."""
        scenario = self.scenario
        result = Play(scenario, self.channel)
        if not scenario.runs_on(self.channel):
            result.status = "skipped"
            return result
        attributes = {name: self.values.text(text) for name, text in scenario.attributes.items()}
        attributes[RUN_ATTRIBUTE] = self.run_id
        nickname = "Customer" if scenario.nickname is None else self.values.text(scenario.nickname)
        conversation = Conversation(
            self.channel,
            self.config,
            nickname=nickname,
            attributes=attributes,
            timeout=self.within,
        )
        began = time.monotonic()
        try:
            with self._lock:
                if self._interrupted:
                    raise _Interrupted()
                self._conversation = conversation
            conversation.start()
            self._last_send = conversation.elapsed()
            for index, step in enumerate(scenario.steps):
                result.failed_step = index
                self._check_interrupted()
                result.steps.append(self._step(conversation, attributes, index, step))
            result.failed_step = None
        except _Interrupted:
            result.status = "interrupted"
        except (_StepFailed, ConversationError, OSError, ValueError, TypeError) as error:
            result.status = "interrupted" if self._interrupted else "failed"
            result.problem = str(error)
        finally:
            conversation.end()
            if self.platform is None:
                result.conversation_id = conversation.conversation_id
            else:  # and what the guest could not end
                result.conversation_id = self.platform.conversation_id(conversation)
                self.platform.disconnect(conversation, attributes)
            result.transcript = conversation.transcript
            result.seconds = time.monotonic() - began
        return result

    def _check_interrupted(self) -> None:
        with self._lock:
            if self._interrupted:
                raise _Interrupted()

    # The steps -------------------------------------------------------------------------

    def _step(
        self, conversation: Conversation, attributes: Mapping[str, str], index: int, step: Step
    ) -> StepResult:
        values = self.values
        if isinstance(step, Say):
            self._last_send = conversation.elapsed()
            conversation.say(values.text(step.text))
            return StepResult(index, step)
        if isinstance(step, Choose):
            self._choose(conversation, values.text(step.label))
            return StepResult(index, step)
        if isinstance(step, SendFile):
            self._last_send = conversation.elapsed()
            text = "" if step.text is None else values.text(step.text)
            conversation.send_file(step.folder / values.text(step.path), text)
            return StepResult(index, step)
        if isinstance(step, Expect):
            return self._expect(conversation, attributes, index, step)
        if isinstance(step, AnyOrder):
            return self._any_order(conversation, index, step)
        if isinstance(step, Collect):
            return self._collect(conversation, index, step)
        return self._silence(conversation, index, step)

    def _choose(self, conversation: Conversation, label: str) -> None:
        """Choose ``label`` once a message offered it: at once if one did, else after
        each bot or agent message that comes (within the scenario's time), so that a
        choice right after a ``say`` waits for the offer, and no message after it is
        taken from the next step."""
        deadline = time.monotonic() + self.within
        while True:
            try:
                self._last_send = conversation.elapsed()
                conversation.choose(label)
                return
            except NotOffered:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                with contextlib.suppress(NotReceived):  # the next choose says what was offered
                    conversation.wait_for(timeout=left)

    def _within(self, expectation: Expectation) -> float:
        return expectation.within or self.within

    def _expect(
        self, conversation: Conversation, attributes: Mapping[str, str], index: int, step: Expect
    ) -> StepResult:
        expectation = step.expectation
        if expectation.participant_data is not None:
            return self._participant_data(conversation, attributes, index, step)
        criteria = expectation.criteria(self.values)
        timeout = self._within(expectation)
        if expectation.event == "ended":
            message = conversation.wait_for_end(timeout=timeout)
        elif expectation.event == "joined":
            message = conversation.wait_for_joined(sender=criteria["sender"], timeout=timeout)
        elif expectation.event == "left":
            message = conversation.wait_for_left(sender=criteria["sender"], timeout=timeout)
        else:
            message = conversation.wait_for(**criteria, timeout=timeout)
        return StepResult(index, step, self._latency(conversation, message), (message,))

    def _participant_data(
        self, conversation: Conversation, attributes: Mapping[str, str], index: int, step: Expect
    ) -> StepResult:
        checks = step.expectation.participant_data or {}
        if self.platform is None:
            raise _StepFailed(NO_PLATFORM)
        within = self._within(step.expectation)
        deadline = time.monotonic() + within
        pause = FIRST_POLL
        while True:  # the platform is remote: asked until met or the time is up
            data = self.platform.participant_data(conversation, attributes)
            unmet = [
                name
                for name, check in checks.items()
                if data is None or not check.holds(data.get(name), self.values)
            ]
            left = deadline - time.monotonic()
            if not unmet or left <= 0:
                break
            if self._wake.wait(min(pause, left)):
                raise _Interrupted()
            pause = min(pause * 2, LAST_POLL)
        if data is None:
            raise _StepFailed(
                f"The platform did not find the conversation within {within:.1f} s: it "
                "knows none of its messages' ids"
            )
        if unmet:
            got = data.get(unmet[0])
            raise _StepFailed(
                f"The participant data {unmet[0]} is not as expected "
                f"({checks[unmet[0]].how} {checks[unmet[0]].text}) within {within:.1f} s; it is "
                + ("not set" if got is None else repr(got))
            )
        return StepResult(index, step)

    def _any_order(self, conversation: Conversation, index: int, step: AnyOrder) -> StepResult:
        conditions = [expectation.condition(self.values) for expectation in step.expectations]
        deadline = time.monotonic() + max(self._within(e) for e in step.expectations)
        senders = tuple(dict.fromkeys(sender for c in conditions for sender in c.sender))
        first = len(conversation.transcript)
        began = time.monotonic()
        unmet = list(conditions)
        matched: list[Message] = []
        while unmet:
            try:
                message = conversation.wait_for(
                    sender=senders, timeout=max(deadline - time.monotonic(), 0.001)
                )
            except NotReceived as error:
                arrived = conversation.transcript[first:]
                nearest = unmet[0].nearest(arrived)
                kind = WaitTimeout if isinstance(error, WaitTimeout) else ConversationEnded
                missing = kind(unmet[0], time.monotonic() - began, nearest)
                raise _StepFailed(
                    f"{missing} ({len(unmet)} of {len(conditions)} not met)"
                ) from None
            met = next((condition for condition in unmet if condition.test(message)), None)
            if met is not None:
                unmet.remove(met)
                matched.append(message)
        latency = max(self._latency(conversation, message) for message in matched)
        return StepResult(index, step, latency, tuple(matched))

    def _collect(self, conversation: Conversation, index: int, step: Collect) -> StepResult:
        """The first reply (waited for up to the step's time), then every reply until none
        came for ``quiet`` seconds (within the same time)."""
        limit = step.within or max(self.within, step.quiet)
        deadline = time.monotonic() + limit
        replies: list[Message] = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0 and replies:
                raise _StepFailed(
                    f"The bot or agent was not quiet for {step.quiet:g} s within {limit:g} s "
                    f"({len(replies)} replies collected)"
                )
            wait = min(step.quiet, left) if replies else left
            try:
                replies.append(conversation.wait_for(timeout=max(wait, 0.001)))
            except ConversationEnded:
                break  # nobody speaks after the end
            except WaitTimeout:
                if not replies or step.quiet <= left:
                    break  # no reply at all, or quiet for long enough
        self._check_replies(step, replies)
        latency = self._latency(conversation, replies[0]) if replies else None
        return StepResult(index, step, latency, tuple(replies))

    def _check_replies(self, step: Collect, replies: list[Message]) -> None:
        count = len(replies)
        if count < step.fewest or (step.most is not None and count > step.most):
            wanted = (
                f"{step.fewest}"
                if step.most == step.fewest
                else f"at least {step.fewest}"
                if step.most is None
                else f"{step.fewest} to {step.most}"
            )
            raise _StepFailed(f"Expected {wanted} replies before the quiet; {count} came")
        left = list(replies)
        for expectation in step.expectations:
            condition = expectation.condition(self.values)
            met = next((reply for reply in left if condition.test(reply)), None)
            if met is None:
                nearest = condition.nearest([Entry(0.0, reply) for reply in left])
                said = (
                    "none was left" if nearest is None else f"the nearest: {nearest.message.text!r}"
                )
                raise _StepFailed(
                    f"No {without_article(condition)} among the {count} replies collected; {said}"
                )
            left.remove(met)

    def _silence(self, conversation: Conversation, index: int, step: Silence) -> StepResult:
        try:
            message = conversation.wait_for(timeout=step.seconds)
        except WaitTimeout:
            return StepResult(index, step)
        except ConversationEnded:
            raise _StepFailed(
                f"Expected {step.seconds:g} s of silence; the conversation ended"
            ) from None
        at = self._arrival(conversation, message)
        raise _StepFailed(
            f"Expected {step.seconds:g} s of silence; the {message.sender} said "
            f"{message.text!r} at {at:.2f} s"
        )

    # Timing --------------------------------------------------------------------------

    def _arrival(self, conversation: Conversation, message: Message) -> float:
        """When ``message`` arrived, by the transcript's clock."""
        for entry in reversed(conversation.transcript):
            if entry.message is message:
                return entry.at
        return conversation.elapsed()

    def _latency(self, conversation: Conversation, message: Message) -> float:
        return max(self._arrival(conversation, message) - self._last_send, 0.0)
