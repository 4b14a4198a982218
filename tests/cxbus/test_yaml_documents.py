"""cxbus.yaml_documents: YAML read as plain data with the line of every value, as flow files
and scenario files are read; and a JSON Schema's first complaint as one sentence."""

from __future__ import annotations

import jsonschema
import pytest

from cxbus.yaml_documents import DocumentError, read_document


class KindError(DocumentError):
    """The error of one kind of file."""


def test_values_their_lines_and_plain_numbers_as_written() -> None:
    document = read_document("a: 1.50\nb:\n  - yes\n  - true\n  - ~\n  - '7'\n", "f.yaml")
    assert document.data == {"a": 1.5, "b": ["yes", True, None, "7"]}
    assert document.line(("b", 2)) == 5 and document.line(("b", 9)) == 2
    assert document.text(("a",)) == "1.50" and document.text(("b", 3)) == "7"


def test_with_numbers_off_every_plain_value_but_booleans_and_null_is_a_text() -> None:
    document = read_document("a: 12345\nb: false\nc: null\n", "f.yaml", numbers=False)
    assert document.data == {"a": "12345", "b": False, "c": None}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("a: [1,\n", "f.yaml, line 2: this is not YAML: expected the node content"),
        ("a: 1\na: 2\n", "f.yaml, line 2: a: given twice"),
        ("a: &x [*x]\n", "f.yaml, line 1: a[0]: an alias to itself"),
        ("? [a]\n: 1\n", "f.yaml, line 1: the whole: expected a name as a key"),
    ],
)
def test_what_is_not_plain_data_is_one_error_of_the_kind_of_file(text: str, error: str) -> None:
    with pytest.raises(KindError) as raised:
        read_document(text, "f.yaml", top="the whole", raises=KindError)
    assert str(raised.value).startswith(error)


def test_a_schema_s_first_complaint_in_the_file_s_order_with_what_was_expected() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"description": "a name (a text)", "type": "string"},
            "size": {"$ref": "#/$defs/size"},
        },
        "required": ["name"],
        "additionalProperties": False,
        "$defs": {"size": {"description": "a size above 0", "type": "number", "minimum": 1}},
    }
    validator = jsonschema.Draft202012Validator(schema)

    def complaint(text: str) -> str:
        problem = read_document(text, "f.yaml", raises=KindError).schema_error(validator)
        assert isinstance(problem, KindError)
        return str(problem)

    assert complaint("size: 2\n") == "f.yaml, line 1: name is missing: expected a name (a text)"
    assert complaint("name: x\ncolour: red\nsize: 0\n") == (
        "f.yaml, line 2: colour: not a key here; expected one of name, size"
    )
    assert complaint("name: x\nsize: 0\n") == (
        "f.yaml, line 2: size: expected a size above 0; got 0"
    )
    assert read_document("name: x\n", "f.yaml").schema_error(validator) is None
