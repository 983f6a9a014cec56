"""The console's pages for post leaders and volunteers' cards (server-side, without a browser)."""
from __future__ import annotations

import pypdfium2 as pdfium

from server.checkin import cards
from server.db import db
from server.models import PostLeader, User
from tests import factories
from tests.scanning import codes_in
from tests.test_console_pages import csrf_of, sign_in


def test_a_coordinator_names_a_post_leader_on_the_posts_page(client, county):
    factories.console_user("coordinator", district_=county.east, username="east1")
    volunteer = factories.volunteer(county.unit_a, name="陈岗长")
    sign_in(client, "east1")
    posts = client.get("/console/posts").get_data(as_text=True)
    assert f'/console/posts/{county.post_east.id}/leaders' in posts
    page = client.get(f"/console/posts/{county.post_east.id}/leaders").get_data(as_text=True)
    assert "本岗位还没有岗长" in page
    res = client.post(f"/console/posts/{county.post_east.id}/leaders",
                      data={"volunteer_id": str(volunteer.id), "csrf_token": csrf_of(page)})
    assert res.status_code == 302
    page = client.get(f"/console/posts/{county.post_east.id}/leaders").get_data(as_text=True)
    assert "陈岗长" in page and "取消岗长" in page
    res = client.post(f"/console/posts/{county.post_east.id}/leaders/{volunteer.id}/remove",
                      data={"csrf_token": csrf_of(page)})
    assert res.status_code == 302
    db.session.rollback()
    assert db.session.query(PostLeader).count() == 0


def test_a_unit_coordinator_adds_a_volunteer_prints_the_card_and_revokes_it(client, county):
    factories.console_user("coordinator", unit_=county.unit_a, username="unit1")
    sign_in(client, "unit1")
    page = client.get("/console/volunteers/new").get_data(as_text=True)
    res = client.post("/console/volunteers/new", data={"name": "王大爷", "phone": "13900001111",
                                                      "unit_id": str(county.unit_a.id), "csrf_token": csrf_of(page)})
    assert res.status_code == 302
    db.session.rollback()
    wang = db.session.query(User).filter_by(name="王大爷").one()
    assert wang.openid is None and wang.unit_id == county.unit_a.id
    pdf = client.get(f"/console/volunteers/{wang.id}/card.pdf")
    assert pdf.status_code == 200
    document = pdfium.PdfDocument(pdf.data)
    assert codes_in(document[0].render(scale=150 / 72).to_pil()) == [cards.token(wang.id, 1)]
    document.close()
    page = client.get(f"/console/volunteers/{wang.id}").get_data(as_text=True)
    assert "作废志愿者卡" in page and "打印志愿者卡" in page
    res = client.post(f"/console/volunteers/{wang.id}/card/revoke",
                      data={"reason": "遗失", "csrf_token": csrf_of(page)})
    assert res.status_code == 302
    db.session.rollback()
    assert db.session.get(User, wang.id).card_version == 2
    unit_pdf = client.get(f"/console/units/{county.unit_a.id}/cards.pdf")
    assert unit_pdf.status_code == 200


def test_who_was_on_duty_shows_a_group_shift_with_the_group_photo(client, county):
    from tests.factories import headers
    from tests.test_group_checkin import GROUP, lead_and_go_on_duty, where

    member = factories.volunteer(county.unit_a, name="王大爷")
    crew = {"leader": factories.volunteer(county.unit_a, name="陈岗长"),
            "admin": headers(factories.console_user("admin", username="admin1")), "post": county.post_east}
    own = lead_and_go_on_duty(client, crew)
    res = client.post(GROUP, headers=headers(crew["leader"]), json={
        "post_id": county.post_east.id, "cards": [cards.token(member.id, 1)], "photo_id": own["photo_id"],
        **where(county.post_east)})
    assert res.get_json()["items"][0]["status"] == 201
    sign_in(client, "admin1")
    today = res.get_json()["items"][0]["shift"]["local_date"]
    page = client.get("/console/duty", query_string={"post_id": county.post_east.id, "date": today})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'alt="王大爷 的现场照片"' in html


def test_the_hours_report_counts_group_shifts_as_scanned_and_filters_them(app, client, county):
    from tests.factories import headers
    from tests.test_group_checkin import GROUP, GROUP_END, lead_and_go_on_duty, where

    member = factories.volunteer(county.unit_a, name="王大爷")
    crew = {"leader": factories.volunteer(county.unit_a, name="陈岗长"),
            "admin": headers(factories.console_user("admin")), "post": county.post_east}
    own = lead_and_go_on_duty(client, crew)
    body = {"post_id": county.post_east.id, "cards": [cards.token(member.id, 1)], **where(county.post_east)}
    client.post(GROUP, headers=headers(crew["leader"]), json={**body, "photo_id": own["photo_id"]})
    app.config["CLOCK_OFFSET_SECONDS"] = 20 * 60
    client.post(GROUP_END, headers=headers(crew["leader"]), json=body)
    client.post(f"/api/mp/v1/shifts/{own['shift_id']}/end", headers=headers(crew["leader"]),
                json={**factories.at_post(county.post_east)})
    report = {}
    for source in ("leader", "scan"):
        res = client.get("/api/console/v1/reports/hours", headers=crew["admin"],
                         query_string={"group_by": "volunteer", "source": source})
        assert res.status_code == 200 and res.get_json()["filters"]["source"] == source
        report[source] = {row["name"]: row["scanned_minutes"] for row in res.get_json()["rows"] if row["scanned_minutes"]}
    assert report == {"leader": {"王大爷": 20}, "scan": {"陈岗长": 20}}
