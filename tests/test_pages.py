"""HTML pages through Flask's test client: the chat page and the rendered wiki page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wikidesk.config import Config
from wikidesk.service import Wikidesk, build
from wikidesk.web import create_app
from wikidesk.web.pages import find_examples

SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def shared_available() -> bool:
    return (SHARED / "urcf").is_dir()


GUIDE = """---
title: Guide
permalink: /Guide/
---

Intro text before any heading.[1]

Setup
-----

Load the module first, see [Other Page](/Other_Page#Details "wikilink") and
[Missing Page](/Missing_Page "wikilink"), or read about
[cgroups](/wikipedia:Cgroups "wikilink").

To switch to a new conda environment, do:

`   conda activate `*`environment_name`*

For example:

`   [juser@picottelogin ~]$ conda activate biopython`
`   (biopython) [juser@picottelogin]$`

### Setup

The second setup section, about the **scheduler**. Install the client&lt;ref name="cli&gt;[client docs](https://example.edu/cli)</ref> first.

``` bash
#!/bin/bash
echo "[2] is not a footnote here" # and (/Other_Page "wikilink") stays text
```

| Queue | Limit |
|-------|-------|
| def   | 48h   |

Unsafe Things
-------------

<script>alert("script")</script>
<img src="x" onerror="alert('img')">
[click me](javascript:alert('link')) and <a href="/x" onclick="alert(1)">a link</a>

References
----------

<references/>

[1] [Guide source](https://example.edu/guide)
"""

OTHER = """# Other Page

## Details

Details about the scheduler.
"""


@pytest.fixture
def wiki(tmp_path: Path) -> Path:
    root = tmp_path / "wiki"
    (root / "gpu").mkdir(parents=True)
    (root / "guide.md").write_text(GUIDE, encoding="utf-8")
    (root / "other_page.md").write_text(OTHER, encoding="utf-8")
    (root / "old_guide.md").write_text('#REDIRECT [Guide](/Guide#Setup "wikilink")\n', encoding="utf-8")
    (root / "dead_link.md").write_text('#REDIRECT [Nowhere](/Nowhere "wikilink")\n', encoding="utf-8")
    (root / "gpu" / "cuda.md").write_text(
        "# CUDA\n\n## Versions\n\nCUDA 12 is installed.\n", encoding="utf-8"
    )
    return root


def app_for(corpus: Path, tmp_path: Path, **settings):
    """An app over its own corpus, index and store, with any settings changed."""
    config = Config(corpus=corpus, index=tmp_path / "app-index", data_dir=tmp_path / "app-data")
    config = config.replace(**settings)
    index, _ = build(config)
    app = create_app(config, desk=Wikidesk(index, config))
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def wiki_app(tmp_path: Path, wiki: Path):
    return app_for(wiki, tmp_path)


@pytest.fixture
def wiki_client(wiki_app):
    return wiki_app.test_client()


def html_of(response, status: int = 200) -> str:
    assert response.status_code == status
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def heading_ids(html: str) -> list[str]:
    return re.findall(r'<h[2-6] id="([^"]+)"', html)


# --------------------------------------------------------------------------- chat page


def test_chat_page_has_labelled_controls_and_a_live_transcript(client):
    html = html_of(client.get("/"))
    assert '<label class="composer__label" for="question">Your question</label>' in html
    assert 'id="question"' in html and 'maxlength="1000"' in html
    assert 'aria-live="polite"' in html
    assert 'data-helpdesk-url="mailto:helpdesk@example.edu"' in html
    assert '<html lang="en">' in html and 'name="viewport"' in html


def test_chat_page_fetches_nothing_from_elsewhere(client):
    html = html_of(client.get("/"))
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "the page links its own assets"
    assert all(u.startswith(("/", "#", "data:")) for u in urls if u != "mailto:helpdesk@example.edu"), urls
    for asset in ("/static/app.css", "/static/chat.js", "/static/page.js"):
        body = client.get(asset).get_data(as_text=True)
        assert client.get(asset).status_code == 200
        assert not re.search(r"https?://", body), f"{asset} refers to another site"


def test_pages_allow_only_their_own_resources(client):
    for path in ("/", "/page/python"):
        headers = client.get(path).headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_chat_script_never_puts_server_strings_in_inner_html(client):
    js = client.get("/static/chat.js").get_data(as_text=True)
    code = re.sub(r"/\*.*?\*/", "", js, flags=re.S)
    assert "innerHTML" not in code and "insertAdjacentHTML" not in code and "document.write" not in code


def test_example_questions_are_answered_from_the_section_they_name(app, client, desk):
    html = html_of(client.get("/"))
    examples = re.findall(r'<button type="button" class="example">([^<]+)</button>', html)
    assert len(examples) >= 3
    assert examples[0] == "Which Python should I use on Picotte?"
    for question in examples:
        result = desk.ask(question.replace("&#39;", "'"))
        assert result["answered"] is True, question
        assert not result["warnings"], question


def test_examples_come_from_any_corpus(wiki_app):
    with wiki_app.app_context():
        examples = find_examples(wiki_app.extensions["wikidesk"], 4)
    for question in examples:
        assert wiki_app.extensions["wikidesk"].ask(question)["answered"]


def test_the_helpdesk_link_comes_from_the_config(tmp_path, seed_corpus):
    app = app_for(seed_corpus, tmp_path, helpdesk_url="https://support.example.edu/new?queue=hpc&x=1")
    client = app.test_client()
    html = html_of(client.get("/"))
    assert 'data-helpdesk-url="https://support.example.edu/new?queue=hpc&amp;x=1"' in html


# --------------------------------------------------------------------------- page view


def test_heading_ids_are_the_citation_anchors(client, desk):
    html = html_of(client.get("/page/python"))
    page = desk.index.pages["python"]
    expected = [s.anchor for s in page.sections if s.level]
    assert heading_ids(html) == expected
    assert len(set(expected)) == len(expected)
    cited = desk.ask("which Python should I use on Picotte?")["citations"]
    for c in cited:
        assert f'id="{c["anchor"]}"' in html
    assert '<section class="wiki-section" id="top">' in html


def test_cited_section_is_marked_and_its_terms_highlighted(client):
    html = html_of(client.get("/page/python?hl=which+python+should+I+use+on+Picotte&section=recommendation"))
    cited = re.search(r'<section class="wiki-section is-cited">(.*?)</section>', html, re.S)
    assert cited and 'id="recommendation"' in cited.group(1)
    assert "<mark>python/gcc/3.10</mark>" in cited.group(1)
    assert html.count("is-cited") == 1
    elsewhere = html.replace(cited.group(0), "")
    assert "<mark>" not in elsewhere, "only the cited section has its terms marked"
    assert "The highlighted section is the one cited in your answer." in html


def test_terms_are_marked_in_text_but_never_in_markup(client):
    html = html_of(client.get("/page/python?hl=wikilink+href+class+section"))
    assert "<mark>" not in re.sub(r"<[^>]+>", "", html.replace("<mark>", "\x00"))
    assert not re.search(r"<[^>]*<mark>", html), "a <mark> inside a tag"


def test_wikilinks_point_at_pages_of_this_wiki(wiki_client):
    html = html_of(wiki_client.get("/page/guide"))
    assert '<a href="/page/other_page#details"' in html
    assert '<span class="missing-link" title="not in this wiki">Missing Page</span>' in html
    assert 'href="https://en.wikipedia.org/wiki/Cgroups"' in html
    assert "Open this page on the wiki" not in html, "no wiki address is configured"
    assert '"wikilink"' not in re.sub(r"<pre>.*?</pre>", "", html, flags=re.S)


def test_wikilinks_to_a_missing_page_go_to_the_configured_wiki(tmp_path, wiki):
    client = app_for(wiki, tmp_path / "other", wiki_base_url="https://wiki.example.edu/wiki").test_client()
    html = html_of(client.get("/page/guide"))
    assert 'href="https://wiki.example.edu/wiki/Missing_Page"' in html
    assert (
        '<a href="https://wiki.example.edu/wiki/Guide" rel="noopener">Open this page on the wiki</a>' in html
    )
    assert '<a href="/page/other_page#details"' in html


def test_pandoc_preformatted_lines_are_code(wiki_client):
    html = html_of(wiki_client.get("/page/guide"))
    assert "<pre><code>conda activate &lt;environment_name&gt;\n</code></pre>" in html
    assert (
        "<pre><code>[juser@picottelogin ~]$ conda activate biopython\n(biopython) [juser@picottelogin]$\n</code></pre>"
        in html
    )


def test_fenced_code_is_left_alone(wiki_client):
    html = html_of(wiki_client.get("/page/guide"))
    assert "[2] is not a footnote here" in html
    assert '(/Other_Page "wikilink") stays text' in html.replace("&quot;", '"')


def test_footnotes_link_to_their_references(wiki_client):
    html = html_of(wiki_client.get("/page/guide"))
    assert '<sup class="fn"><a href="#wd_ref_1"' in html
    assert '<span class="ref" id="wd_ref_1">1.</span>' in html
    assert "&lt;references" not in html


def test_an_inline_footnote_shows_as_a_note_not_a_tag(wiki_client):
    html = html_of(wiki_client.get("/page/guide"))
    assert 'Install the client (<a href="https://example.edu/cli"' in html
    assert "ref name" not in html


def test_duplicate_headings_get_the_parser_anchors(wiki_client, wiki_app):
    html = html_of(wiki_client.get("/page/guide"))
    page = wiki_app.extensions["wikidesk"].index.pages["guide"]
    assert heading_ids(html) == [s.anchor for s in page.sections if s.level]
    assert {"setup", "setup-2"} <= set(heading_ids(html))


def test_tables_render(wiki_client):
    html = html_of(wiki_client.get("/page/guide"))
    assert "<table>" in html and "<th>Queue</th>" in html and "<td>48h</td>" in html


def test_page_html_is_sanitised(wiki_client):
    html = html_of(wiki_client.get("/page/guide"))
    body = html.split('id="wd_main"', 1)[1]
    assert "<script>" not in body and "alert(" not in body
    assert "onerror" not in body and "onclick" not in body
    assert "javascript:" not in body
    assert "<img" not in body
    assert "click me" in body and "a link" in body


def test_script_text_is_not_executable(wiki_client):
    html = html_of(wiki_client.get("/page/guide"))
    body = html.split('id="wd_main"', 1)[1].split("<script src=", 1)[0]
    assert "<script" not in body


def test_headings_never_collide_with_the_view_ids(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    text = "# Odd\n\n## Main\n\nA.[1]\n\n## wd main\n\nB.\n\n## Ref 1\n\n[1] [x](https://example.edu)\n"
    (corpus / "odd.md").write_text(text, encoding="utf-8")
    html = html_of(app_for(corpus, tmp_path).test_client().get("/page/odd"))
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), ids
    assert {"main", "wd-main", "ref-1", "wd_main", "wd_ref_1"} <= set(ids)


def test_nested_page_ids(wiki_client):
    html = html_of(wiki_client.get("/page/gpu/cuda"))
    assert '<h1 id="wd_title">CUDA</h1>' in html
    assert heading_ids(html) == ["versions"]
    assert wiki_client.get("/page/gpu").status_code == 404


def test_redirect_page_redirects_to_its_target(wiki_client):
    r = wiki_client.get("/page/old_guide?hl=setup&section=setup")
    assert r.status_code == 302
    assert r.headers["Location"] == "/page/guide?hl=setup&section=setup#setup"


def test_redirect_to_a_missing_page_is_shown_with_a_note(wiki_client):
    html = html_of(wiki_client.get("/page/dead_link"))
    assert "redirects to “Nowhere”, which is not in this wiki" in html


def test_a_page_name_from_the_wiki_redirects_to_its_id(wiki_client):
    r = wiki_client.get("/page/Other_Page")
    assert r.status_code == 301
    assert r.headers["Location"] == "/page/other_page"


def test_unknown_page_is_an_html_404(client):
    html = html_of(client.get("/page/no_such_page"), 404)
    assert "Not Found" in html and "Ask the wiki a question" in html
    assert html_of(client.get("/nothing/here"), 404)


def test_page_escapes_its_title(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "x.md").write_text("---\ntitle: <b>Bold</b> & co\n---\n\n## Part\n\nText.\n", encoding="utf-8")
    client = app_for(corpus, tmp_path).test_client()
    html = html_of(client.get("/page/x"))
    assert "<b>Bold</b>" not in html


def assert_every_page_renders_with_its_anchors(app) -> None:
    client = app.test_client()
    pages = app.extensions["wikidesk"].index.pages
    assert len(pages) > 10
    for page_id, page in pages.items():
        r = client.get(f"/page/{page_id}")
        if page.redirect:
            assert r.status_code in (200, 302), page_id
            continue
        html = html_of(r)
        assert heading_ids(html) == [s.anchor for s in page.sections if s.level], page_id


def test_every_fixture_page_renders_with_its_anchors(fixture_wiki, tmp_path):
    assert_every_page_renders_with_its_anchors(app_for(fixture_wiki, tmp_path))


@pytest.mark.shared
@pytest.mark.skipif(not shared_available(), reason="../shared/corpus/urcf is not here")
def test_every_real_wiki_page_renders_with_its_anchors(tmp_path):
    assert_every_page_renders_with_its_anchors(app_for(SHARED / "urcf", tmp_path))
