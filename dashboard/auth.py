"""Sign-in, on a server: off unless ``POSTURE_AUTH`` names a users file.

The sign-in itself is ``streamlit-authenticator``'s: it checks the user name and the
bcrypt hash of the password against the users file (:mod:`dashboard.users`), keeps the
signed-in user in the browser session, and sets a signed cookie (JWT, ``cookie.key`` of
the users file, ``cookie.expiry_days``) so that a reload or a new tab stays signed in;
signing out drops it. This module only draws the form and the account box, and hands
the signed-in user's :class:`~dashboard.access.Access` to the pages
(:func:`current_access`), which :func:`dashboard.state.get_store` enforces.

The users file is read on every run (again only when it changed), so a removed user is
signed out at their next click and a changed role or club applies at once.
"""

from __future__ import annotations

import contextlib
import os

import streamlit as st

from dashboard import users as users_file
from dashboard.access import NOBODY, OPEN, Access, access_for
from dashboard.escape import md, one_line

AUTH_ENV = users_file.AUTH_ENV
ACCESS = "posture_access"  # session state: the Access of this browser session
AUTHENTICATOR = "posture_authenticator"  # session state: this run's Authenticate
SET_COOKIE = "posture_set_cookie"  # session state: set the cookie on the next run
DROP_COOKIE = "posture_drop_cookie"  # session state: drop it on the next run
WRONG = "Wrong user name or password."

#: The cookie manager's frames (height 0) take no room on the page.
HIDE_COOKIE_FRAMES = (
    "<style>[data-testid='stElementContainer']:has(iframe[title*='cookie_manager'])"
    "{display:none !important}</style>"
)


def users_path() -> str | None:
    """The users file (``$POSTURE_AUTH``), None when sign-in is off."""
    return os.environ.get(AUTH_ENV) or None


def current_access() -> Access:
    """The access of this browser session: :data:`OPEN` with sign-in off; with it on,
    the signed-in user's, or :data:`NOBODY` (sees nothing) before :func:`gate` ran."""
    if users_path() is None:
        return OPEN
    try:
        access = st.session_state.get(ACCESS)
    except Exception:  # noqa: BLE001 -- no browser session: nobody
        return NOBODY
    return access if isinstance(access, Access) else NOBODY


def gate() -> Access:
    """At the top of every run: who is signed in (from the session, else the cookie).

    Returns :data:`OPEN` when sign-in is off, the user's access when signed in, and
    :data:`NOBODY` when the sign-in page is to be shown. A users file that cannot be
    read is one error line and nothing else.
    """
    path = users_path()
    if path is None:
        return OPEN
    state = st.session_state
    try:
        users = users_file.load(path)
    except users_file.UsersError as error:
        state[ACCESS] = NOBODY
        st.error(md(one_line(error)))
        st.stop()
    from streamlit_authenticator import Authenticate
    from streamlit_authenticator.utilities import LoginError

    st.html(HIDE_COOKIE_FRAMES)
    authenticator = Authenticate(
        users.credentials(), users.cookie_name, users.cookie_key, users.cookie_expiry_days,
        auto_hash=False,
    )
    state[AUTHENTICATOR] = authenticator
    if not state.get("authentication_status"):
        token = authenticator.cookie_controller.get_cookie()
        if token:
            with contextlib.suppress(LoginError):  # a user no longer in the file
                authenticator.authentication_controller.login(token=token)
    username = state.get("username") if state.get("authentication_status") else None
    access = access_for(users, username)
    if username and not access.signed_in:  # removed from the users file meanwhile
        authenticator.authentication_controller.logout()
        state[DROP_COOKIE] = True
    if state.pop(SET_COOKIE, False) and access.signed_in:
        authenticator.cookie_controller.set_cookie()
    if state.pop(DROP_COOKIE, False):
        authenticator.cookie_controller.delete_cookie()
    state[ACCESS] = access
    if access.signed_in:
        _account_box(users.users[access.username])
    return access


def _account_box(user: users_file.User) -> None:
    with st.sidebar:
        st.caption(f"Signed in as **{md(user.name)}**, {md(user.describe())}")
        st.button("Sign out", key="sign_out", on_click=_sign_out, icon=":material/logout:")


def _sign_out() -> None:
    authenticator = st.session_state.get(AUTHENTICATOR)
    if authenticator is not None:
        authenticator.authentication_controller.logout()
    st.session_state[DROP_COOKIE] = True
    st.session_state[ACCESS] = NOBODY


def sign_in_page() -> None:
    """The page shown to anyone not signed in: user name, password, one line if wrong."""
    from streamlit_authenticator.utilities import LoginError

    _, middle, _ = st.columns([1, 1.2, 1])
    with middle:
        st.title("Sign in")
        st.caption("Posture analytics keeps athletes' training data: sign in with the "
                   "account your club gave you.")
        with st.form("sign_in", border=True):
            username = st.text_input("User name", autocomplete="username", max_chars=64)
            password = st.text_input("Password", type="password",
                                     autocomplete="current-password", max_chars=200)
            submitted = st.form_submit_button("Sign in", type="primary")
        message = st.empty()
    if not submitted:
        return
    authenticator = st.session_state.get(AUTHENTICATOR)
    signed_in = False
    if authenticator is not None and username and password:
        with contextlib.suppress(LoginError, ValueError):
            signed_in = bool(authenticator.authentication_controller.login(username, password))
    path = users_path()
    if signed_in and path is not None:
        access = access_for(users_file.load(path), st.session_state.get("username"))
        if access.signed_in:
            st.session_state[SET_COOKIE] = True
            st.session_state[ACCESS] = access
            st.rerun()
    st.session_state["authentication_status"] = None
    message.error(WRONG)
