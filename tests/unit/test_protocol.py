"""The wire protocol, dicts in and frames out, no socket."""

from __future__ import annotations

import json

import pytest

from pageguide import protocol as p


def parse(frame: dict | str) -> p.Frame:
    return p.parse_client_frame(frame if isinstance(frame, str) else json.dumps(frame))


def test_every_client_frame_type_parses_to_its_model() -> None:
    examples = {
        "hello": {"type": "hello", "site_key": "demo", "protocol": 1},
        "page": {"type": "page", "url": "https://a/b", "path": "/b"},
        "events": {"type": "events", "events": [{"kind": "click", "t": 1}]},
        "ask": {"type": "ask", "id": "1", "text": "hi"},
        "feedback": {"type": "feedback", "message_id": "m", "rating": "up"},
        "csat": {"type": "csat", "score": 4},
        "escalate": {"type": "escalate"},
    }
    assert set(examples) == set(p.CLIENT_FRAMES)
    for kind, frame in examples.items():
        assert isinstance(parse(frame), p.CLIENT_FRAMES[kind])


def test_hello_carries_an_optional_page() -> None:
    hello = parse(
        {"type": "hello", "site_key": "s", "protocol": 1, "page": {"url": "u", "path": "/x"}}
    )
    assert isinstance(hello, p.Hello) and hello.page is not None and hello.page.path == "/x"


def test_unknown_keys_are_ignored_for_forward_compatibility() -> None:
    ask = parse({"type": "ask", "id": "1", "text": "hi", "new_field": True})
    assert isinstance(ask, p.Ask)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("nope", p.ErrorCode.BAD_JSON),
        ("[]", p.ErrorCode.BAD_FRAME),
        ('{"no": "type"}', p.ErrorCode.BAD_FRAME),
        ('{"type": 3}', p.ErrorCode.BAD_FRAME),
        ('{"type": "dance"}', p.ErrorCode.UNKNOWN_TYPE),
        ('{"type": "ask", "id": "1", "text": ""}', p.ErrorCode.BAD_FRAME),
        ('{"type": "feedback", "message_id": "m", "rating": "meh"}', p.ErrorCode.BAD_FRAME),
        ('{"type": "csat", "score": 0}', p.ErrorCode.BAD_FRAME),
        ('{"type": "events", "events": []}', p.ErrorCode.BAD_FRAME),
        ('{"type": "events", "events": [{"kind": "click", "t": -5}]}', p.ErrorCode.BAD_FRAME),
    ],
)
def test_bad_frames_raise_protocol_errors_with_codes(raw: str, code: p.ErrorCode) -> None:
    with pytest.raises(p.ProtocolError) as error:
        parse(raw)
    assert error.value.code is code
    assert error.value.message


def test_error_messages_name_the_field() -> None:
    with pytest.raises(p.ProtocolError) as error:
        parse({"type": "ask", "id": "1"})
    assert error.value.message == "invalid 'ask' frame: text: Field required"


def test_long_text_is_refused_not_truncated() -> None:
    with pytest.raises(p.ProtocolError):
        parse({"type": "ask", "id": "1", "text": "x" * 2_001})


def test_a_question_is_stripped_and_a_blank_one_refused() -> None:
    ask = parse({"type": "ask", "id": "1", "text": "  how do I change my plan?\n"})
    assert isinstance(ask, p.Ask) and ask.text == "how do I change my plan?"
    with pytest.raises(p.ProtocolError) as error:
        parse({"type": "ask", "id": "1", "text": " \n\t "})
    assert error.value.message.startswith("invalid 'ask' frame: text:")


def test_state_machine_wants_hello_first_then_never_again() -> None:
    machine = p.ConnectionMachine()
    ask = p.Ask(type="ask", id="1", text="hi")
    hello = p.Hello(type="hello", site_key="s", protocol=1)
    with pytest.raises(p.ProtocolError, match="expected 'hello' first, got 'ask'"):
        machine.check(ask)
    machine.check(hello)
    machine.ready()
    machine.check(ask)
    with pytest.raises(p.ProtocolError, match="second 'hello'"):
        machine.check(hello)
    machine.close()
    with pytest.raises(p.ProtocolError, match="closed"):
        machine.check(ask)


def test_server_frames_serialise_without_nulls() -> None:
    text = p.dump(p.Error(code="x", message="y"))
    assert json.loads(text) == {"type": "error", "code": "x", "message": "y"}
    end = json.loads(
        p.dump(p.AnswerEnd(id="a", sources=[p.Source(title="T", url="u")], confidence=0.5))
    )
    assert end["sources"] == [{"title": "T", "url": "u"}] and end["type"] == "answer_end"


def test_close_codes_are_the_rfc_numbers() -> None:
    assert p.CloseCode.UNSUPPORTED_DATA == 1003
    assert p.CloseCode.POLICY_VIOLATION == 1008
    assert p.CloseCode.MESSAGE_TOO_BIG == 1009
    assert p.CloseCode.INTERNAL_ERROR == 1011
