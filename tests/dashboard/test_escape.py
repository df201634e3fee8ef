"""User text as plain text: the escaping helper (issue 11, finding 2).

What Streamlit makes of the escaped text in a real browser is checked by
``test_browser_injection.py``; here, the rules, and that the text a reader sees is
unchanged.
"""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from dashboard.escape import JOINER, html, md, one_line, shown

PAYLOADS = [
    "![p](http://127.0.0.1:9/x.png)",
    "[js](javascript:alert(1))",
    ":red[coloured]",
    ":material/home: :smile:",
    "<img src=x onerror=alert(1)>",
    "$\\href{javascript:alert(1)}{x}$",
    "**bold** _it_ ~~del~~ `code`",
    "www.example.com anna@example.com https://example.org",
    "# heading",
    "> quote",
    "1. list",
    "&lt;b&gt;",
    "| a | b |",
]


def test_every_ascii_punctuation_mark_is_escaped():
    escaped = md(string.punctuation)
    assert escaped.replace(JOINER, "") == "".join("\\" + c for c in string.punctuation)


def test_letters_digits_spaces_and_unicode_stay_as_they_are():
    for text in ("Anna Lee", "Zoë Ünal 2024", "Übung im Freien", "武田 花", "squat 90°"):
        assert md(text) == text


def test_a_file_name_and_a_message_keep_their_characters_in_order():
    assert md("walk.mp4: frame 3 of 230") == "walk\\.mp4\\: frame 3 of 230"


def test_nothing_markdown_can_start_from_the_payloads():
    for payload in PAYLOADS:
        escaped = md(payload)
        # No unescaped punctuation is left: every mark is preceded by a backslash.
        unescaped = [
            c for i, c in enumerate(escaped)
            if c in string.punctuation and c != "\\" and escaped[i - 1:i] != "\\"
        ]
        assert not unescaped, (payload, escaped)


def test_short_codes_and_autolinks_are_broken_by_a_joiner():
    assert md(":smile:") == f"\\:{JOINER}smile\\:"
    assert md(":material/home:") == f"\\:{JOINER}material\\/home\\:"
    assert md("http://x") == f"http\\:{JOINER}\\/\\/x"
    assert md("www.host.org") == f"www{JOINER}\\.host\\.org"
    assert md("WWW.HOST.ORG").startswith(f"WWW{JOINER}\\.")
    assert md("anna@host.org") == f"anna\\@{JOINER}host\\.org"
    assert md("a: b @ c") == "a\\: b \\@ c"  # no joiner before a space


def test_one_line():
    assert md("a\nb\r\nc\td") == "a b c d"
    assert one_line("x\u2028y") == "x y"
    assert md(None) == "" and html(None) == ""


@given(st.text())
def test_a_reader_sees_the_text_as_typed(text: str):
    assert shown(md(text)) == one_line(text).replace("\t", " ")


def test_plotly_text_is_html_escaped():
    assert html("<b>B</b> & <a href='javascript:x'>") == (
        "&lt;b&gt;B&lt;/b&gt; &amp; &lt;a href=&#x27;javascript:x&#x27;&gt;"
    )
    assert html("Anna Lee") == "Anna Lee"
    assert html("a\nb") == "a b"
