"""The rendered site as readers meet it, in a real browser (Debian's headless Chromium)."""

from __future__ import annotations

import pytest

from book_layout import GITHUB_REPO as REPO
from book_layout import NOTEBOOK_PAGES
from book_layout import TOC_PAGES as PAGES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("screenshots")
    yield folder
    print(f"\nscreenshots in {folder}")


@pytest.mark.parametrize("page_path", PAGES)
def test_page_loads_without_console_errors(page, site_url, page_path, screenshots):
    response = page.goto(f"{site_url}/{page_path}.html", wait_until="networkidle")
    assert response is not None and response.ok, f"{page_path}: HTTP {response and response.status}"
    assert page.locator("article h1").first.is_visible()
    page.screenshot(path=str(screenshots / f"{page_path.replace('/', '_')}.png"))
    assert page.console_errors == [], f"{page_path}: console errors {page.console_errors}"


def test_math_is_rendered_by_mathjax(page, site_url):
    page.goto(f"{site_url}/notebooks/01-neurons.html", wait_until="networkidle")
    page.wait_for_selector("mjx-container", timeout=15000)
    assert page.locator("mjx-container").count() > 5
    assert page.locator("mjx-merror").count() == 0, "MathJax reported a TeX error"


@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_launch_buttons_open_this_notebook(page, site_url, page_path):
    page.goto(f"{site_url}/{page_path}.html", wait_until="networkidle")
    colab = page.locator(f'a[href="https://colab.research.google.com/github/{REPO}/blob/main/{page_path}.ipynb"]')
    binder = page.locator(f'a[href^="https://mybinder.org/v2/gh/{REPO}/main?urlpath=lab/tree/{page_path}.ipynb"]')
    download = page.locator(f'a[href$="_sources/{page_path}.ipynb"]')
    assert colab.count() == 1 and binder.count() == 1 and download.count() == 1
    page.locator(".dropdown-launch-buttons button").first.click()
    assert colab.is_visible() and binder.is_visible()


def test_search_finds_backpropagation(page, site_url):
    page.goto(f"{site_url}/search.html?q=backpropagation", wait_until="networkidle")
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=15000)
    assert results.count() >= 1


@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_exercise_solutions_stay_hidden_until_clicked(page, site_url, page_path):
    page.goto(f"{site_url}/{page_path}.html", wait_until="networkidle")
    solutions = page.locator("div.admonition.dropdown")
    assert solutions.count() >= 2, f"{page_path}: exercise solutions should be dropdown admonitions"
    for index in range(solutions.count()):
        solution = solutions.nth(index)
        answer = solution.locator("p:not(.admonition-title)").first
        solution.scroll_into_view_if_needed()
        assert not answer.is_visible(), f"solution {index + 1} is shown before the reader asks for it"
        solution.locator("button.toggle-button").click()
        answer.wait_for(state="visible", timeout=5000)


@pytest.mark.parametrize("page_path", NOTEBOOK_PAGES)
def test_chapter_links_to_the_glossary(page, site_url, page_path):
    page.goto(f"{site_url}/{page_path}.html", wait_until="networkidle")
    assert page.locator('article a[href*="glossary.html#term-"]').count() >= 3, f"{page_path}: link glossary terms"


def test_glossary_term_link_lands_on_its_definition(page, site_url):
    page.goto(f"{site_url}/notebooks/01-neurons.html", wait_until="networkidle")
    link = page.locator('a[href*="glossary.html#term-Activation-function"]').first
    link.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("glossary.html#term-Activation-function")
    assert page.locator("#term-Activation-function").is_visible()


def test_dark_mode_keeps_figures_readable(browser, site_url, screenshots):
    context = browser.new_context(color_scheme="dark", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{site_url}/notebooks/01-neurons.html", wait_until="networkidle")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    figure = page.locator("div.cell_output img").last
    figure.scroll_into_view_if_needed()
    # the plot is drawn on its own opaque white background, so dark text stays legible
    corner = page.evaluate(
        """(img) => { const c = document.createElement('canvas'); c.width = img.naturalWidth;
            c.height = img.naturalHeight; const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            return Array.from(g.getImageData(2, 2, 1, 1).data); }""",
        figure.element_handle(),
    )
    assert corner[3] == 255 and min(corner[:3]) > 200, corner
    page.screenshot(path=str(screenshots / "dark-mode-neurons.png"))
    context.close()
