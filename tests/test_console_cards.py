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
