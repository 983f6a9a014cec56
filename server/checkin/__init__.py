"""Check-in: a volunteer scans a post's code to start and end a shift (the hot path),
and the rules that turn shifts into hours: posts, geofence, flags, hours, totals; and for
volunteers without a smartphone, their printed cards and the post leaders (岗长) who check
them in and out with those cards (cards.py, post_leaders.py, group_checkin.py).

May import the platform (server top-level modules, server.models), qr and server.wechat;
never server.records, server.duty, server.evidence or any view package.
"""
