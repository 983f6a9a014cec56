"""The first-run notice of what the mini-program collects, and why (PIPL Art 17, 29, 30).

Public: it is shown before the volunteer logs in or agrees to anything."""
from __future__ import annotations

from flask import current_app

from miniprogram_api import bp
from server import privacy


@bp.get("/privacy-policy")
def privacy_policy():
    organisation = current_app.config["ISSUING_ORGANISATION"]
    return {
        "version": privacy.current_version(),  # what registration and /me/consent must name
        "url": privacy.notice_url(),
        "title": "红马甲志愿服务个人信息保护说明",
        "controller": organisation,
        "items": [
            {"what": "位置（每次扫码和上报问题时）", "sensitive": True,
             "why": "确认您在岗位附近上岗、下岗，用于计算志愿服务时长；标出您上报的问题所在位置。"
                    "只在扫码、督查抽查和上报问题时读取，不做持续定位"},
            {"what": "照片", "sensitive": False,
             "why": "您在岗时拍摄的执勤照片，作为服务记录，由所在单位协调员审核；"
                    "您上报问题时拍摄的现场照片，交给负责整改的单位和县指挥部"},
            {"what": "姓名、手机号、所在单位", "sensitive": False,
             "why": "实名登记、统计服务时长、开具志愿服务证明"},
        ],
        "text": (
            f"{organisation}（以下简称“我们”）通过“红马甲”小程序组织文明城市志愿服务。"
            "我们只收集完成上岗登记和问题上报所必需的信息：每次扫码和上报问题时的位置（敏感个人信息，需您单独同意）、"
            "您拍摄的执勤照片和问题现场照片，以及登记时填写的姓名、手机号和所在单位。"
            "这些信息只用于核实上岗、统计服务时长、开具证明和督办问题整改，仅向您所在单位和片区的协调员、"
            "负责整改您所上报问题的单位及县指挥部展示，不向其他第三方提供。照片和位置按县里的档案规定保存，期满删除。"
            "您可以查询自己的记录，对记录有异议可以申请更正；如需注销或删除个人信息，请联系所在单位协调员。"
        ),
    }
