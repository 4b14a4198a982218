"""Commands: routing, answers, rejections, private commands and before-hooks."""

from __future__ import annotations

import concurrent.futures
import logging
import sys
from typing import Any

import pytest

from cxbus import Bus, CommandCall, CommandRejected, Deferred, PluginError


def reason_of(deferred: Deferred, timeout: float = 1) -> Any:
    """The rejection reason of a deferred, settled within ``timeout`` seconds."""
    with pytest.raises(CommandRejected) as raised:
        deferred.result(timeout=timeout)
    return raised.value.reason


def test_a_handler_return_value_resolves_the_command(bus: Bus) -> None:
    """What the handler returns is what the commander gets."""
    greeter = bus.register_plugin("Greeter")
    greeter.register_command("hello", lambda call: f"Hello, {call.data['name']}!")
    assert bus.command("Greeter.hello", {"name": "Ada"}).result(timeout=1) == "Hello, Ada!"


def test_register_command_works_as_a_decorator(bus: Bus) -> None:
    """register_command(name) decorates a handler and returns it unchanged."""
    greeter = bus.register_plugin("Greeter")

    @greeter.register_command("hello")
    def hello(call: CommandCall) -> str:
        return "hi"

    assert hello(None) == "hi"  # type: ignore[arg-type]
    assert bus.command("Greeter.hello").result(timeout=1) == "hi"


def test_the_handler_sees_command_data_commander_and_time(bus: Bus) -> None:
    """The call object carries the full name, data, the calling plugin and a time."""
    calls: list[CommandCall] = []
    bus.register_plugin("Target").register_command("record", calls.append)
    caller = bus.register_plugin("Caller")
    caller.command("Target.record", {"x": 1}).result(timeout=1)
    bus.command("Target.record").result(timeout=1)
    assert [(c.command, c.data, c.commander) for c in calls] == [
        ("Target.record", {"x": 1}, "Caller"),
        ("Target.record", None, None),
    ]
    assert calls[0].time > 0


def test_raising_command_rejected_rejects_with_the_reason(bus: Bus) -> None:
    """A handler raising CommandRejected(reason) rejects with exactly that reason."""

    def refuse(call: CommandCall) -> None:
        raise CommandRejected("There is no active chat session.")

    bus.register_plugin("Chat").register_command("endChat", refuse)
    assert reason_of(bus.command("Chat.endChat")) == "There is no active chat session."


