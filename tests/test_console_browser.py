"""The console's pages in a real browser (Playwright driving the system's Chromium): the
facilitator's hint flow under live updates, the cohort report, and the candidate's
dashboard layout."""

from __future__ import annotations

import re
import time

import pytest

from tests.helpers import expect
from tests.test_console import CHROMIUM, SCENARIO, server, submit  # noqa: F401  (a fixture)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)"),
]


@pytest.fixture()
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


def new_page(browser, **options):
    """A page whose waits allow for a busy host: a look waits for its run, and 30 s (the
    default) is not a verdict on the console."""
    page = browser.new_page(**options)
    page.set_default_timeout(120_000)
    return page


def cohort(browser, base, c, names="Ana Lima\nBo Chen", box="20"):
    facilitator = new_page(browser, viewport={"width": 1400, "height": 900})
    facilitator.goto(f"{base}/f/{c.store.facilitator_token}")
    facilitator.select_option("select[name=scenario]", SCENARIO)
    facilitator.fill("textarea[name=candidates]", names)
    facilitator.fill("input[name=time_box_min]", box)
    facilitator.click("#new-cohort button")
    links = facilitator.locator("input.join")
    # the click submits a form: count the links only once the cohort's page has them,
    # not on the page being left (count() does not wait)
    links.first.wait_for()
    return facilitator, [links.nth(i).input_value() for i in range(links.count())]


def test_a_hint_being_typed_survives_the_live_updates_and_a_refusal_stays_put(browser, server):  # noqa: F811
    base, c = server
    facilitator, (ana_url, _) = cohort(browser, base, c)
    ana = new_page(browser)
    ana.goto(ana_url)
    ana.click("button[data-panel=traffic]")
    row = facilitator.locator("tr[data-candidate='Ana Lima']")
    facilitator.evaluate("window.marker = 1")  # gone if the page reloads
    hint = row.locator("form.hint input[name=text]")
    hint.fill("look at spend")
    facilitator.evaluate("window.speechdrillLive()")
    assert hint.input_value() == "look at spend"  # typed text: the update waits
    assert "paused" in facilitator.inner_text("#live-note")
    hint.fill("")
    facilitator.locator("h1").click()  # focus leaves the form
    facilitator.evaluate("window.speechdrillLive()")
    facilitator.wait_for_function(
        "document.querySelector(\"tr[data-candidate='Ana Lima'] .moves\").innerText === '1'"
    )
    assert facilitator.evaluate("window.marker") == 1  # updated in place, no reload
    long = "x" * 501
    row.locator("form.hint input[name=text]").fill(long)
    row.locator("form.hint button").click()
    refused = facilitator.locator("tr[data-candidate='Ana Lima'] .hint-error")
    assert "hint: 1 to 500 characters" in refused.inner_text()
    kept = facilitator.locator("tr[data-candidate='Ana Lima'] form.hint input[name=text]")
    assert kept.input_value() == long  # what was typed is still there
    facilitator.goto(facilitator.url)  # reloading the refusal's address: the cohort page
    assert "Method Not Allowed" not in facilitator.content()
    assert facilitator.locator("#progress").count() == 1
    row = facilitator.locator("tr[data-candidate='Ana Lima']")
    row.locator("form.hint input[name=text]").fill("look at spend by pool")
    with facilitator.expect_navigation():  # the hint is stored before Ana reloads
        row.locator("form.hint button").click()
    ana.reload()
    assert "look at spend by pool" in ana.inner_text(".hint")


