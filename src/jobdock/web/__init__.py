"""The web admin: FastAPI pages, htmx partials, a Server-Sent Events stream and a JSON API.

Everything here goes through :class:`jobdock.admin.AdminService`; nothing touches the store.
"""
