"""Database tables. Import from here: ``from server.models import Shift``."""
from server.models.org import District, Unit, User  # noqa: F401
from server.models.posts import Post  # noqa: F401
from server.models.security import LoginFailure  # noqa: F401
from server.models.shifts import AuditLog, Shift  # noqa: F401
from server.models.wechat import WechatToken  # noqa: F401
