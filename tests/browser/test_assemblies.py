"""An agenda item run in real browsers: the chair at the speakers' console, two participants'
phones and the hall's projector, each in its own browser context, then a secret vote.

Nothing here reloads the projector or a phone to see a change made elsewhere: each tab is marked
once it has loaded (`Tab.mark`), and `Tab.unreloaded` proves at the end that what it showed came
by the live view, not by a new page. The projector and Rosa's phone follow the event stream;
Karl's phone is refused the stream, as behind a proxy that buffers it, and falls back to
polling. Every wait is Playwright's `expect(...)` with a timeout, never a sleep."""

import re
import threading

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from mitmachen.assemblies import live_views
from mitmachen.assemblies.models import ChairAction, SpeakerRequest, Vote
from tests.browser.assemblies_world import ITEM, MOTION, PIN_REASON, session
from tests.browser.conftest import DESKTOP, PHONE, login_with_session
from tests.browser.events_world import de

pytestmark = pytest.mark.browser

LIVE_MS = 10_000  # the live view streams; polling, its fallback, takes a second or two
COUNTDOWN = re.compile(r"^\+?\d+:\d{2}$")
# Under the test server (WSGI) a stream holds a thread and ends after this long; the browser
# reconnects with Last-Event-ID. Short, so the flow crosses reconnections and the last streams
# are over before the test's database goes away.
STREAM_SECONDS = 3
BLOCKING = {"serious", "critical"}
_axe = Axe()


class Tab:
    """One browser context with one page, which notes the page's script errors and how its
    live view was fed (`streamed`, `polled`: requests to the event stream and to live.json)."""

    def __init__(self, new_context, base: str, *, viewport: dict, user=None, **options):
        self.context = new_context(viewport=viewport, **options)
        if user is not None:
            login_with_session(self.context, base, user)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.streamed = self.polled = 0
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", self._note)

    def _note(self, request):
        if "/live/events" in request.url:
            self.streamed += 1
        elif "/live.json" in request.url:
            self.polled += 1

    def open(self, path: str):
        response = self.page.goto(f"{self.base}{path}")
        assert response.status == 200, f"{path} answered {response.status}"
        return self

    def mark(self) -> None:
        """A flag in the page's memory: a reload would lose it."""
        self.page.evaluate("window.__unreloaded = true")

    def unreloaded(self) -> bool:
        return self.page.evaluate("window.__unreloaded === true")

    def live(self, name: str):
        return self.page.locator(f'[data-live="{name}"]')

    def fits_phone(self, when: str) -> None:
        width = self.page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{self.page.url} ({when}) scrolls sideways: {width}px"

    def accessible(self, when: str) -> None:
        results = _axe.run(self.page)
        blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"{self.page.url} ({when}): " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(" ".join(map(str, n["target"])) for n in v["nodes"])
            for v in blocking)


@pytest.fixture
def tabs(transactional_db, live_server, new_context, monkeypatch):
    """tabs(viewport=..., user=...) -> a Tab. Afterwards the tabs close and the test waits for
    the server's last streams to notice, so none of them reads a database that is gone."""
    monkeypatch.setattr(live_views, "WSGI_STREAM_SECONDS", STREAM_SECONDS)
    opened: list[Tab] = []

    def _open(**options) -> Tab:
        tab = Tab(new_context, live_server.url, **options)
        opened.append(tab)
        return tab

    yield _open
    for tab in opened:
        tab.context.close()
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name:
            thread.join(timeout=STREAM_SECONDS + 2)


def _phone(tabs):
    return tabs(viewport=PHONE, is_mobile=True, has_touch=True)


def _ask(tab: Tab, kind: str = SpeakerRequest.Kind.REGULAR) -> None:
    """Press a button of the phone's speak form; the page comes back to #speak."""
    with tab.page.expect_navigation():
        tab.page.locator(f'form[data-live="speak-form"] button[value="{kind}"]').click()