def test_any_other_exception_rejects_with_it_and_is_logged(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """A crashing handler rejects with its exception, is logged, and the bus goes on."""
    bus.register_plugin("Buggy").register_command("crash", lambda call: 1 / 0)
    reason = reason_of(bus.command("Buggy.crash"))
    assert isinstance(reason, ZeroDivisionError)
    assert "command Buggy.crash raised" in caplog.text
    bus.register_plugin("Fine").register_command("ok", lambda call: "ok")
    assert bus.command("Fine.ok").result(timeout=1) == "ok"


def test_a_handler_that_calls_sys_exit_rejects_and_the_bus_goes_on(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """SystemExit from a handler rejects with it and is logged; the caller's thread lives on."""
    bus.register_plugin("Quitter").register_command("quit", lambda call: sys.exit(3))
    reason = reason_of(bus.command("Quitter.quit"))
    assert isinstance(reason, SystemExit) and reason.code == 3
    assert "command Quitter.quit raised" in caplog.text


def test_a_hook_that_calls_sys_exit_rejects_the_call(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """SystemExit from a before-hook rejects the call; the handler never runs."""
    ran: list[Any] = []
    bus.register_plugin("Chat").register_command("send", ran.append)
    bus.register_plugin("Quitter").before("Chat.send", lambda call: sys.exit("hook quit"))
    assert isinstance(reason_of(bus.command("Chat.send", "hi")), SystemExit)
    assert ran == []
    assert "command Chat.send raised" in caplog.text


def test_a_keyboard_interrupt_in_a_handler_still_interrupts(bus: Bus) -> None:
    """Ctrl-C during a handler goes through command() to the user."""

    def interrupted(call: CommandCall) -> None:
        raise KeyboardInterrupt

    bus.register_plugin("Slow").register_command("work", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bus.command("Slow.work")


def test_a_returned_deferred_is_adopted(bus: Bus) -> None:
    """A handler may answer later by returning a Deferred."""
    later = Deferred()
    bus.register_plugin("Slow").register_command("work", lambda call: later)
    answer = bus.command("Slow.work")
    assert answer.state == "pending"
    later.resolve("done")
    assert answer.result(timeout=1) == "done"


def test_returning_call_deferred_lets_the_handler_settle_it_later(bus: Bus) -> None:
    """A handler that returns call.deferred settles it itself, later."""
    pending: list[CommandCall] = []

    def defer(call: CommandCall) -> Deferred:
        pending.append(call)
        return call.deferred

    bus.register_plugin("Slow").register_command("work", defer)
    answer = bus.command("Slow.work")
    assert answer.state == "pending"
    pending[0].deferred.resolve("settled later")
    assert answer.result(timeout=1) == "settled later"


def test_a_returned_future_is_adopted(bus: Bus) -> None:
    """A handler may return a concurrent.futures.Future, such as an executor's."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        bus.register_plugin("Pool").register_command(
            "add", lambda call: pool.submit(sum, call.data)
        )
        assert bus.command("Pool.add", [1, 2, 3]).result(timeout=5) == 6


def test_an_unknown_command_rejects_naming_it(bus: Bus) -> None:
    """A command the plugin lacks rejects with a sentence naming both."""
    bus.register_plugin("Greeter")
    assert reason_of(bus.command("Greeter.wave")) == "Greeter has no command 'wave'."


def test_a_misspelt_command_says_which_was_meant(bus: Bus) -> None:
    """A command close to one of the plugin's (case aside) ends with "did you mean"."""
    greeter = bus.register_plugin("Greeter")
    greeter.register_command("sendMessage", lambda call: None)
    for typo in ("sendMesage", "sendmessage", "SendMessages"):
        assert reason_of(bus.command(f"Greeter.{typo}")) == (
            f"Greeter has no command {typo!r}; did you mean 'sendMessage'?"
        )


def test_a_private_command_is_suggested_to_its_own_plugin_only(bus: Bus) -> None:
    """Another plugin may not call a private command, so it is not what it meant."""
    greeter = bus.register_plugin("Greeter")
    greeter.register_command("configure", lambda call: None, private=True)
    other = bus.register_plugin("Other")
    assert reason_of(other.command("Greeter.configur")) == "Greeter has no command 'configur'."
    assert reason_of(greeter.command("Greeter.configur")) == (
        "Greeter has no command 'configur'; did you mean 'configure'?"
    )


def test_a_misspelt_command_of_an_installed_plugin_says_which_was_meant() -> None:
    """WebChatService.sendMesage loads WebChatService, then names sendMessage."""
    with Bus(config={"webchat": {"transport": {"type": "fake"}}}) as bus:
        assert reason_of(bus.command("WebChatService.sendMesage"), timeout=10) == (
            "WebChatService has no command 'sendMesage'; did you mean 'sendMessage'?"
        )


def test_a_misspelt_plugin_says_which_was_meant(bus: Bus) -> None:
    """A plugin name close to a registered or installed one ends with "did you mean"."""
    bus.register_plugin("Greeter")
    assert reason_of(bus.command("Greter.hello")) == (
        "No plugin named 'Greter' is registered on this bus or installed "
        "(entry point group 'cxbus.plugins'); did you mean 'Greeter'?"
    )
    assert reason_of(bus.command("WebchatService.startChat")).endswith(
        "; did you mean 'WebChatService'?"
    )


def test_an_unknown_namespace_rejects_naming_it(bus: Bus) -> None:
    """A command to a plugin neither registered nor installed rejects naming it."""
    reason = reason_of(bus.command("Nowhere.thing"))
    assert reason == (
        "No plugin named 'Nowhere' is registered on this bus or installed "
        "(entry point group 'cxbus.plugins')."
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("startChat", "'startChat' is not a command name: expected 'Namespace.command'."),
        ("A.b.c", "'A.b.c' is not a command name: expected 'Namespace.command'."),
        ("", "'' is not a command name: expected 'Namespace.command'."),
        (42, "Command names are strings such as 'WebChatService.startChat'; got 42 (int)."),
        (
            ["A.b"],
            "Command names are strings such as 'WebChatService.startChat'; got ['A.b'] (list).",
        ),
    ],
)
def test_a_bad_command_name_rejects_and_never_raises(bus: Bus, name: Any, expected: str) -> None:
    """command() with a malformed name answers with a rejection naming it; it never raises."""
    assert reason_of(bus.command(name)) == expected


def test_registering_a_command_twice_is_an_error(bus: Bus) -> None:
    """A command name is taken once per plugin."""
    plugin = bus.register_plugin("Greeter")
    plugin.register_command("hello", lambda call: None)
    with pytest.raises(PluginError, match=r"Command Greeter\.hello is already registered"):
        plugin.register_command("hello", lambda call: None)


@pytest.mark.parametrize("name", ["", "with.dot", "9lives", None])
def test_registering_a_badly_named_command_is_an_error(bus: Bus, name: Any) -> None:
    """Command names are identifiers; anything else is refused with the name shown."""
    with pytest.raises(ValueError, match="Command names are identifiers"):
        bus.register_plugin("Greeter").register_command(name, lambda call: None)


def test_a_private_command_rejects_other_commanders(bus: Bus) -> None:
    """A private command rejects any plugin but its own with the Genesys sentence."""
    chat = bus.register_plugin("WebChatService")
    chat.register_command("poll", lambda call: "polled", private=True)
    outsider = bus.register_plugin("MyPlugin")
    denied = (
        "Access Denied to private command. Only WebChatService is allowed to invoke this command."
    )
    assert reason_of(outsider.command("WebChatService.poll")) == denied
    assert reason_of(bus.command("WebChatService.poll")) == denied
    assert chat.command("WebChatService.poll").result(timeout=1) == "polled"


def test_a_before_hook_can_change_the_data(bus: Bus) -> None:
    """A before-hook may replace call.data before the handler sees it."""
    bus.register_plugin("Echo").register_command("echo", lambda call: call.data)

    def shout(call: CommandCall) -> None:
        call.data = call.data.upper()

    bus.register_plugin("Loud").before("Echo.echo", shout)
    assert bus.command("Echo.echo", "hi").result(timeout=1) == "HI"


def test_a_before_hook_can_veto_the_call(bus: Bus) -> None:
    """A before-hook raising CommandRejected stops the call; the handler never runs."""
    ran: list[Any] = []
    bus.register_plugin("Chat").register_command("send", ran.append)

    def censor(call: CommandCall) -> None:
        raise CommandRejected("Censored.")

    bus.register_plugin("Censor").before("Chat.send", censor)
    assert reason_of(bus.command("Chat.send", "rude")) == "Censored."
    assert ran == []


def test_before_hooks_run_in_registration_order_and_may_precede_the_command(bus: Bus) -> None:
    """Hooks registered before the command exists still run, in the order added."""
    order: list[str] = []
    hooks = bus.register_plugin("Hooks")
    hooks.before("Late.cmd", lambda call: order.append("first"))
    hooks.before("Late.cmd", lambda call: order.append("second"))
    bus.register_plugin("Late").register_command("cmd", lambda call: order.append("handler"))
    bus.command("Late.cmd").result(timeout=1)
    assert order == ["first", "second", "handler"]


def test_a_rejected_command_nobody_handles_later_is_logged(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """A command rejected after command() returned, with no fail callback, is reported."""
    pending: list[CommandCall] = []
    bus.register_plugin("Slow").register_command(
        "work", lambda call: pending.append(call) or call.deferred
    )
    bus.command("Slow.work").done(lambda _: None)
    with caplog.at_level(logging.WARNING, logger="cxbus.deferred"):
        pending[0].deferred.reject("It failed.")
    assert "Unhandled rejection: 'It failed.'" in caplog.text


def test_a_command_rejected_before_it_returns_is_not_reported(
    bus: Bus, caplog: pytest.LogCaptureFixture
) -> None:
    """A synchronous rejection is in the commander's hands already: no warning."""
    with caplog.at_level(logging.WARNING, logger="cxbus.deferred"):
        bus.command("Nobody.home").fail(lambda _: None)
    assert caplog.text == ""
