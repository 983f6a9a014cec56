"""The command line: every ``flask --app server ...`` command group, and the demo county.

A view layer, like the HTTP packages: it may import every domain package and the platform;
nothing but the app factory imports it.
"""
