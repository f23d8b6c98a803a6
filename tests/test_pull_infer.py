"""pull/infer, pull/merge, pull/formats, pull/tree: the walker, the merge rules, the
formats, deep and bad input, the field paths and the deterministic text."""

from __future__ import annotations

import json

import pytest

from nbconnect import limits
from nbconnect.errors import PullError
from nbconnect.pull.formats import all_match, detect, matches
from nbconnect.pull.infer import Inference, parse_json
from nbconnect.pull.merge import UNKNOWN, merge_shapes
from nbconnect.pull.tree import fields_from


def pulled(*samples):
    inference = Inference()
    for s in samples:
        inference.add(s)
    return {f.path: f for top in fields_from(inference.root) for f in top.walk()}, inference


def test_types_required_nullable_and_examples():
    fields, _ = pulled({"id": 1, "name": "a", "ok": True, "score": 2.5, "gone": None,
                        "sometimes": 1},
                       {"id": 2, "name": "b", "ok": False, "score": 3, "gone": None})
    assert fields["id"].type == "integer" and fields["id"].required
    assert fields["id"].example == 1
    assert fields["ok"].type == "boolean" and fields["ok"].example is True
    assert fields["score"].type == "number"  # integer + number merge to number
    assert fields["name"].required and not fields["name"].nullable
    assert not fields["sometimes"].required  # absent from the second sample
    assert fields["gone"].type == UNKNOWN and fields["gone"].nullable  # never "null"
    assert fields["gone"].required  # present (as null) in every sample


def test_a_null_field_takes_the_type_of_a_later_sample():
    fields, _ = pulled({"due": None}, {"due": None}, {"due": "2024-05-01"})
    assert fields["due"].type == "string" and fields["due"].format == "date"
    assert fields["due"].nullable
    assert fields["due"].example == "2024-05-01"


def test_array_items_merge_across_every_item():
    fields, _ = pulled({"items": [{"id": 1, "tag": "x"}, {"id": 2, "extra": None},
                                  {"id": 3.5, "tag": None}], "labels": ["a", "b"]})
    assert fields["items"].type == "array" and fields["items"].items == "object"
    assert fields["items[*].id"].type == "number" and fields["items[*].id"].required
    assert not fields["items[*].tag"].required and fields["items[*].tag"].nullable
    assert fields["items[*].extra"].type == UNKNOWN
    assert fields["labels"].items == "string"
    assert fields["labels[*]"].type == "string" and fields["labels[*]"].example == "a"


def test_a_top_level_array_is_the_root_field():
    fields, inference = pulled([{"id": 1}, {"id": 2, "n": "x"}], [{"id": 3}])
    assert list(fields) == ["$", "[*].id", "[*].n"]
    assert fields["$"].type == "array" and fields["$"].items == "object"
    assert fields["[*].id"].required and not fields["[*].n"].required
    assert inference.samples == 2


def test_mixed_types_are_any_and_odd_keys_are_quoted():
    fields, _ = pulled({"v": 1, "a b": {"c.d": 1}}, {"v": "one"})
    assert fields["v"].type == "any"
    assert '["a b"]["c.d"]' in fields


def test_a_scalar_body_and_empty_containers():
    fields, _ = pulled("just text")
    assert fields["$"].type == "string"
    fields, _ = pulled({"list": [], "obj": {}})
    assert fields["list"].items == UNKNOWN and fields["obj"].type == "object"


@pytest.mark.parametrize(("text", "fmt"), [
    ("2024-01-31T10:00:00Z", "date-time"), ("2024-01-31T10:00:00.123+02:00", "date-time"),
    ("2024-01-31", "date"), ("ada@example.com", "email"),
    ("https://example.com/a?b=c", "uri"), ("123e4567-e89b-42d3-a456-426614174000", "uuid"),
    ("2024-13-31", None), ("2024-01-31 10:00", None), ("not an email@", None),
    ("mailto", None), ("urn:isbn:123", None), ("hello", None), ("", None),
])
def test_format_detection(text, fmt):
    assert detect(text) == fmt
    if fmt:
        assert matches(fmt, text) and all_match(fmt, [text, text])


