"""Scenario files: found, read and checked before anything connects.

A scenario file is YAML (the format is on the documentation's Scenarios page, and its
JSON Schema, ``scenario.schema.json``, is beside this module for editors). Reading one
gives its ``Scenario`` objects, or ONE ``DocumentError`` that names the file, the line
and what was expected: the shape is checked against the schema, then what a schema
cannot say (a regular expression compiles, a variable exists and is set, a file to
send is there, expectations that cannot go together, names told apart).

A folder holds the files named ``*.scenario.yaml`` (or ``.yml``) below it; a file
given by its path is read whatever its name.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import yaml

from cxbus.yaml_documents import Document, DocumentError, load_document, read_document
from cxbus.yaml_documents import Path as Where

from .steps import (
    AnyOrder,
    Choose,
    Collect,
    DataCheck,
    Expect,
    Expectation,
    Say,
    Scenario,
    SendFile,
    Silence,
    Step,
)
from .variables import Text, VariableError

__all__ = [
    "SCHEMA",
    "SUFFIXES",
    "load_scenario_file",
    "load_scenarios",
    "read_scenarios",
    "scenario_paths",
]

SCHEMA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("scenario.schema.json").read_text(encoding="utf-8")
)
_VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SUFFIXES = (".scenario.yaml", ".scenario.yml")
"""The names of the scenario files a folder holds."""
# How much of a step a report shows, as written.
SHOWN = 100
_EVENTS = ("joined", "left", "ended")
_WORDS = ("contains", "matches", "equals", "quick_replies", "buttons", "card", "attachment")


def scenario_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The scenario files that ``paths`` name: files as given, and the
    ``*.scenario.yaml`` files below each folder, in order; ``FileNotFoundError`` (one
    sentence naming it) for a path that is neither, or a folder with none."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            inside = sorted(
                file for file in path.rglob("*") if file.is_file() and file.name.endswith(SUFFIXES)
            )
            if not inside:
                raise FileNotFoundError(
                    f"{given}: the folder holds no scenario file (*{SUFFIXES[0]})"
                )
            found.extend(inside)
        else:
            raise FileNotFoundError(f"{given}: no such file or folder")
    return found


def load_scenarios(
    paths: Iterable[str | os.PathLike[str]], environ: Mapping[str, str] | None = None
) -> list[Scenario]:
    """Every scenario of the files that ``paths`` name (``scenario_paths``), in order."""
    return [
        scenario for path in scenario_paths(paths) for scenario in load_scenario_file(path, environ)
    ]


def load_scenario_file(
    path: str | os.PathLike[str], environ: Mapping[str, str] | None = None
) -> list[Scenario]:
    """The scenarios of the file at ``path``; ``environ`` (``os.environ`` by default)
    is where ``${env.NAME}`` variables are looked up."""
    document = load_document(path, "the scenario file")
    return _Builder(document, os.environ if environ is None else environ, Path(path).parent).file()


def read_scenarios(
    text: str,
    source: str = "<scenarios>",
    environ: Mapping[str, str] | None = None,
    folder: str | os.PathLike[str] = ".",
) -> list[Scenario]:
    """The scenarios written in ``text``; ``source`` names it in errors, ``folder`` is
    where the files it sends are."""
    document = read_document(text, source)
    return _Builder(document, os.environ if environ is None else environ, Path(folder)).file()


def _written(key: str, value: Any) -> str:
    """A step as written, on one line: ``expect: {contains: order number, within: 10}``."""
    dumped = yaml.safe_dump(
        value, default_flow_style=True, sort_keys=False, width=10**6, allow_unicode=True
    )
    dumped = dumped.strip().removesuffix("...").strip()
    shown = f"{key}: {dumped}"
    return shown if len(shown) <= SHOWN else shown[: SHOWN - 3] + "..."


@attrs.define
class _Builder:
    """Makes the scenarios of a document, checked, naming the line of what is wrong."""

    document: Document
    environ: Mapping[str, str]
    folder: Path

    def fail(self, path: Where, problem: str) -> DocumentError:
        return self.document.error(path, problem)

    def file(self) -> list[Scenario]:
        data = self.document.data
        if data is None:
            raise DocumentError(
                self.document.source, 1, f"the file is empty; expected {SCHEMA['description']}"
            )
        if isinstance(data, dict):
            self._steps_or_scenarios(data)
        problem = self.document.schema_error(_VALIDATOR)
        if problem is not None:
            raise problem
        defaults = {key: data[key] for key in ("within", "nickname", "channels") if key in data}
        if "steps" in data:
            name = self.document.text(("name",)) if "name" in data else _stem(self.document.source)
            return [self.scenario((), {**data, "name": name}, data)]
        names: dict[str, int] = {}
        made = []
        for index, body in enumerate(data["scenarios"]):
            path: Where = ("scenarios", index)
            name = self.document.text((*path, "name"))
            if name in names:
                raise self.fail(
                    (*path, "name"),
                    f"the name {name!r} is given to scenarios[{names[name]}] too; "
                    "expected names told apart",
                )
            names[name] = index
            made.append(self.scenario(path, {**body, "name": name}, {**defaults, **body}))
        return made

    def _steps_or_scenarios(self, data: dict[str, Any]) -> None:
        if "steps" in data and "scenarios" in data:
            raise self.fail(
                ("scenarios",), "expected steps (one scenario) or scenarios (several), not both"
            )
        if "steps" not in data and "scenarios" not in data:
            raise DocumentError(
                self.document.source,
                1,
                "expected steps (one scenario's steps) or scenarios (a list of scenarios)",
            )
        if "scenarios" in data and "name" in data:
            raise self.fail(
                ("name",), "name is a file's one scenario's; with scenarios, each has its own"
            )

    def scenario(self, path: Where, body: dict[str, Any], settings: dict[str, Any]) -> Scenario:
        """``body``'s scenario; ``settings`` are its own keys over the file's defaults."""
        attributes = {
            key: self.text((*owner, "attributes", key))
            for owner in ((), path)
            for key in self.document.value(owner).get("attributes", {})
        }
        nickname_at: Where = (*path, "nickname") if "nickname" in body else ("nickname",)
        return Scenario(
            name=body["name"],
            source=self.document.source,
            line=self.document.line(path) if path else 1,
            steps=tuple(
                self.step((*path, "steps", index), step) for index, step in enumerate(body["steps"])
            ),
            within=settings.get("within"),
            nickname=self.text(nickname_at) if "nickname" in settings else None,
            attributes=attributes,
            channels=tuple(settings["channels"]) if "channels" in settings else None,
        )

    def text(self, path: Where) -> Text:
        try:
            text = Text(self.document.text(path))
            text.check(self.environ)
        except VariableError as error:
            raise self.fail(path, str(error)) from None
        return text

    def step(self, path: Where, body: dict[str, Any]) -> Step:
        ((kind, value),) = body.items()
        at: Where = (*path, kind)
        line = self.document.line(at)
        written = _written(kind, value)
        if kind == "say":
            return Say(written, line, self.text(at))
        if kind == "choose":
            return Choose(written, line, self.text(at))
        if kind == "send_file":
            return self.send_file(at, value, written, line)
        if kind == "expect":
            return Expect(written, line, self.expectation(at, value))
        if kind == "any_order":
            expectations = tuple(
                self.expectation((*at, index), item) for index, item in enumerate(value)
            )
            for index, expectation in enumerate(expectations):
                if expectation.event is not None or expectation.participant_data is not None:
                    raise self.fail(
                        (*at, index),
                        "any_order groups messages; expected contains, matches, equals, "
                        "quick_replies, buttons, card or attachment (and from, within)",
                    )
            return AnyOrder(written, line, expectations)
        if kind == "collect":
            return self.collect(at, value, written, line)
        return Silence(written, line, float(value))

    def send_file(self, path: Where, value: Any, written: str, line: int) -> SendFile:
        file_at = path if isinstance(value, str) else (*path, "path")
        file = self.text(file_at)
        if not file.variables and not (self.folder / file.written).is_file():
            raise self.fail(file_at, f"expected a file to send; {file.written!r} is none")
        text = self.text((*path, "text")) if isinstance(value, dict) and "text" in value else None
        return SendFile(written, line, file, self.folder, text)

    def collect(self, path: Where, value: dict[str, Any], written: str, line: int) -> Collect:
        count = value.get("count")
        fewest, most = (count, count) if isinstance(count, int) else (0, None)
        if isinstance(count, dict):
            fewest, most = count.get("min", 0), count.get("max")
            if most is not None and most < fewest:
                raise self.fail((*path, "count"), "expected min at most max")
        expectations = tuple(
            self.expectation((*path, "expect", index), item)
            for index, item in enumerate(value.get("expect", ()))
        )
        for index, expectation in enumerate(expectations):
            if expectation.event is not None or expectation.participant_data is not None:
                raise self.fail(
                    (*path, "expect", index),
                    "collect gathers messages; expected contains, matches, equals, "
                    "quick_replies, buttons, card or attachment (and from)",
                )
            if expectation.within is not None:
                raise self.fail(
                    (*path, "expect", index, "within"),
                    "the collect's own within bounds it; expected none here",
                )
        return Collect(
            written,
            line,
            quiet=float(value["quiet"]),
            within=value.get("within"),
            fewest=fewest,
            most=most,
            expectations=expectations,
        )

    def expectation(self, path: Where, body: dict[str, Any]) -> Expectation:
        given = [key for key in body if key != "within"]
        events = [key for key in given if key in _EVENTS]
        if len(events) > 1:
            raise self.fail((*path, events[1]), f"expected one of {' or '.join(events)}, not both")
        if events and (clash := [key for key in given if key in _WORDS]):
            raise self.fail(
                (*path, clash[0]),
                f"{events[0]} is an event, which has no text or content; expected no {clash[0]}",
            )
        if "ended" in body and "from" in body:
            raise self.fail((*path, "from"), "anyone may end the conversation; expected no from")
        if events and "from" in body:
            raise self.fail(
                (*path, "from"), f"{events[0]} names who; expected {events[0]}: {body['from']}"
            )
        if "participant_data" in body and len(given) > 1:
            other = next(key for key in given if key != "participant_data")
            raise self.fail(
                (*path, other),
                "participant_data is checked on its own; expected it alone (with within)",
            )
        matches = self.text((*path, "matches")) if "matches" in body else None
        if matches is not None:
            try:
                re.compile(matches.render({}, {}, escape=True))
            except re.error as error:
                raise self.fail(
                    (*path, "matches"), f"expected a regular expression; {error}"
                ) from None
        sender = body.get("from")
        event = events[0] if events else None
        if event in ("joined", "left") and body[event] is not True:
            sender = body[event]
        return Expectation(
            written=_written("expect", body),
            line=self.document.line(path),
            contains=self.text((*path, "contains")) if "contains" in body else None,
            matches=matches,
            equals=self.text((*path, "equals")) if "equals" in body else None,
            sender=None
            if sender is None
            else (sender,)
            if isinstance(sender, str)
            else tuple(sender),
            quick_replies=self.offered((*path, "quick_replies"), body),
            buttons=self.offered((*path, "buttons"), body),
            card=self.named((*path, "card"), body),
            attachment=self.named((*path, "attachment"), body),
            event=event,
            participant_data=self.participant_data((*path, "participant_data"), body),
            within=body.get("within"),
        )

    def offered(self, path: Where, body: dict[str, Any]) -> bool | Text | tuple[Text, ...]:
        value = body.get(str(path[-1]), False)
        if isinstance(value, bool):
            return value
        if isinstance(value, list):
            return tuple(self.text((*path, index)) for index in range(len(value)))
        return self.text(path)

    def named(self, path: Where, body: dict[str, Any]) -> bool | Text:
        value = body.get(str(path[-1]), False)
        return value if isinstance(value, bool) else self.text(path)

    def participant_data(self, path: Where, body: dict[str, Any]) -> Mapping[str, DataCheck] | None:
        data = body.get(str(path[-1]))
        if data is None:
            return None
        checks = {}
        for name, value in data.items():
            if isinstance(value, dict):
                ((how, _),) = value.items()
                checks[name] = DataCheck(how, self.text((*path, name, how)))
            else:
                checks[name] = DataCheck("equals", self.text((*path, name)))
        for name, check in checks.items():
            if check.how == "matches":
                try:
                    re.compile(check.text.render({}, {}, escape=True))
                except re.error as error:
                    raise self.fail(
                        (*path, name, "matches"), f"expected a regular expression; {error}"
                    ) from None
        return checks


def _stem(source: str) -> str:
    """A file's scenario's name when it has none: the file's name without its suffix."""
    name = Path(source).name
    for suffix in (*SUFFIXES, ".yaml", ".yml"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name
