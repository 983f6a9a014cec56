"""Database tables. Import from here: ``from server.models import Shift``."""
from server.models.org import District, Unit, User  # noqa: F401
from server.models.posts import Post, PostLeader  # noqa: F401
from server.models.security import (  # noqa: F401
    LoginAttempt, LoginFailure, PersonalDataAccess, PrivacyConsent, RevokedToken)
from server.models.shifts import AuditLog, GroupCheckin, Shift  # noqa: F401
from server.models import reports as _report_indexes  # noqa: F401,E402  (indexes on shifts)
from server.models.reviews import CorrectionRequest  # noqa: F401
from server.models.certificates import Certificate  # noqa: F401
from server.models.photos import Photo  # noqa: F401
from server.models.rosters import (  # noqa: F401
    DutySlot, ReminderConsent, SlotAssignment, SlotReminder, SpotCheck, SpotCheckTask, UnitTarget)
from server.models.wechat import WechatToken  # noqa: F401
from server.models.wxacode import WxaCode  # noqa: F401
from server.models.calendar import CalendarDay  # noqa: F401
from server.models.listed import ListedVolunteer  # noqa: F401
from server.models.problems import Problem, ProblemCategory  # noqa: F401
