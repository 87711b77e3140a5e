"""End to end in a real headless Chromium (Debian's chromium + chromedriver, driven by Selenium).

Starts `streamlit run app/main.py` on a free port, opens the live page, clicks Run with the Quick
preset, waits for the three certificates and saves screenshots to $ANCER_SCREENSHOTS (default: a
pytest temporary folder). Also opens every other page of the app and checks it renders without an
exception. `.ci/run` installs chromium and chromium-driver and sets ANCER_REQUIRE_BROWSER=1, so there
the test fails instead of skipping when the browser is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for p in (CHROMIUM, DRIVER):
        if not os.path.exists(p):
            return f"{p} not found (apt-get install chromium chromium-driver)"
    return None


reason = _missing()
if reason and os.environ.get("ANCER_REQUIRE_BROWSER") == "1":
    raise RuntimeError(f"browser test required but {reason}")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(reason is not None, reason=reason or "")]


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """The server's result store (what `ancer lecture prepare` fills for it)."""
    return tmp_path_factory.mktemp("store") / "results.sqlite"


@pytest.fixture(scope="module")
def server(tmp_path_factory, store):
    import classroom  # the load test's server start: streamlit run app/main.py, headless, waited for

    port = classroom.free_port()
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    proc = classroom.start_server(port, log, env={"ANCER_STORE": str(store)})
    url = f"http://127.0.0.1:{port}"
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:  # still computing a rerun: it has nothing left to save
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """One browser for the module's tests (its profile keeps what it loaded, as a returning student's)."""
    import first_paint

    drv = first_paint.new_browser(tmp_path_factory.mktemp("chrome"))
    yield drv
    drv.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = Path(os.environ.get("ANCER_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def _wait_text(drv, text: str, timeout: float) -> float:
    """Poll the page's textContent (cheap: no layout, unlike WebElement.text, whose repeated
    polling kept Chromium busy enough to slow the computation sharing its two CPU cores)."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if drv.execute_script("return document.body.textContent.includes(arguments[0])", text):
            return time.time() - t0
        time.sleep(0.5)
    raise AssertionError(
        f"{text!r} did not appear within {timeout} s; page says: {drv.find_element('tag name', 'body').text[:1500]}"
    )


def _wait_css(drv, selector: str, timeout: float) -> list:
    """Elements render progressively (the data grid loads its code lazily): poll until one exists."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        found = drv.find_elements("css selector", selector)
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(
        f"no element {selector!r} within {timeout} s; page says: {drv.find_element('tag name', 'body').text[:1500]}"
    )


def _find_button(drv, text: str, timeout: float):
    t0 = time.time()
    while time.time() - t0 < timeout:
        for b in drv.find_elements("xpath", f"//button[contains(., '{text}')]"):
            if b.is_displayed() and b.is_enabled():
                return b
        time.sleep(0.3)
    raise AssertionError(f"no enabled button {text!r} within {timeout} s")


def _no_exception(drv):
    assert not drv.find_elements("css selector", '[data-testid="stException"]'), drv.find_element(
        "tag name", "body"
    ).text[:3000]


def _full_page(drv, path: Path):
    h = drv.execute_script(
        "return document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || document.body.scrollHeight"
    )
    drv.set_window_size(1500, min(max(1200, int(h) + 200), 9000))
    time.sleep(0.5)
    drv.save_screenshot(str(path))


CERTIFIED_ROWS_JS = """
const t = document.querySelector('[data-testid="stTable"]');
if (!t) return 0;
const said = r => r.cells.length > 1 ? r.cells[1].textContent.trim() : '';
return [...t.querySelectorAll('tbody tr')].filter(r => said(r) !== '' && said(r) !== 'running…').length;
"""


def _certificate_rows_s(drv, timeout: float) -> list[float]:
    """Seconds from now until the certificates table first shows 1, 2 and 3 certified rows (polled every
    0.1 s with one cheap query)."""
    t0, seen = time.time(), []
    while len(seen) < 3:
        assert time.time() - t0 < timeout, f"only {len(seen)} certificate rows after {timeout} s"
        n = drv.execute_script(CERTIFIED_ROWS_JS)
        while len(seen) < n:
            seen.append(round(time.time() - t0, 2))
        time.sleep(0.1)
    return seen


def _drive_playback(drv, shots: Path):
    """The playback figure: choose an early step on its slider, then play; its title follows the step."""
    from selenium.webdriver.common.action_chains import ActionChains

    _click_text(drv, "steps (slider and play)", 30)  # the playback is built when asked for
    _wait_text(drv, "surrogate's class probabilities", 60)
    fig = _wait_css(drv, ".js-plotly-plot", 30) and next(
        el
        for el in drv.find_elements("css selector", ".js-plotly-plot")
        if "surrogate's class probabilities" in el.text
    )
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'});", fig)
    time.sleep(1)

    def title():
        return fig.find_element("css selector", ".gtitle").text

    rail = fig.find_element("css selector", ".slider-rail-touch-rect")
    ActionChains(drv).move_to_element_with_offset(rail, int(-rail.size["width"] * 0.42), 0).click().perform()
    time.sleep(1.5)
    chosen = title()
    assert chosen.startswith("Isotropic DD step "), chosen  # an early step: Isotropic DD comes first
    fig.screenshot(str(shots / "playback-step.png"))
    ActionChains(drv).move_to_element(fig.find_element("css selector", ".updatemenu-button")).click().perform()
    t0, seen = time.time(), {chosen}
    while time.time() - t0 < 60 and not title().startswith("ANCER step 40/40"):  # plays to the end
        seen.add(title())
        time.sleep(0.5)
    assert len(seen) > 2 and title().startswith("ANCER step 40/40"), seen
    time.sleep(1)
    fig.screenshot(str(shots / "playback-played.png"))


def test_live_page_quick_preset_in_chromium(server, browser, shots):
    t_open = time.time()
    browser.get(f"{server}/?image=7&preset=quick&norm=l2")
    _find_button(browser, "Run fixed", 90)  # a just-started server: the first page a student opens
    cold_open_s = time.time() - t_open
    _wait_text(browser, "Anisotropic certification, live", 90)
    _wait_text(browser, "Press Run", 60)
    _no_exception(browser)
    browser.save_screenshot(str(shots / "live-before-run.png"))
    button = _find_button(browser, "Run fixed", 60)
    t0 = time.time()
    button.click()
    rows_s = _certificate_rows_s(browser, 300)  # each row as it appears: fixed σ's first, then one by one
    seconds = time.time() - t0
    _wait_text(browser, "Per-pixel θ of ANCER", 300)
    page_s = time.time() - t0
    _idle(browser, 120)
    idle_s = time.time() - t0
    _no_exception(browser)
    assert "Regions: 2D slices through x" in browser.find_element("tag name", "body").text
    time.sleep(2)  # let plotly draw
    _full_page(browser, shots / "live-after-run.png")
    assert "What the smoothed classifier sees" in browser.find_element("tag name", "body").text
    _drive_playback(browser, shots)
    _no_toolbar_overlap(browser, at_least=6)  # θ maps, slices, votes ×3, the playback
    attack = _find_button(browser, "Attack", 60)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", attack)
    t1 = time.time()
    attack.click()
    _wait_text(browser, "PREDICT's votes:", 300)  # the caption under the verdict
    attack_s = time.time() - t1
    _no_exception(browser)
    time.sleep(2)
    _full_page(browser, shots / "live-attack.png")
    t_open = time.time()
    browser.get(f"{server}/?image=3&preset=quick&norm=l2")  # a running server: the next student's first page
    _find_button(browser, "Run fixed", 90)
    warm_open_s = time.time() - t_open
    timing = shots / "timing.json"
    old = json.loads(timing.read_text()) if timing.exists() else {}
    timing.write_text(
        json.dumps(
            {
                **old,
                "quick_preset_click_to_certificates_s": seconds,
                "quick_preset_click_to_each_certificate_row_s": rows_s,
                "quick_preset_click_to_theta_maps_s": page_s,
                "quick_preset_click_to_page_idle_s": idle_s,
                "attack_click_to_verdict_s": attack_s,
                "open_to_run_button_cold_server_s": cold_open_s,
                "open_to_run_button_warm_server_s": warm_open_s,
                "cpu_threads": os.cpu_count(),
            }
        )
    )


def test_a_new_students_first_page_comes_close_to_a_bare_page(shots):
    """Each student opens the live page in a browser that has never seen the app (a new profile: nothing
    cached), on a just-started server and on a running one, beside the floor on this machine: a bare
    Streamlit page with one button (benchmarks/first_paint.py). The figures go into timing.json."""
    import first_paint
    import numpy as np

    report = first_paint.measure(students=3, cold=True)
    timing = shots / "timing.json"
    old = json.loads(timing.read_text()) if timing.exists() else {}
    timing.write_text(json.dumps({**old, "first_paint": report}, indent=2))
    floor = float(np.median(report["bare_page_new_profile_s"]))
    running = float(np.median(report["live_page_new_profile_running_server_s"]))
    (cold,) = report["live_page_new_profile_just_started_server_s"]
    # relative to the floor measured beside it, so that a slower machine moves both (quiet 2-core AVX2 EPYC:
    # floor 1.1–1.3 s, running 1.8–2.3 s, just started 3.9–4.2 s; before the gallery, the image and the
    # garbage collection were moved out of the way: running 2.3–4.6 s, just started 7.7 s)
    assert running <= floor + 1.5, report
    assert cold <= floor + 5.5, report


def test_a_prepared_lecture_plays_in_a_new_browser(server, store, shots, tmp_path):
    """The shipped example lecture, prepared with the command line into the server's store, opened at
    /?lecture=intro in a browser that has never seen the app: every live step shows its certificates
    without a Run, Next moves through all six steps, each step's note is on screen. The seconds from each
    Next to a live step's certificates go into timing.json."""
    import first_paint

    done = subprocess.run(
        [sys.executable, "-m", "ancer_core", "lecture", "prepare", "intro", "--store", str(store)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lecture = __import__("ancer_core").lectures.read_lecture("intro")
    drv = first_paint.new_browser(tmp_path / "profile")
    try:
        drv.get(f"{server}/?lecture=intro")
        _wait_text(drv, "step 1 of 6", 120)
        _wait_css(drv, '[data-testid="stTable"]', 120)  # step 1's certificates, never computed here
        assert "Press Run" not in drv.find_element("tag name", "body").text
        _no_exception(drv)
        drv.save_screenshot(str(shots / "lecture-step1.png"))
        seconds, toy_s = [], []
        drv.set_script_timeout(90)
        for k in range(2, len(lecture.steps) + 1):
            _idle(drv, 120)
            time.sleep(2)  # the lecturer speaks before the next click
            if lecture.steps[k - 1].page == "live":
                image = lecture.steps[k - 1].params["image"]
                marks = drv.execute_async_script(NEXT_STEP_JS, k, image, 60)
                assert "table" in marks, marks
                seconds.append(marks["table"])
            else:
                t0 = time.time()
                _find_button(drv, "Next", 30).click()
            _wait_text(drv, f"step {k} of 6", 60)
            _idle(drv, 120)
            if lecture.steps[k - 1].page == "toy":  # prepared too: no training, no plane search
                toy_s.append(time.time() - t0)
            _no_exception(drv)
            assert lecture.steps[k - 1].note[:40] in drv.find_element("tag name", "body").text
            drv.save_screenshot(str(shots / f"lecture-step{k}.png"))
    finally:
        drv.quit()
    timing = shots / "timing.json"
    old = json.loads(timing.read_text()) if timing.exists() else {}
    timing.write_text(
        json.dumps(
            {**old, "lecture_next_click_to_certificates_s": seconds, "lecture_next_click_to_toy_page_idle_s": toy_s},
            indent=2,
        )
    )
    # a prepared step: no computation, no queue (quiet 2-core EPYC: 0.3–0.5 s; the target is ≤ 1 s, and a
    # loaded CI machine gets some room)
    assert len(seconds) == 2 and max(seconds) <= 1.5, seconds


NEXT_STEP_JS = """const [k, img, timeout, done] = arguments; const t0 = performance.now(); const marks = {};
const next = [...document.querySelectorAll('button')].find(b => b.textContent.includes('Next'));
next.click();
(function poll() {  // every 20 ms in the page: the step's note, its own image, then its certificates
  const txt = document.body.textContent;
  if (!marks.step && txt.includes(`step ${k} of 6`)) marks.step = (performance.now() - t0) / 1000;
  if (!marks.image && txt.includes(`#${img}: `)) marks.image = (performance.now() - t0) / 1000;
  if (marks.image && document.querySelector('[data-testid="stTable"]') && !txt.includes('Press Run'))
    marks.table = (performance.now() - t0) / 1000;
  if (marks.table || performance.now() - t0 > timeout * 1000) return done(marks);
  setTimeout(poll, 20);
})();"""


def _click_text(drv, text: str, timeout: float):
    t0 = time.time()
    while time.time() - t0 < timeout:
        for el in drv.find_elements("xpath", f"//label[contains(., '{text}')]"):
            if el.is_displayed():
                el.click()
                return
        time.sleep(0.3)
    raise AssertionError(f"no visible label {text!r} within {timeout} s")


def test_own_image_in_chromium(server, browser, shots):
    browser.set_window_size(1500, 2200)
    browser.get(f"{server}/?preset=quick&norm=l2")
    _wait_text(browser, "Anisotropic certification, live", 90)
    _click_text(browser, "your own image", 30)
    _wait_text(browser, "Your own image", 60)
    _click_text(browser, "a flower (photo)", 30)
    _wait_text(browser, "what the model sees", 60)
    _find_button(browser, "Run fixed", 60).click()
    _wait_text(browser, "What the smoothed classifier sees", 300)
    _no_exception(browser)
    time.sleep(2)
    _full_page(browser, shots / "live-own-image.png")


def test_presenter_mode_in_chromium(server, browser, shots):
    browser.set_window_size(1500, 2200)
    browser.get(f"{server}/?image=3&preset=quick&norm=l2&presenter=1")
    _wait_text(browser, "Anisotropic certification, live", 90)
    _find_button(browser, "Run fixed", 60).click()
    _wait_text(browser, "Try to break it", 300)
    _no_exception(browser)
    assert "advanced settings" not in browser.find_element("tag name", "body").text
    _click_text(browser, "steps (slider and play)", 30)
    _wait_text(browser, "surrogate's class probabilities", 60)
    _idle(browser, 60)
    time.sleep(2)
    _full_page(browser, shots / "live-presenter.png")
    _no_toolbar_overlap(browser, at_least=5)


def test_an_abstain_explained_with_sequential_sampling_in_chromium(server, browser, shots):
    """Image 0 abstains with fixed σ on small-gaussian-1.00 (its shipped grid row): the page says why."""
    browser.set_window_size(1500, 2200)
    browser.get(f"{server}/?image=0&preset=quick&norm=l2&model=small-gaussian-1.00&sampling=sequential")
    _find_button(browser, "Run fixed", 90).click()
    _wait_text(browser, "Why it abstains.", 300)
    _wait_css(browser, '[data-testid="stTable"]', 60)
    _no_exception(browser)
    text = browser.find_element("tag name", "body").text
    assert "samples" in text and "stopped" in text and "early: abstain" in text
    table = browser.find_element("css selector", '[data-testid="stTable"]')
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", table)
    time.sleep(1)
    browser.save_screenshot(str(shots / "live-abstain-sequential.png"))


def test_a_per_input_theta_on_the_toy_page_in_chromium(server, browser, shots):
    """The three sections on a per-input θ: contradicting certificates, memory, the certified selector."""
    browser.set_window_size(1500, 2200)
    browser.get(f"{server}/toy")
    _wait_text(browser, "A θ that is certified itself", 300)
    _idle(browser, 120)
    _no_exception(browser)
    for name, text in (
        ("toy-contradicting", "When every point picks its own θ"),
        ("toy-memory", "Memory-based certification, step by step"),
        ("toy-selector", "A θ that is certified itself"),
    ):
        head = browser.find_element("xpath", f"//h3[contains(., '{text}')]")
        browser.execute_script("arguments[0].scrollIntoView({block: 'start'});", head)
        time.sleep(1.5)
        browser.save_screenshot(str(shots / f"{name}.png"))


@pytest.mark.parametrize("presenter", [False, True], ids=["normal", "presenter"])
@pytest.mark.parametrize("page", ["toy", "hessian", "theory", "results"])
def test_teaching_pages_render_in_chromium(server, browser, shots, page, presenter):
    """Each page opened from its link (normal and presenter mode): no exception, no toolbar over a label,
    a screenshot of the whole page."""
    browser.set_window_size(1500, 2200)
    browser.get(f"{server}/{page}" + ("?presenter=1" if presenter else ""))
    time.sleep(1)
    _wait_text(browser, "ANCER", 90)  # every page names the method in its title or caption
    deadline = time.time() + 120
    while time.time() < deadline and browser.find_elements("css selector", '[data-testid="stStatusWidget"]'):
        time.sleep(0.5)  # still running
    _no_exception(browser)
    if page == "hessian":  # the expensive part runs on a click
        _find_button(browser, "Compute the Hessian", 60).click()
        _wait_text(browser, "eigen-decomposition in", 300)
        _no_exception(browser)
    _idle(browser, 300)
    time.sleep(2)
    _full_page(browser, shots / f"{page}{'-presenter' if presenter else ''}.png")
    _no_toolbar_overlap(browser, at_least={"toy": 5, "hessian": 2, "theory": 1, "results": 2}[page])


TOOLBAR_OVERLAPS_JS = """
// Every Plotly figure's toolbar rectangle against its title, legend, colour bars, slider, buttons,
// annotations (subplot titles) and axis titles: each overlap found, and how many figures there were.
const out = {figures: 0, overlaps: []};
const inter = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 &&
                        Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
const kinds = {'.gtitle': 'title', '.legend': 'legend', '.colorbar': 'colour bar', '.slider-container': 'slider',
               '.updatemenu-container': 'buttons', '.annotation': 'annotation', '.g-xtitle': 'x title',
               '.g-ytitle': 'y title'};
for (const fig of document.querySelectorAll('.js-plotly-plot')) {
  const bar = fig.querySelector('.modebar');
  if (!bar) continue;
  out.figures += 1;
  const b = bar.getBoundingClientRect();
  const at = q => [q.left, q.top, q.right, q.bottom].map(Math.round);
  for (const [sel, kind] of Object.entries(kinds)) {
    for (const el of fig.querySelectorAll(sel)) {
      const r = el.getBoundingClientRect();
      const what = `${kind} '${(el.textContent || '').slice(0, 50)}'`;
      if (r.width > 0 && inter(b, r)) out.overlaps.push(`${what} at ${at(r)}, toolbar at ${at(b)}`);
    }
  }
}
return out;
"""


def _no_toolbar_overlap(drv, at_least: int = 1) -> int:
    """Plotly's toolbar covers no title, legend, colour bar, slider or label of any figure on the page
    (measured from the elements' rectangles as drawn). Returns how many figures were checked."""
    found = drv.execute_script(TOOLBAR_OVERLAPS_JS)
    assert found["figures"] >= at_least, found
    assert not found["overlaps"], found["overlaps"]
    return found["figures"]


def _idle(drv, timeout: float):
    """Wait until the app's script has finished its rerun (its status widget is gone)."""
    deadline = time.time() + timeout
    time.sleep(0.5)
    while drv.find_elements("css selector", '[data-testid="stStatusWidget"]'):
        assert time.time() < deadline, f"the page was still running after {timeout} s"
        time.sleep(0.5)


def test_drawn_toy_data_in_chromium(server, browser, shots):
    """A prepared set opened from its link, a point added with a click on the canvas, trained on: the
    link then holds the new set and every section runs on it."""
    from ancer_core import teaching as T

    X = [[-1.0, -1.0], [-1.2, -0.5], [-0.7, -1.3], [1.0, 1.0], [1.2, 0.6], [0.8, 1.4]]
    browser.set_window_size(1500, 2200)
    t0 = time.time()
    browser.get(f"{server}/toy?points={T.encode_points(X, [0, 0, 0, 1, 1, 1])}")
    _wait_text(browser, "6 points: 3 of class 0", 120)
    _wait_text(browser, "What smoothing does", 180)
    opened = time.time() - t0
    _no_exception(browser)
    _click_text(browser, "add a point of class 1", 30)
    time.sleep(3)
    _idle(browser, 60)
    from selenium.webdriver.common.action_chains import ActionChains

    for attempt in range(3):  # a click that lands while the page reruns is lost: click again
        canvas = next(
            el
            for el in _wait_css(browser, ".js-plotly-plot", 30)
            if "class 1 (3)" in el.text and "class 0 (3)" in el.text
        )
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", canvas)
        time.sleep(1)
        drag = canvas.find_element("css selector", ".nsewdrag")
        ActionChains(browser).move_to_element_with_offset(drag, int(drag.size["width"] * 0.3), 0).perform()
        time.sleep(1)  # plotly picks the marker under the pointer on hover; the click then selects it
        ActionChains(browser).click().perform()
        try:
            _wait_text(browser, "7 points: 3 of class 0 (black circles), 4 of class 1", 20)
            break
        except AssertionError:
            if attempt == 2:
                raise
    _wait_text(browser, "still show the last set trained on", 30)
    t1 = time.time()
    _find_button(browser, "Train on these points", 30).click()
    deadline = time.time() + 180
    while "still show the last set" in browser.execute_script("return document.body.textContent"):
        assert time.time() < deadline, "the page did not take the drawn points"
        time.sleep(0.5)
    _idle(browser, 180)
    trained = time.time() - t1
    _no_exception(browser)
    Xl, yl = T.decode_points(browser.current_url.split("points=")[1].split("&")[0])
    assert len(yl) == 7 and yl.sum() == 4 and Xl[-1, 0] > 0.5  # the new point: class 1, right of the centre
    time.sleep(2)
    _full_page(browser, shots / "toy-drawn.png")
    (shots / "timing-toy.json").write_text(
        json.dumps({"toy_link_to_page_s": opened, "toy_train_click_to_page_s": trained, "cpu_threads": os.cpu_count()})
    )


def test_a_figure_exported_for_a_slide(server, tmp_path):
    """'for slides' in the sidebar, then the figure's camera button: a 1600 × 900 PNG lands in the
    downloads, drawn in the slide's large type (the page's figure shows the same type)."""
    import first_paint
    from PIL import Image

    drv = first_paint.new_browser(tmp_path / "profile")
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    drv.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    try:
        drv.get(f"{server}/theory")
        _wait_css(drv, ".js-plotly-plot", 120)
        _idle(drv, 120)
        _wait_css(drv, "input[aria-label^='figure downloads']", 60)[0].click()
        time.sleep(0.5)
        drv.find_element("xpath", "//*[@role='option'][contains(., 'for slides')]").click()
        _idle(drv, 60)
        time.sleep(2)
        fig = _wait_css(drv, ".js-plotly-plot", 60)[0]
        size = drv.execute_script(
            "return parseFloat(getComputedStyle(arguments[0]).fontSize)", fig.find_element("css selector", ".gtitle")
        )
        assert size >= 28, size  # the title in a slide's type
        _no_toolbar_overlap(drv)
        drv.execute_script("arguments[0].scrollIntoView({block: 'center'});", fig)
        from selenium.webdriver.common.action_chains import ActionChains

        ActionChains(drv).move_to_element(fig).perform()
        time.sleep(1)
        fig.find_element("css selector", ".modebar-btn[data-title^='Download plot']").click()
        deadline = time.time() + 30
        while time.time() < deadline and not list(downloads.glob("*.png")):
            time.sleep(0.5)
        (png,) = downloads.glob("*.png")
        assert Image.open(png).size == (1600, 900)
    finally:
        drv.quit()
