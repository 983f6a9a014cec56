"""Records: what the county keeps and reports from the shifts: hour reports and exports,
the national export, reviews, corrections, shifts added by hand, certificates, the
working-day calendar, volunteers' own records, volunteers added by hand (hand_added.py).

May import the platform, server.checkin, server.evidence, server.wechat and qr; never
server.duty or any view package.
"""
