"""The console's problem pages: the leader assigns from the list, the unit's coordinator finds it
in the unit's queue and fixes it with a photo, the leader verifies; each sees only its forms."""
import io

import pytest

from tests import factories
from tests.photo_helpers import scene_jpeg
from tests.problem_helpers import report
from tests.test_console_pages import csrf_of, sign_in


@pytest.fixture
def setting(county):
    class Setting:
        volunteer = factories.volunteer(county.unit_b)
        leader = factories.console_user("leader")
        unit_a = factories.console_user("coordinator", unit_=county.unit_a)
        unit_b = factories.console_user("coordinator", unit_=county.unit_b)
    return Setting


def page(client, path: str) -> str:
    res = client.get(path)
    assert res.status_code == 200, res.status_code
    return res.get_data(as_text=True)


def test_a_problem_is_assigned_fixed_and_verified_through_the_console_pages(app, county, setting):
    pid = report(app.test_client(), setting.volunteer, county.post_east, post_id=county.post_east.id).get_json()["id"]

    leader = app.test_client()
    sign_in(leader, setting.leader.username)
    listing = page(leader, "/console/problems")
    assert f'id="problem-{pid}"' in listing and "人行道护栏断裂" in listing
    detail = page(leader, f"/console/problems/{pid}")
    assert "交办" in detail and "提交整改" not in detail and "验收通过" not in detail
    # A deadline in the past is refused; the form comes back with the unit and note as typed.
    res = leader.post(f"/console/problems/{pid}/assign", data={
        "unit_id": county.unit_b.id, "note": "请本周内修复", "deadline": "2020-01-01", "csrf_token": csrf_of(detail)})
    assert res.status_code == 422
    refused = res.get_data(as_text=True)
    assert 'role="alert">未保存：整改期限应在今天到一年以内' in refused
    assert 'value="请本周内修复"' in refused and 'value="2020-01-01"' in refused
    assert f'<option value="{county.unit_b.id}" selected>' in refused
    leader.post(f"/console/problems/{pid}/assign", data={"unit_id": county.unit_a.id, "note": "尽快修复",
                                                         "csrf_token": csrf_of(detail)})

    # Unit B's coordinator has nothing in the queue and cannot open it; unit A's finds it there.
    other = app.test_client()
    sign_in(other, setting.unit_b.username)
    assert f'id="problem-{pid}"' not in page(other, "/console/problems?status=")
    assert other.get(f"/console/problems/{pid}").status_code == 404
    unit = app.test_client()
    sign_in(unit, setting.unit_a.username)
    assert unit.get("/console/problems").headers["Location"].endswith("status=assigned")
    assert f'id="problem-{pid}"' in page(unit, "/console/problems?status=assigned")
    detail = page(unit, f"/console/problems/{pid}")
    assert "提交整改" in detail and "验收通过" not in detail and "不予受理" not in detail
    unit.post(f"/console/problems/{pid}/fix", content_type="multipart/form-data",
              data={"file": (io.BytesIO(scene_jpeg(21)), "after.jpg", "image/jpeg"), "note": "已更换护栏",
                    "csrf_token": csrf_of(detail)})
    assert "已提交整改" in page(unit, f"/console/problems/{pid}")

    detail = page(leader, f"/console/problems/{pid}")
    assert "整改后照片" in detail and "已更换护栏" in detail and "验收通过" in detail
    # Sending it back without a reason is refused in words, and nothing changes.
    res = leader.post(f"/console/problems/{pid}/verify", data={"accepted": "false", "csrf_token": csrf_of(detail)})
    assert res.status_code == 422
    refused = res.get_data(as_text=True)
    assert 'role="alert">未保存：缺少退回理由' in refused and "待验收" in refused  # styled as an error
    leader.post(f"/console/problems/{pid}/verify", data={"accepted": "true", "csrf_token": csrf_of(detail)})
    trail = page(leader, f"/console/problems/{pid}")
    assert "已办结" in trail
    for label in ("上报问题", "交办", "上传照片", "整改完成", "验收通过"):
        assert label in trail
