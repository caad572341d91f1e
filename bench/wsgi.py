"""The app as the benchmark serves it: the production app plus one bare endpoint, the ceiling of scenario 1.

    gunicorn bench.wsgi:app

`/bench/bare` goes through everything every request goes through (the session, Flask-Login, the locale,
the security headers) but does no work of its own: no template, no query. It exists only in this module,
which only the benchmark loads, so it is never part of the app (or of tests/test_routes_access.py).
"""
from lms import create_app

app = create_app()


@app.get("/bench/bare")
def bench_bare():
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}
