"""User text shown as plain text: the one place the dashboard escapes what users typed.

Athlete names, session titles, tags, file names, search text, and error messages
that quote them are typed by users. Streamlit renders Markdown (and its own
directives) in ``st.markdown``, ``st.caption``, ``st.error``/``warning``/``info``/
``success``, ``st.toast``, headings, ``st.progress`` text, and in the labels of
widgets, buttons, tabs, expanders, radio options and metrics: there
``![p](http://host/x.png)`` would make every viewer's browser fetch an outside image,
``[js](javascript:...)`` would become a link, ``:red[...]`` would colour text,
``$...$`` would be typeset, ``:smile:`` would become an emoji and ``www.host`` a link.
Plotly renders a subset of HTML (``<b>``, ``<a href>``, ``<span style>``) in titles,
legends, hover labels and annotations.

- :func:`md` makes a text safe for anything Streamlit renders as Markdown.
- :func:`html` makes a text safe for Plotly's titles, names, hover texts and annotations.

Where Streamlit shows text as it is, it must not be escaped (the backslashes would
show): the options of ``st.selectbox`` and ``st.multiselect`` (their ``format_func``),
``st.text``, ``st.code``, table cells, a metric's value and delta, text inputs' values.
"""

from __future__ import annotations

import html as _html
import re
import string

__all__ = ["JOINER", "html", "md", "one_line", "shown"]

#: Every ASCII punctuation character: CommonMark lets a backslash escape each of them,
#: and each escaped one is shown literally (no emphasis, link, image, HTML, entity,
#: maths, directive, strikethrough, table or autolink can start from it).
_PUNCTUATION = frozenset(string.punctuation)
_LINE_BREAKS = re.compile(r"[\r\n\v\f\x85\u2028\u2029]+")
#: Word joiner (zero width, no line break). Streamlit's emoji and icon short codes
#: (``:smile:``, ``:material/home:``) and GFM's literal autolinks (``http://host``,
#: ``www.host``, ``name@host.org``) are matched in the text after Markdown's backslash
#: escapes are resolved, so escapes alone do not stop them: a joiner after a ``:`` or
#: ``@`` that has a character after it, and between ``www`` and ``.``, does, and the
#: reader sees the same characters. Elsewhere no joiner is added (``walk.mp4: done``
#: stays searchable as it is).
JOINER = "\u2060"


def one_line(text: object) -> str:
    """``text`` as one line: line breaks become spaces (a label or message is one line)."""
    return _LINE_BREAKS.sub(" ", str(text))


def md(text: object) -> str:
    """``text`` escaped for Streamlit's Markdown: shown literally, on one line.

    Every ASCII punctuation character gets a backslash; a word joiner (:data:`JOINER`)
    follows a ``:`` or ``@`` with text after it and separates ``www`` from ``.``, so
    that ``:smile:``, ``http://host``, ``www.host`` or ``name@host.org`` stay text; tabs
    and line breaks become spaces. ``None`` gives an empty string.
    """
    if text is None:
        return ""
    plain = one_line(text).replace("\t", " ")
    out: list[str] = []
    for i, char in enumerate(plain):
        if char not in _PUNCTUATION:
            out.append(char)
            continue
        if char == "." and plain[max(0, i - 3):i].casefold() == "www":
            out.append(JOINER)
        out.append("\\" + char)
        if char in ":@" and i + 1 < len(plain) and not plain[i + 1].isspace():
            out.append(JOINER)
    return "".join(out)


def html(text: object) -> str:
    """``text`` escaped for Plotly (titles, trace names, hover texts, annotations):
    ``&``, ``<``, ``>`` and quotes as entities, line breaks as spaces. ``None`` gives
    an empty string."""
    if text is None:
        return ""
    return _html.escape(one_line(text), quote=True)


_ESCAPED = re.compile(r"\\([" + re.escape(string.punctuation) + r"])")


def shown(markdown: str) -> str:
    """What a reader sees of a text made by :func:`md` (backslashes and joiners gone):
    ``shown(md(x)) == one_line(x)`` with tabs as spaces. For tests and logs."""
    return _ESCAPED.sub(r"\1", markdown.replace(JOINER, ""))
