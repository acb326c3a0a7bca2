"""The chat page in real Chromium against a real server: the seed question end to end."""

from __future__ import annotations

import re

import pytest

from wikidesk.store import Store

pytestmark = pytest.mark.browser

SEED = "which Python should I use on Picotte?"


@pytest.fixture(autouse=True)
def no_script_errors(page):
    """Every chat test also fails on an uncaught script error or a Content-Security-Policy refusal."""
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield
    assert problems == []


def ask(page, question: str, turn: int):
    """Type a question, press Enter, and return the answer article of that turn."""
    box = page.get_by_label("Your question")
    box.fill(question)
    box.press("Enter")
    answer = page.locator("article.turn--answer").nth(turn - 1)
    answer.wait_for()
    return answer


def copy_and_wait(page, answer, command: str) -> None:
    """Click the command's Copy button and wait until it says "Copied"."""
    button = answer.get_by_role("button", name=f"Copy command: {command}")
    button.click()
    page.wait_for_function("b => b.textContent === 'Copied'", arg=button.element_handle())


def test_seed_question_answers_with_sources_and_copyable_command(
    page, live_server, artifacts, blocked_requests, viewports
):
    page.goto("/")
    page.get_by_role("heading", name="Ask the research-computing wiki").wait_for()
    answer = ask(page, SEED, 1)
    text = answer.locator(".answer__text").inner_text()
    assert re.search(r"python/gcc/3\.10|recommend", text, re.I), text
    assert answer.locator("a.marker").first.inner_text() == "[1]"
    source1 = answer.locator("li.source").first
    assert "Recommendation" in source1.locator(".source__link").inner_text()
    assert source1.locator(".source__snippet mark").count() > 0

    copy_and_wait(page, answer, "module load python/gcc/3.10")
    assert page.evaluate("navigator.clipboard.readText()") == "module load python/gcc/3.10"

    page.screenshot(path=str(artifacts / "chat-desktop.png"))
    page.set_viewport_size(viewports["phone"])
    page.locator(".turn--user").first.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(artifacts / "chat-phone.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewports["phone"]["width"], f"the page scrolls sideways at 360 px ({width} px wide)"
    assert blocked_requests == []


def test_python_code_is_labelled_and_copied_whole(page, live_server):
    page.goto("/")
    answer = ask(page, "how do I get the core count in python multiprocessing", 1)
    box = answer.locator(".command").filter(has_text="sched_getaffinity").first
    assert box.locator(".command__lang").inner_text() == "In Python:"
    code = box.locator(".command__code").inner_text()
    button = box.get_by_role("button", name=re.compile(r"^Copy Python code: import multiprocessing"))
    button.click()
    page.wait_for_function("b => b.textContent === 'Copied'", arg=button.element_handle())
    assert page.evaluate("navigator.clipboard.readText()") == code


def test_source_one_opens_the_recommendation_section(page, live_server, artifacts, viewports):
    page.goto("/")
    answer = ask(page, SEED, 1)
    answer.locator("li.source").first.locator("a.source__link").click()
    page.wait_for_url(re.compile(r"/page/python\?.*#recommendation$"))
    assert page.evaluate("location.pathname + location.hash") == "/page/python#recommendation"
    heading = page.locator("#recommendation")
    assert heading.is_visible()
    assert heading.inner_text() == "Recommendation"
    section = page.locator("section.wiki-section", has=heading)
    assert "is-cited" in (section.get_attribute("class") or "")
    assert section.locator("mark", has_text="python/gcc/3.10").count() == 1
    top = heading.evaluate("el => el.getBoundingClientRect().top")
    assert 0 <= top < 300, f"the cited heading is not scrolled into view (top={top})"
    page.screenshot(path=str(artifacts / "page-desktop.png"))
    page.set_viewport_size(viewports["phone"])
    page.screenshot(path=str(artifacts / "page-phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewports["phone"]["width"]

    page.go_back()
    page.locator("article.turn--answer").first.wait_for()
    assert page.locator("article.turn--answer").count() == 1, "the conversation survives a visit to a source"


def test_empty_chat_offers_examples_at_both_widths(page, live_server, artifacts, viewports):
    page.goto("/")
    assert page.locator("button.example").count() >= 2
    page.screenshot(path=str(artifacts / "welcome-desktop.png"))
    page.set_viewport_size(viewports["phone"])
    page.screenshot(path=str(artifacts / "welcome-phone.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= viewports["phone"]["width"]


def test_marker_links_to_its_source(page, live_server):
    page.goto("/")
    answer = ask(page, SEED, 1)
    href = answer.locator("a.marker").first.get_attribute("href")
    assert href.startswith("/page/python?") and href.endswith("#recommendation")


def test_follow_up_is_answered_from_the_proteus_context(page, live_server, artifacts):
    page.goto("/")
    ask(page, SEED, 1)
    second = ask(page, "and on Proteus?", 2)
    second.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "follow-up-desktop.png"))
    sources = " ".join(second.locator(".source__link").all_inner_texts())
    warnings = " ".join(second.locator(".warning").all_inner_texts())
    assert "Proteus" in sources or "decommissioned" in warnings.lower(), (sources, warnings)
    assert "Proteus" in second.locator(".answer__interpreted").inner_text()


def test_feedback_is_stored(page, live_server, live_config):
    page.goto("/")
    answer = ask(page, SEED, 1)
    with page.expect_response("**/api/feedback") as resp:
        answer.get_by_role("button", name="Yes").click()
    assert resp.value.status == 201
    answer.get_by_text("Thanks").wait_for()
    rows = Store(live_config.feedback_db).feedback_rows()
    assert any(r["question"] == SEED and r["helpful"] == 1 and r["page"] == "python" for r in rows)
    page.reload()
    restored = page.locator("article.turn--answer").first
    restored.get_by_text("Thanks").wait_for()
    assert restored.get_by_role("button", name="Yes").count() == 0, "one vote per answer, kept on reload"


def test_not_helpful_offers_a_ticket(page, live_server, live_config):
    page.goto("/")
    answer = ask(page, SEED, 1)
    answer.get_by_role("button", name="No").click()
    ticket = answer.get_by_role("link", name="Open a ticket")
    ticket.wait_for()
    assert ticket.get_attribute("href") == live_config.helpdesk_url
    row = Store(live_config.feedback_db).feedback_rows()[-1]
    assert (row["helpful"], row["section"], row["origin"]) == (0, "recommendation", "chat")


def test_keyboard_only_asking(page, live_server):
    page.goto("/")
    focused = page.evaluate("document.activeElement.id")
    assert focused == "question", "the question box has focus on an empty chat"
    page.keyboard.type("which Python should I")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("use on Picotte?")
    assert page.input_value("#question") == "which Python should I\nuse on Picotte?"
    page.keyboard.press("Enter")
    page.locator("article.turn--answer").wait_for()
    assert page.evaluate("document.activeElement.id") == "question", "focus returns to the box"
    assert page.input_value("#question") == ""
    # Tab reaches the answer's first source marker and Enter follows it.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('marker')"):
            break
    else:
        pytest.fail("Tab never reached the [1] marker")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/page/python"))


def test_example_question_and_unanswered_question(page, live_server, live_config, artifacts):
    page.goto("/")
    examples = page.locator("button.example")
    assert examples.count() >= 2
    examples.first.click()
    first = page.locator("article.turn--answer").first
    first.wait_for()
    assert "is-unanswered" not in (first.get_attribute("class") or "")
    page.get_by_role("button", name="New conversation").click()
    assert page.locator("article.turn--answer").count() == 0
    assert page.locator("button.example").first.is_visible()
    answer = ask(page, "how do I renew my parking permit at the stadium?", 1)
    assert "is-unanswered" in (answer.get_attribute("class") or "")
    assert answer.locator(".answer__interpreted").count() == 0, "a new conversation has no history"
    ticket = answer.get_by_role("link", name="Open a ticket")
    assert ticket.get_attribute("href") == live_config.helpdesk_url
    answer.scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "unanswered-desktop.png"))


def test_errors_are_shown_in_the_transcript(page, live_server):
    page.goto("/")
    page.route("**/api/ask", lambda route: route.fulfill(status=503, json={"error": "index is rebuilding"}))
    box = page.get_by_label("Your question")
    box.fill(SEED)
    box.press("Enter")
    error = page.locator(".turn--error")
    error.wait_for()
    assert "index is rebuilding" in error.inner_text()
    assert page.input_value("#question") == SEED, "the question is kept for another try"
    assert page.locator("#question").is_enabled()


def test_copy_falls_back_when_the_clipboard_api_refuses(page, live_server):
    page.add_init_script(
        "navigator.clipboard.writeText = () => Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    page.goto("/")
    answer = ask(page, SEED, 1)
    copy_and_wait(page, answer, "module load python/gcc/3.10")
    assert page.evaluate("navigator.clipboard.readText()") == "module load python/gcc/3.10"


def test_markup_in_questions_and_answers_is_shown_as_text(page, live_server):
    page.goto("/")
    question = '<img src=x onerror="window.pwned=1"> <b>python</b> on Picotte?'
    ask(page, question, 1)
    bubble = page.locator(".turn--user .bubble").first
    assert bubble.inner_text() == question
    assert bubble.locator("img, b").count() == 0
    assert page.evaluate("window.pwned") is None


def test_answer_text_without_structured_sentences_still_links_markers(page, live_server):
    """Older servers send only `answer`; its " [n]" markers become links, the wiki's own "[4]" not."""

    def strip_sentences(route):
        body = route.fetch().json()
        body.pop("sentences", None)
        body["answer"] = "Use venvs)[4][5] for groups. [1] Or a module. [2]"
        route.fulfill(json=body)

    page.route("**/api/ask", strip_sentences)
    page.goto("/")
    answer = ask(page, SEED, 1)
    assert answer.locator("a.marker").all_inner_texts() == ["[1]", "[2]"]
    assert "venvs)[4][5] for groups." in answer.locator(".answer__text").inner_text()
