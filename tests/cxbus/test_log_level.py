"""CXBUS_LOG_LEVEL: cxbus's log on stderr for a program that configures none."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cxbus.log_level import configure_from_environment

PROGRAM = """
from cxbus import Bus
with Bus() as bus:
    bus.register_plugin("Greeter").register_command("hello", lambda call: "hi")
    bus.command("Greeter.hello").result(timeout=5)
"""


def run(arguments: list[str], level: str | None) -> subprocess.CompletedProcess[str]:
    """``python ARGUMENTS`` with CXBUS_LOG_LEVEL set to ``level`` (unset if ``None``)."""
    env = {key: value for key, value in os.environ.items() if key != "CXBUS_LOG_LEVEL"}
    if level is not None:
        env["CXBUS_LOG_LEVEL"] = level
    return subprocess.run(
        [sys.executable, *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.fixture
def cxbus_logger() -> Iterator[logging.Logger]:
    """The ``cxbus`` logger, put back as it was after the test."""
    logger = logging.getLogger("cxbus")
    kept = (logger.level, logger.propagate, list(logger.handlers))
    yield logger
    logger.level, logger.propagate, logger.handlers[:] = kept[0], kept[1], kept[2]


def test_a_program_gets_the_log_on_stderr_at_the_level_set() -> None:
    """CXBUS_LOG_LEVEL=DEBUG: the bus's debug lines on stderr, none on stdout."""
    logged = run(["-c", PROGRAM], level="debug")
    assert logged.returncode == 0, logged.stderr
    assert " cxbus.bus DEBUG plugin Greeter registered\n" in logged.stderr
    assert " cxbus.trace DEBUG command Greeter.hello resolved: 'hi'\n" in logged.stderr
    assert logged.stdout == ""


def test_without_the_variable_nothing_is_logged() -> None:
    """Unset (or empty): cxbus configures no logging of its own."""
    for level in (None, ""):
        quiet = run(["-c", PROGRAM], level=level)
        assert (quiet.returncode, quiet.stderr) == (0, "")


def test_info_leaves_out_the_debug_lines() -> None:
    """CXBUS_LOG_LEVEL=INFO: no debug line."""
    assert "DEBUG" not in run(["-c", PROGRAM], level="INFO").stderr


def test_the_command_line_s_debug_wins_over_the_variable() -> None:
    """cxbus --debug logs at debug level even with CXBUS_LOG_LEVEL=WARNING."""
    result = run(["-m", "cxbus", "--debug", "commands"], level="WARNING")
    assert "cxbus.bus" in result.stderr and "plugin WebChatService registered" in result.stderr


def test_a_value_that_is_not_a_level_is_ignored_with_a_warning(
    cxbus_logger: logging.Logger,
) -> None:
    """CXBUS_LOG_LEVEL=verbose: one warning naming it and the levels; the logger unchanged."""
    before = (cxbus_logger.level, list(cxbus_logger.handlers))
    with pytest.warns(RuntimeWarning, match=r"CXBUS_LOG_LEVEL='verbose' is not a log level"):
        configure_from_environment({"CXBUS_LOG_LEVEL": "verbose"})
    assert (cxbus_logger.level, list(cxbus_logger.handlers)) == before


def test_configuring_twice_adds_one_handler(cxbus_logger: logging.Logger) -> None:
    """A second configuration changes the level; it adds no second handler."""
    configure_from_environment({"CXBUS_LOG_LEVEL": "DEBUG"})
    handlers = list(cxbus_logger.handlers)
    configure_from_environment({"CXBUS_LOG_LEVEL": "30"})
    assert cxbus_logger.handlers == handlers and cxbus_logger.level == logging.WARNING
    assert cxbus_logger.propagate is False
