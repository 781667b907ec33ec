"""The sign-in page the web process serves itself (plain HTML, no script): Streamlit cannot set an HttpOnly
cookie, so the form posts to the sign-in route of signin_gate.py, which sets it and redirects back."""

from __future__ import annotations

from html import escape

# Why nothing can sign in (no admin token configured): said by the gate's page and by the dashboard script alike.
LOCKED = (
    "The dashboard is locked: set ARENA_ADMIN_TOKEN (or start it with `python -m arena serve`, "
    "which creates a local token in data/admin_token)."
)

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>Arena — sign in</title>
<style>
body {{ font-family: system-ui, sans-serif; background: #f7f7f9; color: #1f2430; margin: 0; }}
main {{ max-width: 26rem; margin: 12vh auto; background: #fff; padding: 2rem; border-radius: .5rem;
        box-shadow: 0 1px 4px rgba(0,0,0,.08); }}
h1 {{ font-size: 1.4rem; margin-top: 0; }}
label {{ display: block; margin: 1rem 0 .3rem; }}
input[type=password] {{ width: 100%; box-sizing: border-box; padding: .5rem; font-size: 1rem; }}
button {{ margin-top: 1rem; padding: .5rem 1.2rem; font-size: 1rem; }}
.error {{ background: #fdecea; color: #8a1c14; padding: .6rem; border-radius: .3rem; }}
.info {{ background: #e8f0fe; color: #1a3d7c; padding: .6rem; border-radius: .3rem; }}
</style>
</head>
<body>
<main>
<h1>Arena — sign in</h1>
{message}
{form}
</main>
</body>
</html>
"""

FORM = """<form method="post" action="{action}">
<input type="hidden" name="next" value="{next}">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>"""


def render(*, action: str, next_path: str, error: str = "", info: str = "", form: bool = True) -> bytes:
    """The page, with an optional error or info line; every interpolated value is escaped."""
    message = ""
    if error:
        message += f'<p class="error" role="alert">{escape(error)}</p>'
    if info:
        message += f'<p class="info">{escape(info)}</p>'
    body = FORM.format(action=escape(action), next=escape(next_path)) if form else ""
    return PAGE.format(message=message, form=body).encode("utf-8")
