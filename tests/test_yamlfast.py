"""The fast writer of new deal files writes exactly what yamlio.dump_new writes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipecli import yamlfast, yamlio
from pipecli.yamlfast import _PLAIN_CODE, _PLAIN_TIME, _PLAIN_WORDS

TRICKY = [
    "",
    " ",
    "yes",
    "No",
    "on",
    "null",
    "~",
    "true",
    "1",
    "0o17",
    "0x1F",
    "1e5",
    "1_000",
    ".inf",
    "-",
    "- x",
    "a: b",
    "a #b",
    "#x",
    "@x",
    "`x",
    "'q'",
    '"q"',
    "a,b",
    "[x]",
    "{x}",
    "x?",
    "? x",
    "|",
    ">",
    "!x",
    "&a",
    "*a",
    "%x",
    "trailing ",
    " leading",
    "two  spaces",
    "Zażółć gęślą jaźń",
    "ทดสอบภาษาไทย",
    "l'ami",
    "2016-10-20",
    "2016-10-20T00:00:00+02:00",
    "2016-10-20 00:00",
    "1C1I7A6R",
    "12E4",
    "tab\there",
    "bell\x07",
    "\u2028sep",
    "é",
    "Called: they want a pilot",
    "l'ami: oui",
    'say "yes": now',
    "back\\slash: x",
    "x #1",
    "ends with space ",
    "Łódź: biuro",
    "ร้านกาแฟ: pilot",
    "emoji 🚀: launch",
]

# sentences in Italian, Polish and Thai (letters, combining marks) with the punctuation
# that decides between plain, single and double quotes (': ', ' #', quotes, a trailing space)
sentence = st.text(
    st.sampled_from(list("aAzZàèìòùÈąęłńóśźżŁกขรัา้่ 0129:#'\",;.-!?&*@%/\\[]{}|>~\u00a0\u2013")) | st.characters(),
    min_size=1,
    max_size=40,
)
scalar_text = st.one_of(
    st.sampled_from(TRICKY),
    sentence,
    sentence.map(lambda s: "a" + s),
    st.text(max_size=25),
    st.from_regex(_PLAIN_WORDS, fullmatch=True).filter(lambda s: len(s) < 40),
    st.from_regex(_PLAIN_CODE, fullmatch=True).filter(lambda s: len(s) < 40),
    st.from_regex(_PLAIN_TIME, fullmatch=True),
)
scalar = st.one_of(
    scalar_text,
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
)
KEY_NAMES = ["id", "title", "from", "to", "at", "no", "yes", "on"]
keys = st.one_of(st.sampled_from(KEY_NAMES), st.text(min_size=1, max_size=8))
flat = st.dictionaries(keys, scalar, min_size=1, max_size=4)
# a history entry: scalars, and a next step's or the tags' ``from`` and ``to``
item = st.dictionaries(keys, st.one_of(scalar, flat, st.lists(scalar, max_size=3)), min_size=1, max_size=4)
value = st.one_of(
    scalar,
    st.lists(scalar, max_size=4),
    flat,
    st.lists(flat, min_size=1, max_size=3),
    st.lists(item, min_size=1, max_size=3),
    st.dictionaries(keys, st.none(), max_size=1),
)
documents = st.dictionaries(keys, value, min_size=1, max_size=8)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_fast_writer_matches_dump_new(doc: dict) -> None:
    assert yamlfast.dump(doc) == yamlio.dump_new(doc)


def test_a_deal_document_matches() -> None:
    doc = {
        "id": "cancity-gtx-plus-basic-1c1i7a6r",
        "external_id": "1C1I7A6R",
        "title": "Cancity – GTX Plus Basic",
        "company": "Cancity",
        "value": 1054,
        "currency": "USD",
        "stage": "engaging",
        "status": "won",
        "owner": "Moses Frase",
        "tags": ["GTX Plus Basic"],
        "created": "2016-10-20T00:00:00+02:00",
        "close_date": "2017-03-01",
        "history": [
            {"at": "2016-10-20T00:00:00+02:00", "event": "created", "to": "engaging"},
            {"at": "2017-03-01T00:00:00+01:00", "event": "won", "to": "engaging"},
        ],
        "notes": [],
    }
    expected = (
        "id: cancity-gtx-plus-basic-1c1i7a6r\n"
        "external_id: 1C1I7A6R\n"
        "title: Cancity – GTX Plus Basic\n"
        "company: Cancity\n"
        "value: 1054\n"
        "currency: USD\n"
        "stage: engaging\n"
        "status: won\n"
        "owner: Moses Frase\n"
        "tags: [GTX Plus Basic]\n"
        "created: 2016-10-20T00:00:00+02:00\n"
        "close_date: 2017-03-01\n"
        "history:\n"
        "  - at: 2016-10-20T00:00:00+02:00\n"
        "    event: created\n"
        "    to: engaging\n"
        "  - at: 2017-03-01T00:00:00+01:00\n"
        "    event: won\n"
        "    to: engaging\n"
        "notes: []\n"
    )
    assert yamlfast.dump(doc) == expected == yamlio.dump_new(doc)
