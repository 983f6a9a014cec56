"""Volunteers' printed cards: a personal signed code that is never a post's code, A4 sheets of
8 from the console and the command line, read back by an independent decoder (zxing-cpp over
PDFium's rendering), and revoking a lost card (issue 21)."""
from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
from PIL import Image

from qr import card_payload, payload
from qr.card_sheet import CardInfo, sheet_png
from server.checkin import cards
from tests import factories
from tests.factories import at_post, headers
from tests.scanning import codes_in, pdf_page_sizes_mm

CONSOLE = "/api/console/v1"
SECRET = "a-secret-key-for-cards-only"


def pages_of(pdf_bytes: bytes) -> list[list[str]]:
    document = pdfium.PdfDocument(pdf_bytes)
    try:
        return [sorted(codes_in(page.render(scale=150 / 72).to_pil())) for page in document]
    finally:
        document.close()


def test_a_card_code_is_short_signed_and_never_a_post_code():
    token = card_payload.make_token(SECRET, 123456789, 999999)
    assert len(token) <= 32 and token.startswith("RVC")
    assert card_payload.verify(SECRET, token) == card_payload.CardCode(123456789, 999999)
    post_token = payload.make_token(SECRET, 17, 1)
    with pytest.raises(card_payload.InvalidCard):
        card_payload.verify(SECRET, post_token)
    with pytest.raises(payload.InvalidPayload):
        payload.verify(SECRET, card_payload.make_token(SECRET, 17, 1))
    # The same numbers under the other key: a post's signature never makes a card, nor the reverse.
    signature = post_token.rsplit(".", 1)[1]
    with pytest.raises(card_payload.InvalidCard):
        card_payload.verify(SECRET, f"RVC17.1.{signature}")
    with pytest.raises(card_payload.InvalidCard):
        card_payload.verify("another-secret", card_payload.make_token(SECRET, 17, 1))


def test_a_sheet_holds_eight_cards_each_readable_by_a_phone():
    infos = [CardInfo(volunteer_id=i, name=f"志愿者{i}号", unit="县财政局", card_version=1,
                      payload=card_payload.make_token(SECRET, i, 1)) for i in range(1, 9)]
    image = Image.open(io.BytesIO(sheet_png(infos)))
    assert image.size == (2480, 3508)  # A4 at 300 dpi
    assert sorted(codes_in(image)) == sorted(i.payload for i in infos)


def test_the_console_prints_chosen_volunteers_cards_on_a4_sheets_of_eight(client, county):
    people = [factories.volunteer(county.unit_a) for _ in range(9)]
    coordinator = headers(factories.console_user("coordinator", unit_=county.unit_a))
    ids = ",".join(str(p.id) for p in people)
    res = client.get(f"{CONSOLE}/cards.pdf", headers=coordinator, query_string={"volunteers": ids})
    assert res.status_code == 200 and res.mimetype == "application/pdf"
    assert pdf_page_sizes_mm(res.data) == [(210, 297), (210, 297)]
    pages = pages_of(res.data)
    assert [len(page) for page in pages] == [8, 1]
    assert sorted(sum(pages, [])) == sorted(cards.token(p.id, 1) for p in people)


def test_cards_of_volunteers_out_of_scope_are_not_printed(client, county):
    theirs = factories.volunteer(county.unit_b)
    coordinator = headers(factories.console_user("coordinator", unit_=county.unit_a))
    res = client.get(f"{CONSOLE}/cards.pdf", headers=coordinator, query_string={"volunteers": str(theirs.id)})
    assert res.status_code == 404
    assert client.get(f"{CONSOLE}/units/{county.unit_b.id}/cards.pdf", headers=coordinator).status_code == 404
    county_leader = headers(factories.console_user("leader"))
    assert client.get(f"{CONSOLE}/units/{county.unit_b.id}/cards.pdf", headers=county_leader).status_code == 403


def test_a_revoked_card_is_refused_and_the_new_one_prints(client, county):
    volunteer = factories.volunteer(county.unit_a)
    other_unit = headers(factories.console_user("coordinator", unit_=county.unit_b))
    assert client.post(f"{CONSOLE}/volunteers/{volunteer.id}/card/revoke", headers=other_unit).status_code == 404
    coordinator = headers(factories.console_user("coordinator", unit_=county.unit_a))
    res = client.post(f"{CONSOLE}/volunteers/{volunteer.id}/card/revoke", headers=coordinator)
    assert res.status_code == 200 and res.get_json()["card_version"] == 2
    with pytest.raises(Exception) as refused:
        cards.holder(cards.verify(cards.token(volunteer.id, 1)))
    assert (refused.value.status, refused.value.code) == (410, "CARD_REVOKED")
    res = client.get(f"{CONSOLE}/cards.pdf", headers=coordinator, query_string={"volunteers": str(volunteer.id)})
    assert pages_of(res.data) == [[cards.token(volunteer.id, 2)]]


def test_the_command_line_exports_a_units_cards(app, county, tmp_path):
    people = [factories.volunteer(county.unit_a) for _ in range(3)]
    factories.volunteer(county.unit_a, status="suspended")  # a suspended volunteer's card is not printed
    out = tmp_path / "cards"
    result = app.test_cli_runner().invoke(args=["cards", "export", "--unit", str(county.unit_a.id),
                                                "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["cards.pdf"]
    assert pages_of((out / "cards.pdf").read_bytes()) == [sorted(cards.token(p.id, 1) for p in people)]


def test_the_command_line_revokes_a_lost_card(app, client, county):
    volunteer = factories.volunteer(county.unit_a)
    result = app.test_cli_runner().invoke(args=["cards", "revoke", str(volunteer.id), "--json"])
    assert result.exit_code == 0, result.output
    res = client.post("/api/mp/v1/shifts", headers=headers(volunteer), json=at_post(county.post_east))
    assert res.status_code == 201  # revoking the card leaves the volunteer's own phone scans alone
    assert cards.holder(cards.verify(cards.token(volunteer.id, 2)))["id"] == volunteer.id