def _place(n: int) -> str:
    return de("You are number %(n)s on the list.", n=n)


def _queue_names(tab: Tab):
    return tab.live("queue").locator("li .live-name")


def test_chair_phones_and_projector_run_an_agenda_item_and_a_secret_vote(
    transactional_db, live_server, world, tabs
):
    base = live_server.url
    hall = session(world)
    rosa_name, karl_name = hall.rosa.name, hall.karl.name

    chair = tabs(viewport=DESKTOP, user=hall.chair).open(hall.console)
    projector = tabs(viewport={"width": 1920, "height": 1080}).open(hall.projector)
    rosa = _phone(tabs).open(hall.phone(hall.rosa))
    karl = _phone(tabs)
    karl.context.route("**/live/events*", lambda route: route.fulfill(status=503))
    karl.open(hall.phone(hall.karl))
    projector.mark()
    for phone in (rosa, karl):
        phone.mark()
        expect(phone.page.get_by_role("heading", level=1)).to_have_text(
            hall.assembly.event.title)
        # No item is under discussion yet: nobody can ask to speak.
        expect(phone.live("speak-form")).to_be_hidden()
        phone.fits_phone("before the item is called")
    expect(projector.live("item")).to_have_text(de("No agenda item is under discussion."))
    expect(projector.live("quorum")).to_contain_text(
        de("%(present)s of %(eligible)s voting members present", present=2, eligible=4))

    # The chair calls the item; the projector and the phones follow.
    chair.page.locator("#call-item").select_option(str(hall.item.pk))
    chair.page.get_by_role("button", name=de("Call this item")).click()
    expect(chair.page.locator("main .lead").first).to_contain_text(ITEM)
    expect(projector.live("item")).to_contain_text(ITEM, timeout=LIVE_MS)
    for phone in (rosa, karl):
        expect(phone.live("item")).to_contain_text(ITEM, timeout=LIVE_MS)
        expect(phone.live("speak-form")).to_be_visible(timeout=LIVE_MS)
        assert phone.unreloaded(), "the phone was reloaded to see the item"

    # Karl asks first, then Rosa: the alternation gives the first turn to FLINTA*.
    _ask(karl)
    expect(karl.page.get_by_role("status").first).to_contain_text(
        de("You are on the list of speakers."))
    expect(karl.live("mine")).to_have_text(_place(1))
    karl.mark()  # his own request reloaded his page; from now on it must stay
    _ask(rosa)
    rosa.mark()
    expect(rosa.live("mine")).to_have_text(_place(1))
    expect(_queue_names(projector)).to_have_text([rosa_name, karl_name], timeout=LIVE_MS)
    expect(projector.live("queue").locator("li").first).to_contain_text(
        de("women/FLINTA*"))
    expect(karl.live("mine")).to_have_text(_place(2), timeout=LIVE_MS)
    expect(karl.live("queue").locator("li.mine")).to_contain_text(karl_name)
    karl.fits_phone("on the list")

    # The chair calls the next speaker: Rosa speaks, with a countdown.
    chair.page.locator("#next-speaker").click()
    expect(chair.page.get_by_role("status").first).to_contain_text(
        de("%(name)s has the floor.", name=rosa_name))
    expect(projector.live("speaker")).to_contain_text(rosa_name, timeout=LIVE_MS)
    expect(projector.live("countdown")).to_be_visible()
    expect(projector.live("countdown")).to_have_text(COUNTDOWN)
    expect(_queue_names(projector)).to_have_text([karl_name], timeout=LIVE_MS)
    expect(rosa.live("mine")).to_have_text(de("You are speaking now."), timeout=LIVE_MS)
    expect(rosa.live("countdown")).to_have_text(COUNTDOWN)
    expect(karl.live("mine")).to_have_text(_place(1), timeout=LIVE_MS)
    # The countdown runs: within a few seconds it shows another figure.
    first = projector.live("countdown").text_content()
    expect(projector.live("countdown")).not_to_have_text(first, timeout=LIVE_MS)
    rosa.accessible("while she speaks")
    projector.accessible("while Rosa speaks")

    # Next: Karl. His request is speaking now: nothing of his is left to withdraw.
    chair.page.locator("#next-speaker").click()
    expect(projector.live("speaker")).to_contain_text(karl_name, timeout=LIVE_MS)
    expect(karl.live("mine")).to_have_text(de("You are speaking now."), timeout=LIVE_MS)
    expect(karl.live("my-requests-block")).to_be_hidden()
    expect(rosa.live("mine")).to_have_text("", timeout=LIVE_MS)
    expect(projector.live("queue-empty")).to_be_visible()

    # The chair ends Karl's speech without calling anyone.
    chair.page.get_by_role("button", name=de("End the speech")).click()
    expect(chair.page.get_by_role("status").first).to_contain_text(
        de("%(name)s's speech has ended.", name=karl_name))
    expect(projector.live("speaker")).to_have_text(de("Nobody is speaking."), timeout=LIVE_MS)
    expect(projector.live("countdown")).to_be_hidden()
    expect(karl.live("mine")).to_have_text("", timeout=LIVE_MS)

    # Both ask again; after Karl (open) the turn is FLINTA*'s: Rosa, then Karl.
    _ask(rosa)
    rosa.mark()
    _ask(karl)
    karl.mark()
    expect(_queue_names(projector)).to_have_text([rosa_name, karl_name], timeout=LIVE_MS)
    expect(projector.live("queue").locator("li").first).to_contain_text(
        de("has spoken before"))

    # The chair puts Karl next, with a reason for the record.
    queue = chair.page.locator("#speakers-live ol.speakers-queue > li")
    expect(queue).to_have_count(2, timeout=LIVE_MS)  # the console polls every 2 s
    queue.filter(has_text=karl_name).locator("a[id^=pin-]").click()
    expect(chair.page.get_by_role("heading", level=2)).to_have_text(
        de("Put %(name)s next", name=karl_name))
    chair.page.get_by_label(de("Reason (for the record)")).fill(PIN_REASON)
    chair.page.locator("main form").get_by_role("button", name=de("Put next")).click()
    expect(chair.page).to_have_url(f"{base}{hall.console}")
    expect(chair.page.get_by_role("status").first).to_contain_text(
        de("%(name)s is put next.", name=karl_name))
    expect(chair.page.locator("main")).to_contain_text(PIN_REASON)  # the item's log
    expect(_queue_names(projector)).to_have_text([karl_name, rosa_name], timeout=LIVE_MS)
    expect(karl.live("mine")).to_have_text(_place(1), timeout=LIVE_MS)
    expect(rosa.live("mine")).to_have_text(_place(2), timeout=LIVE_MS)
    pin = ChairAction.objects.get(item=hall.item, action="pin")
    assert pin.reason == PIN_REASON and pin.actor == hall.chair

    # A point of order from Rosa's phone jumps the queue.
    _ask(rosa, SpeakerRequest.Kind.POINT_OF_ORDER)
    rosa.mark()
    expect(rosa.live("mine")).to_have_text(_place(1))
    expect(rosa.live("my-requests").locator("li")).to_have_count(2)
    expect(_queue_names(projector)).to_have_text([rosa_name, karl_name, rosa_name],
                                                 timeout=LIVE_MS)
    expect(projector.live("queue").locator("li").first).to_contain_text(de("point of order"))
    expect(karl.live("mine")).to_have_text(_place(2), timeout=LIVE_MS)

    # The chair closes the list; Karl's phone says so, and a new request is refused.
    chair.page.get_by_label(de("Reason (optional, for the record)")).fill("Zeitplan")
    chair.page.get_by_role("button", name=de("Close the list")).click()
    expect(chair.page.get_by_role("status").first).to_contain_text(
        de("The list of speakers is closed."))
    expect(karl.live("list-closed")).to_be_visible(timeout=LIVE_MS)
    expect(karl.live("list-closed")).to_have_text(de("The list of speakers is closed."))
    expect(projector.live("list-closed")).to_be_visible(timeout=LIVE_MS)
    karl.fits_phone("the list closed")
    assert karl.unreloaded(), "Karl's phone was reloaded to see the list closed"
    _ask(karl, SpeakerRequest.Kind.PRO)
    expect(karl.page.locator("#speak [role=alert]")).to_have_text(
        de("The list of speakers is closed."))
    assert not SpeakerRequest.objects.filter(participant=hall.karl,
                                             kind=SpeakerRequest.Kind.PRO).exists()
    karl.mark()
    chair.accessible("running the list of speakers")

    # A secret vote on the motion: prepared and opened on the motions page.
    chair.open(hall.motions)
    chair.page.locator("summary", has_text=de("Prepare a vote")).click()
    form = chair.page.locator('form[action$="/votes/"]')
    form.locator("select[name=subject]").select_option("motion")
    form.locator("select[name=motion]").select_option(str(hall.motion.pk))
    form.locator("select[name=method]").select_option(Vote.Method.SECRET)
    form.locator("select[name=majority]").select_option("simple")
    form.get_by_role("button", name=de("Prepare the vote")).click()
    expect(chair.page.get_by_role("status").first).to_contain_text(
        de("The vote has been prepared."))
    vote = Vote.objects.get(motion=hall.motion)
    card = chair.page.locator(f"#vote-{vote.pk}")
    expect(card).to_contain_text(MOTION)
    card.get_by_role("button", name=de("Open voting")).click()
    expect(chair.page.get_by_role("status").first).to_contain_text(de("Voting is open."))
    expect(projector.live("ballots")).to_contain_text(MOTION, timeout=LIVE_MS)

    for phone, choice in ((rosa, "yes"), (karl, "abstain")):
        panel = phone.page.locator("#voting-panel")
        button = panel.locator(f'button[name="choice"][value="{choice}"]')
        expect(button).to_be_visible(timeout=LIVE_MS)  # the panel reloads on a new ballot
        phone.fits_phone("with the ballot")
        button.click()
        expect(phone.page.locator("#voting-panel")).to_contain_text(
            de("Your vote was counted."), timeout=LIVE_MS)
        # A secret vote: the phone never shows the choice back.
        expect(phone.page.locator("#voting-panel button[name=choice]")).to_have_count(0)
    rosa.accessible("after voting")
    expect(projector.live("ballots")).to_contain_text(
        de("ballots cast: %(cast)s of %(of)s", cast=2, of=2), timeout=LIVE_MS)
    expect(card).to_contain_text(de("Ballots cast: %(n)s of %(of)s", n=2, of=2),
                                 timeout=LIVE_MS)

    card.get_by_role("button", name=de("Close voting and count")).click()
    expect(chair.page.get_by_role("status").first).to_contain_text(
        de("The vote is closed and counted."))
    card = chair.page.locator(f"#vote-{vote.pk}")
    expect(card).to_contain_text(de("Adopted"))
    expect(card).to_contain_text(de("%(yes)s yes, %(no)s no, %(abstain)s abstentions",
                                    yes=1, no=0, abstain=1))
    expect(projector.live("ballots")).not_to_contain_text(MOTION, timeout=LIVE_MS)
    vote.refresh_from_db()
    assert vote.adopted is True and (vote.yes, vote.no, vote.abstain) == (1, 0, 1)

    for tab in (projector, rosa, karl):
        assert tab.unreloaded(), f"{tab.page.url} was reloaded"
    assert projector.streamed > 1 and rosa.streamed > 1, "no stream was reconnected"
    assert karl.polled > 1, "Karl's phone never fell back to polling"
    for tab in (chair, projector, rosa, karl):
        assert not tab.errors, f"script errors on {tab.page.url}: {tab.errors}"
