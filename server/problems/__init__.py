"""Problems volunteers find at their posts (问题上报与整改督办): reports with photos, assignment
to a responsible unit with a deadline in working days, the unit's fix, the command office's check.

May import the platform, server.checkin, server.evidence, server.records and server.wechat;
never server.duty or a view package (server.duty imports this for the bulletin and rankings).
"""
