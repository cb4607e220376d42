"""The admin web console: server-rendered pages (templates, static CSS) and their view data.

Nothing here imports the web framework; ``resguardo.http.console_routes`` mounts it.
"""
