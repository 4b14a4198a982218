"""YAML files that people write (flows, scenarios), read with the line of every value.

``read_document`` turns a YAML text into plain data (dicts, lists, texts, numbers,
booleans, ``None``) and remembers, for each value, the line it is on and, for each
plain scalar, its text as written: so that a problem found later (by a JSON Schema,
or by the code that gives the data its meaning) is reported as ONE error naming the
file, the line and what was expected, never as a traceback::

    scenarios/order.scenario.yaml, line 7: steps[3].expect.within: expected a number of
    seconds above 0; got 'soon'

Plain scalars follow YAML 1.2's core schema, not PyYAML's YAML 1.1: only ``true`` and
``false`` are booleans (``yes``, ``no``, ``on`` and ``off`` stay texts: quick replies
and keys are often so), ``null`` and ``~`` are ``None``, and decimal numbers are numbers
unless the reader is told to keep every scalar a text (``numbers=False``). A key given
twice, and an alias to itself, are errors.

``Document.schema_error`` reports the first of a JSON Schema's complaints in the file's
order, with the ``description`` of the schema that was not met as what was expected.
Needs PyYAML and jsonschema, which the extras that read such files bring.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

import attrs
import jsonschema
import yaml

__all__ = ["Document", "DocumentError", "Path", "load_document", "read_document", "shown", "where"]

Path = tuple[str | int, ...]
"""Where a value is in a document: keys and list indexes from the top."""

# YAML 1.2's core schema: the plain scalars that are not texts.
_BOOLEANS = {"true": True, "True": True, "TRUE": True}
_BOOLEANS.update({"false": False, "False": False, "FALSE": False})
_NULLS = {"", "~", "null", "Null", "NULL"}
_INTEGER = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")


class DocumentError(ValueError):
    """A file that cannot be used: ``"FILE, line N: where: what was expected"``."""

    def __init__(self, source: str, line: int, problem: str) -> None:
        super().__init__(f"{source}, line {line}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem


def where(path: Path, top: str = "the file") -> str:
    """``steps[3].expect.within``: where a value is, as a reader finds it in the file;
    ``top`` names the whole document."""
    if not path:
        return top
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def shown(value: Any) -> str:
    """A value as an error message shows what it got: ``'soon'``, ``a list``, ``nothing``."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value) if value != "" else "an empty text"


@attrs.frozen
class Document:
    """A YAML document's data, and the line (and text as written) of each of its values."""

    source: str
    data: Any
    lines: Mapping[Path, int]
    """The line of each value by its path (a mapping's value: its key's line)."""
    texts: Mapping[Path, str]
    """The text of each plain scalar as written (``1.50`` where the data has ``1.5``)."""
    top: str = "the file"
    """How an error names the whole document (``"the flow"``)."""
    raises: type[DocumentError] = DocumentError
    """The error class of this kind of file (a subclass of ``DocumentError``)."""

    def line(self, path: Path) -> int:
        """The line of the value at ``path``, or of the nearest value that holds it."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def text(self, path: Path) -> str:
        """The scalar at ``path`` as a text: as written when it was a plain number."""
        if path in self.texts:
            return self.texts[path]
        value = self.value(path)
        return value if isinstance(value, str) else str(value)

    def value(self, path: Path) -> Any:
        value = self.data
        for part in path:
            value = value[part]
        return value

    def error(self, path: Path, problem: str) -> DocumentError:
        """A ``DocumentError`` at the line of ``path``: ``"where: problem"``."""
        place = f"{where(path, self.top)}: " if path else ""
        return self.raises(self.source, self.line(path), place + problem)

    def schema_error(self, validator: jsonschema.protocols.Validator) -> DocumentError | None:
        """The first of ``validator``'s complaints about the data, in the file's order."""
        root = validator.schema
        problems = [_problem(error, root) for error in validator.iter_errors(self.data)]
        if not problems:
            return None
        path, problem = min(problems, key=lambda found: (self.line(found[0]), -len(found[0])))
        return self.error(path, problem)


def load_document(
    path: str | os.PathLike[str],
    what: str,
    *,
    numbers: bool = True,
    top: str = "the file",
    raises: type[DocumentError] = DocumentError,
) -> Document:
    """The YAML document in the file at ``path``; ``what`` names the file in the error
    when it cannot be read (``"the scenario file"``). The keywords are ``read_document``'s."""
    source = os.fspath(path)
    try:
        with open(source, encoding="utf-8") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        why = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise raises(source, 1, f"cannot read {what}: {why}") from None
    return read_document(text, source, numbers=numbers, top=top, raises=raises)


