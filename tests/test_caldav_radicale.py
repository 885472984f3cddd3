"""A real CalDAV server accepts the export: Radicale on 127.0.0.1 with a temporary storage folder.

Every exported event is uploaded as its own calendar object (a CalDAV resource holds one UID), read back from
the server and compared; a deliberately broken event must be refused, which proves the check can fail.
Radicale parses with vobject, a parser independent of icalendar.
"""

import datetime as dt
import http.client
import socket
import subprocess
import sys
import time

import icalendar
import pytest

from jakplan.api import plan_for
from jakplan.engine.visits import visits
from jakplan.render.ics import PRODID, calendar_bytes

pytestmark = pytest.mark.system  # slow: see [tool.pytest.ini_options] markers

STAMP = dt.datetime(2024, 4, 1, 8, 30, tzinfo=dt.timezone.utc)
COLLECTION = "/jakplan/plan/"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    storage = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    log = open(storage.parent / "radicale.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}",
         "--storage-filesystem-folder", str(storage / "collections"), "--auth-type", "none",
         "--rights-type", "owner_only", "--logging-level", "warning"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail(f"Radicale did not start: {log.read()[-2000:]}")
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        # with --auth-type none Radicale takes the user name from Basic auth (any password)
        hdrs = {"Authorization": "Basic amFrcGxhbjp4"}  # jakplan:x
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def one_event_calendar(event) -> bytes:
    """A calendar object resource with a single VEVENT (and its VALARM), built with icalendar."""
    return icalendar.Calendar.new(prodid=PRODID, subcomponents=[event]).to_ical()


def test_radicale_stores_and_returns_every_event(server):
    plan = plan_for(dt.date(2024, 1, 31), protocol="nhs-lanarkshire", months=24)
    exported = icalendar.Calendar.from_ical(calendar_bytes(plan, dt.timedelta(hours=15), dtstamp=STAMP))
    events = list(exported.walk("VEVENT"))
    assert len(events) == len(visits(plan)) > 5

    status, body = request(server, "MKCALENDAR", COLLECTION)
    assert status == 201, body
    for ev in events:
        uid = str(ev["UID"])
        status, body = request(server, "PUT", f"{COLLECTION}{uid}.ics", one_event_calendar(ev),
                               {"Content-Type": "text/calendar; charset=utf-8"})
        assert status == 201, (uid, body)

    for ev in events:
        uid = str(ev["UID"])
        status, body = request(server, "GET", f"{COLLECTION}{uid}.ics")
        assert status == 200, body
        (back,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
        assert str(back["UID"]) == uid
        assert back.start == ev.start and type(back.start) is dt.date
        assert back.end == ev.end
        assert str(back["SUMMARY"]) == str(ev["SUMMARY"])
        assert str(back["DESCRIPTION"]) == str(ev["DESCRIPTION"])
        assert [str(c) for c in back.categories] == [str(c) for c in ev.categories]
        (alarm,) = back.walk("VALARM")
        assert alarm["TRIGGER"].dt == -dt.timedelta(hours=15)
        assert str(alarm["DESCRIPTION"]) == str(ev.walk("VALARM")[0]["DESCRIPTION"])

    # the whole collection, as a client syncing the calendar sees it
    status, body = request(server, "GET", COLLECTION)
    assert status == 200, body
    served = icalendar.Calendar.from_ical(body)
    assert sorted((e.start, str(e["UID"])) for e in served.walk("VEVENT")) == sorted(
        (e.start, str(e["UID"])) for e in events
    )
    assert sorted(e.start for e in served.walk("VEVENT")) == [v.date for v in visits(plan)]

    # re-uploading the same plan updates the same resources (stable UIDs): 204, not new objects
    again = icalendar.Calendar.from_ical(calendar_bytes(plan, dt.timedelta(hours=15)))
    first = next(iter(again.walk("VEVENT")))
    status, _ = request(server, "PUT", f"{COLLECTION}{first['UID']}.ics", one_event_calendar(first),
                        {"Content-Type": "text/calendar; charset=utf-8"})
    assert status == 204
    status, body = request(server, "GET", COLLECTION)
    assert len(list(icalendar.Calendar.from_ical(body).walk("VEVENT"))) == len(events)


def test_radicale_refuses_a_broken_event(server):
    status, _ = request(server, "MKCALENDAR", "/jakplan/broken/")
    assert status == 201
    plan = plan_for(dt.date(2024, 5, 1))
    ev = next(iter(icalendar.Calendar.from_ical(calendar_bytes(plan, None, dtstamp=STAMP)).walk("VEVENT")))
    good = one_event_calendar(ev)
    # break the exported event: a DTSTART that is not a date
    start_line = b"DTSTART;VALUE=DATE:" + ev.start.strftime("%Y%m%d").encode()
    assert start_line in good
    broken = good.replace(start_line, b"DTSTART;VALUE=DATE:2024-13-45")
    status, _ = request(server, "PUT", "/jakplan/broken/bad.ics", broken,
                        {"Content-Type": "text/calendar; charset=utf-8"})
    assert status == 400
    # the same event unbroken is accepted: the refusal was about the damage
    status, body = request(server, "PUT", f"/jakplan/broken/{ev['UID']}.ics", good,
                           {"Content-Type": "text/calendar; charset=utf-8"})
    assert status == 201, body


def test_a_moved_start_leaves_exactly_the_new_set_on_the_server(server):
    """Issue 21: the start moved a week; the re-export, uploaded by UID as a CalDAV client syncs it, replaces
    every event (none duplicated), and an event that no longer exists is withdrawn (STATUS:CANCELLED)."""
    collection = "/jakplan/moved/"
    assert request(server, "MKCALENDAR", collection)[0] == 201
    start = dt.date(2024, 5, 1)
    first = calendar_bytes(plan_for(start, months=15), None, dtstamp=STAMP)
    moved_plan = plan_for(start + dt.timedelta(days=7), months=12)
    moved = calendar_bytes(moved_plan, None, dtstamp=STAMP, previous=first)
    for data in (first, moved):
        for ev in icalendar.Calendar.from_ical(data).walk("VEVENT"):
            status, body = request(server, "PUT", f"{collection}{ev['UID']}.ics", one_event_calendar(ev),
                                   {"Content-Type": "text/calendar; charset=utf-8"})
            assert status in (201, 204), body
    status, body = request(server, "GET", collection)
    served = list(icalendar.Calendar.from_ical(body).walk("VEVENT"))
    live = sorted(e.start for e in served if str(e.get("STATUS", "")) != "CANCELLED")
    assert live == [v.date for v in visits(moved_plan)]  # exactly the new set, each once
    assert all(int(e["SEQUENCE"]) >= 1 for e in served)  # every event was revised or withdrawn
