"""Evidence: the photos a volunteer takes on duty, their processing and storage,
signed links to them, and WeChat's content check of them.

May import the platform, server.checkin and server.wechat; never server.records,
server.duty or any view package.
"""