def read_document(
    text: str,
    source: str,
    *,
    numbers: bool = True,
    top: str = "the file",
    raises: type[DocumentError] = DocumentError,
) -> Document:
    """The YAML document in ``text`` (``source`` names it in errors, ``top`` the whole of
    it); with ``numbers`` off, every plain scalar but ``true``, ``false`` and ``null`` is a
    text. Its errors, and those it makes later, are ``raises`` (a ``DocumentError``)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise raises(source, line, f"this is not YAML: {error.problem}") from None
    except yaml.YAMLError as error:
        raise raises(source, 1, f"this is not YAML: {error}") from None
    lines: dict[Path, int] = {}
    texts: dict[Path, str] = {}
    reader = _Reader(source, numbers, top, raises, lines, texts)
    data = None if root is None else reader.plain(root, (), set())
    return Document(source, data, lines, texts, top, raises)


@attrs.define
class _Reader:
    source: str
    numbers: bool
    top: str
    raises: type[DocumentError]
    lines: dict[Path, int]
    texts: dict[Path, str]

    def plain(self, node: yaml.Node, path: Path, open_: set[int]) -> Any:
        """``node`` as plain data; ``lines`` and ``texts`` learn its path."""
        self.lines.setdefault(path, node.start_mark.line + 1)
        if id(node) in open_:
            raise self.raises(
                self.source,
                node.start_mark.line + 1,
                f"{where(path, self.top)}: an alias to itself",
            )
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        open_.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return [
                    self.plain(item, (*path, index), open_) for index, item in enumerate(node.value)
                ]
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self.raises(
                        self.source, line, f"{where(path, self.top)}: expected a name as a key"
                    )
                key = key_node.value
                inner = (*path, key)
                if key in mapping:
                    raise self.raises(self.source, line, f"{where(inner)}: given twice")
                self.lines[inner] = line
                mapping[key] = self.plain(value_node, inner, open_)
            return mapping
        finally:
            open_.discard(id(node))

    def scalar(self, node: yaml.ScalarNode, path: Path) -> Any:
        value: str = node.value
        if node.style is not None:  # quoted or a block: a text as written
            return value
        if value in _BOOLEANS:
            return _BOOLEANS[value]
        if value in _NULLS:
            return None
        if self.numbers and _INTEGER.fullmatch(value):
            self.texts[path] = value
            return int(value)
        if self.numbers and _FLOAT.fullmatch(value):
            self.texts[path] = value
            return float(value)
        return value


def _described(schema: Any, root: Any) -> str:
    """What ``schema`` expects, in words: its ``description``, or that of the schema its
    ``$ref`` names (``#/$defs/...`` in ``root``)."""
    while isinstance(schema, dict) and "description" not in schema:
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            break
        schema = root
        for part in ref[2:].split("/"):
            schema = schema[part]
    if isinstance(schema, dict) and "description" in schema:
        return str(schema["description"])
    return "something else"


def _problem(error: jsonschema.ValidationError, root: Any) -> tuple[Path, str]:
    """A schema complaint as (where, what was expected), from the unmet schema's
    ``description``."""
    path: Path = tuple(error.absolute_path)
    schema: Any = error.schema
    instance: Any = error.instance
    expected = _described(schema, root)
    if error.validator == "additionalProperties":
        known = list(schema.get("properties", {}))
        extra = next(key for key in instance if key not in known)
        return (*path, extra), f"not a key here; expected one of {', '.join(known)}"
    if error.validator == "required":
        required: Any = error.validator_value
        missing = next(key for key in required if key not in instance)
        wanted = _described(schema.get("properties", {}).get(missing, {}), root)
        return path, f"{missing} is missing: expected {wanted}"
    if "propertyNames" in error.schema_path:  # a key of the mapping at path
        return (*path, instance), f"expected {expected}; got {instance!r}"
    if error.validator in ("maxProperties", "minProperties") and isinstance(instance, dict):
        given = " and ".join(instance) if instance else "none"
        return path, f"expected {expected}; got {given}"
    return path, f"expected {expected}; got {shown(instance)}"