def test_the_report_shows_standing_conclusions_and_flags_and_links_back(browser, server):  # noqa: F811
    base, c = server
    facilitator, (ana_url, bo_url) = cohort(browser, base, c)
    ana, bo = new_page(browser), new_page(browser)
    ana.goto(ana_url)
    submit(ana, "button[data-panel=cost-by-pool]")  # the fills below belong on its page
    cause = (
        "speaker embeddings fell back from the CPU pool to the GPU pool after the CPU pool's "
        "health check started failing; the GPU pool scaled up and the bill rose with flat traffic"
    )
    ana.fill("#conclude textarea[name=cause]", cause)
    ana.fill("#conclude textarea[name=mitigations]", "roll back the embedding service")
    ana.fill("#conclude textarea[name=prevention]", "alert on cost per request by device")
    ana.click("#conclude button")
    expect(ana.locator("#closed")).to_have_count(1)  # waits: the click posts a form
    bo.goto(bo_url)
    bo.fill("#query textarea", "SELECT * FROM read_csv('/etc/passwd')")
    submit(bo, "#query button")
    assert "refused" in bo.inner_text("#latest-query")
    facilitator.click("#report-link")
    # a finished drill is scored once, in the background: the report says so until then
    deadline = time.monotonic() + 300
    while "being scored" in facilitator.inner_text("#scores"):
        assert time.monotonic() < deadline, "the concluded drill was never scored"
        time.sleep(1)
        facilitator.reload()
    scores = facilitator.locator("#scores")
    ana_row, bo_row = (
        scores.locator("tr[data-candidate='Ana Lima']"),
        scores.locator("tr[data-candidate='Bo Chen']"),
    )
    assert ana_row.locator(".standing").inner_text() == "concluded"
    assert re.fullmatch(r"[\d.]+", ana_row.locator(".final").inner_text())
    assert bo_row.locator(".standing").inner_text().startswith("still playing")
    assert bo_row.locator(".cause").inner_text() == "—"  # not 'wrong': not over yet
    assert "1 refused sandbox escape" in bo_row.locator(".flags").inner_text()
    assert "/etc/passwd" in facilitator.inner_text("#escapes ~ ul")
    headers = [h.inner_text() for h in scores.locator("th").all()]
    assert len(headers) == len(set(headers))  # no two columns share a heading
    assert {"diagnosis", "evidence"} <= {
        h.inner_text() for h in scores.locator("th.component").all()
    }
    details = facilitator.locator("details.conclusion[data-candidate='Ana Lima']")
    assert not details.locator(".cause-full").is_visible()  # folded
    details.locator("summary").click()
    assert details.locator(".cause-full").inner_text() == cause  # in full
    assert "roll back the embedding service" in details.inner_text()
    assert "alert on cost per request by device" in details.inner_text()
    facilitator.click("#back")
    expect(facilitator.locator("#progress")).to_have_count(1)


def test_the_candidate_page_is_a_dashboard(browser, server):  # noqa: F811
    base, c = server
    _, (ana_url, _) = cohort(browser, base, c)
    ana = new_page(browser, viewport={"width": 1400, "height": 900})
    ana.goto(ana_url)
    for panel in ("traffic", "cost-by-pool", "replicas", "latency-by-kind", "traffic"):
        with ana.expect_navigation():  # each look is a form post: the next click waits for it
            ana.click(f"button[data-panel={panel}]")
    cards = ana.locator("#dashboard .card")
    assert cards.count() == 4  # the latest look of each panel, not one per look
    traffic = ana.locator("#dashboard .card[data-panel=traffic]")
    assert "as of minute 4.0 · 1.0 min old" in traffic.inner_text()  # read again: the latest
    assert (
        "as of minute 2.0 · 3.0 min old" in ana.locator(".card[data-panel=replicas]").inner_text()
    )
    boxes = [cards.nth(i).bounding_box() for i in range(cards.count())]
    assert len({round(b["y"]) for b in boxes}) < len(boxes)  # side by side in a grid
    for chart in ana.locator("#dashboard svg.chart").all():
        assert chart.bounding_box()["width"] >= 420  # a readable size
    table = traffic.locator("details.rows table")
    assert table.count() == 1 and not table.is_visible()  # folded under its chart
    assert not re.search(r"\d\.\d{8,}", ana.inner_text("body"))  # rounded numbers
    assert "req_per_s (1/s)" in traffic.inner_text()
    ana.select_option("#act select", "reroute")
    ana.fill("#act input[name=args]", "match={kind: embedding} pool=embed-cpu")
    ana.click("#act button")
    assert "send requests with kind=embedding to pool embed-cpu" in ana.inner_text("#confirm")
    submit(ana, "#confirm-act")
    ana.click("button[data-panel=cost-by-pool]")
    spend = ana.locator("#dashboard .card[data-panel=cost-by-pool] svg.chart")
    expect(spend.locator("line.page")).to_have_count(1)  # waits for the look's page
    expect(spend.locator("line.move")).to_have_count(1)
    steps = ana.locator("ol.timeline li")
    expect(steps).to_have_count(7)
    assert "reroute applied" in steps.nth(5).inner_text()