def test_a_format_is_kept_only_when_every_string_has_it():
    fields, _ = pulled({"when": "2024-01-01", "mail": "a@b.co"},
                       {"when": "2024-01-02", "mail": "not a mail"})
    assert fields["when"].format == "date" and fields["mail"].format is None
    fields, _ = pulled([{"u": "123e4567-e89b-42d3-a456-426614174000"}] * 3
                       + [{"u": "123e4567-e89b-42d3-a456-42661417400Z"}])
    assert fields["[*].u"].format is None


def test_examples_are_shortened_and_secrets_never_shown():
    from nbconnect.auth.redaction import register

    register("s3cr3t-value-for-pull")
    long = "x" * 200
    fields, _ = pulled({"note": long, "access_token": "abc123def", "password": "pw12345",
                        "api_key": "k", "tokens": ["t1"], "echo": "s3cr3t-value-for-pull",
                        "key": "PROJ-1"})
    assert len(fields["note"].example) == limits.MAX_PULL_EXAMPLE_CHARS
    assert fields["note"].example.endswith("…")
    for path in ("access_token", "password", "api_key", "tokens[*]"):
        assert fields[path].example is None, path
    assert fields["echo"].example == "***"
    assert fields["key"].example == "PROJ-1"  # a key is not a credential


def test_deep_nesting_is_cut_not_a_recursion_error():
    deep: dict = {}
    node = deep
    for _ in range(5000):
        node["a"] = {}
        node = node["a"]
    fields, inference = pulled(deep)
    assert inference.cut
    assert max(p.count(".") for p in fields) == limits.MAX_PULL_DEPTH - 1
    assert any(f.cut for f in fields.values())
    nested: list = []
    cur = nested
    for _ in range(5000):
        cur.append([])
        cur = cur[0]
    _, inference = pulled(nested)
    assert inference.cut
    from nbconnect.pull.infer import MAX_DEPTH

    huge = Inference(max_depth=10**9)  # clamped: the walk recurses once per level
    assert huge.max_depth == MAX_DEPTH
    huge.add(nested)
    assert huge.cut


def test_parse_json_refuses_bad_bodies_with_one_sentence():
    with pytest.raises(PullError, match="is empty"):
        parse_json(b"  \n", "the response")
    with pytest.raises(PullError, match="is not JSON"):
        parse_json(b"<html></html>", "the response")
    with pytest.raises(PullError, match="not UTF-8"):
        parse_json(b"\xff\xfe{", "the response")
    with pytest.raises(PullError, match="over the 10-byte bound"):
        parse_json(b'{"a": 12345678}', "the response", max_bytes=10)
    with pytest.raises(PullError, match="nested too deeply"):
        parse_json("[" * 200_000 + "]" * 200_000, "the response")
    assert parse_json(b'\xef\xbb\xbf{"a": 1}', "the response") == {"a": 1}


def test_merging_two_inferences_equals_one_inference_of_both():
    a = {"id": 1, "due": None, "tags": ["x"], "when": "2024-01-01"}
    b = {"id": 2.5, "due": "2024-01-01", "tags": [], "extra": True, "when": "2024-01-02"}
    one = Inference()
    one.add(a)
    one.add(b)
    left, right = Inference(), Inference()
    left.add(a)
    right.add(b)
    merged = merge_shapes(left.root, right.root)
    as_dicts = [[f.to_dict() for top in fields_from(r) for f in top.walk()]
                for r in (one.root, merged)]
    assert as_dicts[0] == as_dicts[1]


def test_result_text_and_json_are_deterministic():
    import nbconnect

    c = nbconnect.Connector("t", base_url="https://api.example.com")
    c.add_endpoint("GET", "/things", id="things")
    sample = [{"id": 1, "name": "a", "when": "2024-01-01T00:00:00Z"}]
    first = c.pull("things", [sample])
    again = c.pull("things", [json.loads(json.dumps(sample))])
    assert first.text() == again.text() and first.to_json() == again.to_json()
    assert repr(first) == "PullResult('things', fields=4, samples=1, drift=1+/0-/0~)"
    data = json.loads(first.to_json())
    assert set(data["fields"][1]) == {"path", "type", "format", "nullable", "required",
                                      "example"}
    assert data["drift"] == {"added": [{"path": "$", "type": "array<object>"}],
                             "missing": [], "changed": []}
    assert "  [*].when  string(date-time)  required" in first.text()
