"""Bad input never gets a 500 or an HTML page: every API route, every method, junk bodies, every caller."""
import re

import pytest

from tests import factories

BODIES = [None, b"garbage{", b'{"a": [1, 2]}', b"{}", b'{"id": "x", "from": "yesterday", "qr": 5}']


def _urls(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        for value in ("1", "999999"):
            url = re.sub(r"<(?:[^:>]+:)?[^>]+>", value, rule.rule)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url


@pytest.mark.parametrize("who", ["nobody", "volunteer", "unit_coordinator", "admin"])
def test_no_api_route_answers_junk_with_a_500_or_html(app, client, county, who):
    users = {
        "volunteer": lambda: factories.volunteer(county.unit_a),
        "unit_coordinator": lambda: factories.console_user("coordinator", unit_=county.unit_a),
        "admin": lambda: factories.console_user("admin"),
    }
    headers = factories.headers(users[who]()) if who in users else {}
    failures = []
    for method, url in _urls(app):
        for body in BODIES:
            res = client.open(url, method=method, data=body, headers=headers,
                              content_type="application/json" if body is not None else None)
            if res.status_code >= 500 or (res.status_code >= 400 and not res.is_json):
                failures.append(f"{method} {url} {body!r}: {res.status_code} {res.get_data(as_text=True)[:120]}")
            elif res.status_code >= 400:
                error = res.get_json().get("error", {})
                if not re.fullmatch(r"[A-Z][A-Z0-9_]+", error.get("code", "")) or not error.get("message"):
                    failures.append(f"{method} {url} {body!r}: bad error envelope {res.get_json()}")
    assert not failures, "\n".join(failures[:30])
