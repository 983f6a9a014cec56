"""Duty: planning and watching the duty itself: rosters, who is on duty now or was at a
time, coverage of posts, lateness, rankings of units, the weekly bulletin, spot checks,
the digest and reminders.

May import the platform, server.checkin, server.evidence, server.records, server.wechat and
qr; never a view package.
"""
