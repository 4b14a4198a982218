"""Texts with variables: ``${env.NAME}``, ``${run.id}``, ``${scenario.id}``.

A scenario's texts (what the customer says, what is expected, attributes, the
nickname, a file's path) and a deployment's configuration file may name variables:

- ``${env.NAME}``: the environment variable ``NAME`` (secrets and deployment ids stay
  out of the files); a variable that is not set is an error when the file is read,
  before anything connects;
- ``${run.id}``: the run's id, the same for every conversation of a run (and the value
  of the custom attribute that marks the run's conversations);
- ``${scenario.id}``: an id of its own for each conversation a scenario plays (each
  channel, each repeat), for an order number no other conversation uses.

``$$`` is a ``$`` (``$${run.id}`` is the text ``${run.id}``); a ``$`` before anything
but ``{`` or ``$`` is itself. A ``Text`` keeps what was written, and is rendered when a
conversation plays it: a secret never sits in a repr or a report, which show texts as
written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import attrs

__all__ = ["RUN_VARIABLES", "Text", "VariableError"]

RUN_VARIABLES = ("run.id", "scenario.id")
"""The variables a run gives each conversation (``env.*`` come from the environment)."""

_FIELD = re.compile(r"\$(\$|\{([^}]*)\})")
_NAME = re.compile(r"env\.[A-Za-z_][A-Za-z0-9_]*|run\.id|scenario\.id")


class VariableError(ValueError):
    """A text names a variable that does not exist or is not set (the message says which)."""


@attrs.frozen
class Text:
    """A text as written, with its ``${...}`` variables (see the module docstring)."""

    written: str
    _parts: tuple[tuple[str, str | None], ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        parts: list[tuple[str, str | None]] = []
        literal, at = "", 0
        for found in _FIELD.finditer(self.written):
            literal += self.written[at : found.start()]
            at = found.end()
            if found.group(1) == "$":
                literal += "$"
                continue
            name = found.group(2).strip()
            if not _NAME.fullmatch(name):
                raise VariableError(
                    f"${{{found.group(2)}}} is no variable; expected ${{env.NAME}}, "
                    "${run.id} or ${scenario.id} (write $$ for a $)"
                )
            parts.append((literal, name))
            literal = ""
        parts.append((literal + self.written[at:], None))
        object.__setattr__(self, "_parts", tuple(parts))

    def __str__(self) -> str:
        return self.written

    @property
    def variables(self) -> tuple[str, ...]:
        """The names of the variables the text uses, in order (``env.TOKEN``, ``run.id``)."""
        return tuple(name for _, name in self._parts if name is not None)

    def check(self, environ: Mapping[str, str]) -> None:
        """``VariableError`` when the text uses an environment variable that is not set."""
        for name in self.variables:
            if name.startswith("env.") and name[4:] not in environ:
                raise VariableError(f"${{{name}}}: the environment variable {name[4:]} is not set")

    def render(
        self,
        environ: Mapping[str, str],
        values: Mapping[str, str],
        escape: bool = False,
    ) -> str:
        """The text with its variables' values: ``env.*`` from ``environ``, the others
        from ``values``; each value escaped for a regular expression when ``escape``."""
        rendered = []
        for literal, name in self._parts:
            rendered.append(literal)
            if name is None:
                continue
            value = environ.get(name[4:], "") if name.startswith("env.") else values.get(name, "")
            rendered.append(re.escape(value) if escape else value)
        return "".join(rendered)
