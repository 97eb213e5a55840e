"""The studio page in a real browser: Debian's chromium, headless, driven by Playwright.

The test composes from the page, waits for the player, checks that the audio element holds a source
of non-zero duration, asks the ask box about the run, makes a piece with a chat turn and plays it,
and saves screenshots to build/test-output/ (studio-page.png, studio-chat.png).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]  # fmt: skip
OUTPUT = Path(__file__).resolve().parents[2] / "build" / "test-output"

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (scripts/setup.sh installs it)")


def test_compose_from_the_page_and_play_the_mix(studio) -> None:  # type: ignore[no-untyped-def]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(studio.url + "/")
            page.wait_for_function("document.getElementById('server-status').textContent.startsWith('server')")
            page.fill("#prompt", "a short waltz in G major for piano")
            page.fill("#seed", "5")
            page.fill("#max-iters", "1")
            page.fill("#duration", "12")
            page.click("#compose-button")

            # the player gets the rendered mix once the run is done; its metadata gives the duration
            page.wait_for_function("document.getElementById('mix-player').duration > 0", timeout=240_000)
            duration = page.evaluate("document.getElementById('mix-player').duration")
            source = page.evaluate("document.getElementById('mix-player').currentSrc")
            assert source.startswith("blob:") and duration > 5, (source, duration)
            page.wait_for_function("document.body.dataset.openRun && document.getElementById('pianoroll').naturalWidth > 100")

            assert page.text_content("#summary").startswith("valid")
            assert "G major" in page.text_content("#summary") and "3/4" in page.text_content("#summary")
            done = page.eval_on_selector_all("#progress li.done", "items => items.map(i => i.dataset.node)")
            assert {"retrieve", "weave", "compose", "realize", "validate", "critique", "render", "judge"} <= set(done)
            assert page.locator("#transcript li").count() >= 9  # one line per agent turn
            assert page.locator("#downloads a[data-name='score.mid']").count() == 1
            assert page.locator("#runs li").count() >= 1
            assert not errors, errors
            OUTPUT.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(OUTPUT / "studio-page.png"), full_page=False)
            assert (OUTPUT / "studio-page.png").stat().st_size > 10_000

            # the ask box answers about the open run; a chat turn makes a thread's piece and plays it
            page.fill("#ask-question", "What key is it in?")
            page.click("#ask-button")
            page.wait_for_selector("#ask-answer p[data-kind='key']", timeout=120_000)
            assert page.text_content("#ask-answer p").startswith("G major")
            run_mix = page.evaluate("document.getElementById('mix-player').currentSrc")
            page.fill("#chat-text", "a march in F for trumpet")
            page.click("#chat-button")
            page.wait_for_selector("#chat-log li[data-revision='1']", timeout=240_000)
            assert "F major" in page.text_content("#chat-log li[data-revision='1']")
            assert page.input_value("#chat-thread")  # the new thread's id
            page.wait_for_function("document.body.dataset.chatRevision === '1' && document.getElementById('mix-player').duration > 0")
            chat_mix = page.evaluate("document.getElementById('mix-player').currentSrc")
            assert chat_mix.startswith("blob:") and chat_mix != run_mix  # the revision's own mix, fetched with the token
            assert not errors, errors
            page.locator("#chat-panel").screenshot(path=str(OUTPUT / "studio-chat.png"))
        finally:
            browser.close()
