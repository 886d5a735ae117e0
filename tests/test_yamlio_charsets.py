"""The character classes of pipecli.yamlio, written as the characters they take, are the sets they say."""

from __future__ import annotations

import re

from pipecli import yamlio

# as the comments in yamlio define them: every character but these
PYYAML_TAKES = "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
PYYAML_TAKES_AS_TEXT = "[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
SHOWN_AS_IS = "[^\t\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"


def differing(defined: str, found: re.Pattern[str]) -> list[int]:
    refused = re.compile(defined)
    return [i for i in range(0x110000) if bool(refused.fullmatch(chr(i))) != bool(found.fullmatch(chr(i)))]


def test_every_character_yaml_cannot_show_as_it_is_and_only_those_are_escaped() -> None:
    assert differing(SHOWN_AS_IS, yamlio._UNPRINTABLE) == []


def test_every_character_pyyaml_refuses_and_only_those_send_a_text_to_pyyaml() -> None:
    last = re.compile(yamlio._PYYAML_ONLY.pattern.rsplit("|", 1)[1])
    assert differing(PYYAML_TAKES, last) == []
    for ch in ("\x00", "\x0b", "\x7f", "\x9f", "\ud800", "\ufffe"):
        assert yamlio._PYYAML_ONLY.search(f"title: a{ch}b\n"), repr(ch)
    for ch in ("é", "ก", "\U0001f600", "\ufeff", "\u2027"):
        assert yamlio._PYYAML_ONLY.search(f"title: a{ch}b\n") is None, repr(ch)


def test_every_character_pyyaml_refuses_or_takes_for_a_line_break_and_only_those_are_looked_for() -> None:
    assert differing(PYYAML_TAKES_AS_TEXT, yamlio._REFUSED) == []
    for ch in ("\x85", "\u2028", "\u2029", "\x00", "\ud800"):
        assert yamlio.pyyaml_only(f"title: Łódź{ch}\n"), repr(ch)
    for ch in ("é", "ก", "\U0001f600", "\u2027", "\u202a"):
        assert not yamlio.pyyaml_only(f"title: Łódź{ch}\n"), repr(ch)
