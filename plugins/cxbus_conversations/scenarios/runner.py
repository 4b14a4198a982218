"""``Runner``: many plays at once on worker threads, each told as it ends; Ctrl-C ends them all.

Every scenario is played on every channel asked (``repeat`` times), ``parallel``
conversations at a time, each by a ``Player`` on a worker thread (``cxbus-scenario``):
a conversation's waits block its thread, not the others', and fifty of them cost
fifty idle threads. The caller's thread collects the plays as they end (``on_play``
is called there, one play at a time) and is the one that Ctrl-C interrupts: then no
new play starts, every play under way ends its conversation at once (``interrupt``),
and ``run`` waits for them, and returns the run marked ``interrupted``.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import attrs

from .player import DEFAULT_WITHIN, PlatformSide, Play, Player
from .steps import Scenario
from .targets import Target

__all__ = ["Run", "Runner"]

# How often the caller's thread wakes while it waits for plays: so that a Ctrl-C that
# the kernel gave another thread is seen by Python's handler all the same.
WAKE = 0.25


@attrs.define
class Run:
    """The plays of a run, in the order the scenarios were given; how long it took."""

    run_id: str
    plays: list[Play]
    seconds: float
    interrupted: bool = False


class Runner:
    """Plays scenarios on ``target`` (see the module docstring).

    ``platform`` is the platform API's side for the players (§3: made from the
    target's ``platform`` section); with ``None``, an ``expect: {participant_data}``
    fails saying it needs one.
    """

    def __init__(
        self,
        target: Target,
        *,
        channels: Sequence[str] = ("messaging",),
        within: float = DEFAULT_WITHIN,
        parallel: int = 1,
        run_id: str,
        environ: Mapping[str, str],
        platform: PlatformSide | None = None,
    ) -> None:
        self.target = target
        self.channels = tuple(channels)
        self.within = within
        self.parallel = parallel
        self.run_id = run_id
        self.environ = environ
        self.platform = platform
        self._lock = threading.Lock()
        self._players: set[Player] = set()
        self._interrupted = False

    def players(self, scenarios: Sequence[Scenario], repeat: int = 1) -> list[Player]:
        """A player for each scenario on each channel, ``repeat`` times, in that order."""
        return [
            Player(
                scenario,
                channel,
                self.target.section(channel),
                run_id=self.run_id,
                within=self.within,
                environ=self.environ,
                platform=self.platform,
            )
            for _ in range(repeat)
            for scenario in scenarios
            for channel in self.channels
        ]

    def run(
        self,
        scenarios: Sequence[Scenario],
        *,
        repeat: int = 1,
        on_play: Callable[[Play], None] = lambda play: None,
    ) -> Run:
        """Play every scenario; the ``Run`` (``interrupted`` after a Ctrl-C). ``on_play``
        is told each play as it ends."""
        players = self.players(scenarios, repeat)
        began = time.monotonic()
        plays: dict[int, Play] = {}
        interrupted = False
        with concurrent.futures.ThreadPoolExecutor(
            max_workers=self.parallel, thread_name_prefix="cxbus-scenario"
        ) as pool:
            futures = {
                pool.submit(self._play, player): index for index, player in enumerate(players)
            }
            pending = set(futures)
            try:
                while pending:
                    done, pending = concurrent.futures.wait(
                        pending, timeout=WAKE, return_when=concurrent.futures.FIRST_COMPLETED
                    )
                    for future in done:
                        plays[futures[future]] = play = future.result()
                        on_play(play)
            except KeyboardInterrupt:
                self.interrupt()
                for future in pending:
                    future.cancel()
                for future in concurrent.futures.as_completed(pending):
                    if not future.cancelled():
                        plays[futures[future]] = play = future.result()
                        on_play(play)
                interrupted = True
        ordered = [plays[index] for index in sorted(plays)]
        return Run(self.run_id, ordered, time.monotonic() - began, interrupted)

    def interrupt(self) -> None:
        """Start no more plays, and end the conversation of every play under way."""
        with self._lock:
            self._interrupted = True
            players = list(self._players)
        for player in players:
            player.interrupt()

    def _play(self, player: Player) -> Play:
        """On a worker thread: play, unless the run was interrupted first."""
        with self._lock:
            if self._interrupted:
                player.interrupt()
            self._players.add(player)
        try:
            return player.play()
        finally:
            with self._lock:
                self._players.discard(player)
