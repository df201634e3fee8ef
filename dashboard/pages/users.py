"""Users (admins only, with sign-in on): who may sign in, with which role, and each club's
athletes. The same changes as ``python -m dashboard.users``, on the users file."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import users as users_file
from dashboard import widgets
from dashboard.auth import current_access, users_path
from dashboard.escape import md, one_line
from dashboard.state import get_store

st.title("Users")
access = current_access()
path = users_path()
if not access.manages_users or path is None:
    st.info("Only an admin manages users, with sign-in on.")
    st.stop()
st.caption("Who may sign in, with which role, and the athletes of each club. A coach sees "
           "and edits their club's athletes; an athlete sees their own sessions.")

OUTCOME = "users_outcome"


def _done(text: str) -> None:
    st.session_state[OUTCOME] = text


outcome = st.session_state.pop(OUTCOME, None)
if outcome:
    st.success(md(outcome))

try:
    users = users_file.load(path)
except users_file.UsersError as error:
    st.error(md(one_line(error)))
    st.stop()

widgets.show_table(pd.DataFrame(
    [(u.username, u.name, u.role, u.club or "", u.athlete or "") for u in users.users.values()],
    columns=["User", "Name", "Role", "Club", "Athlete"],
))

athlete_names = [a.name for a in get_store().list_athletes()]
add_col, club_col = st.columns(2, gap="large")

with add_col:
    st.subheader("Add a user")
    with st.form("add_user", clear_on_submit=True):
        username = st.text_input("User name", max_chars=64,
                                 help="Lower-case letters, digits, '.', '_', '@' or '-'.")
        name = st.text_input("Name shown", max_chars=200)
        role = st.selectbox("Role", users_file.ROLES, index=1)
        club = st.text_input("Club", help="A coach's club; for an athlete, the club they join.")
        athlete = st.selectbox("Athlete", athlete_names, index=None, accept_new_options=True,
                               help="An athlete user's athlete, as named in the database.")
        password = st.text_input("Password", type="password", max_chars=200)
        again = st.text_input("Password again", type="password", max_chars=200)
        if st.form_submit_button("Add user", type="primary"):
            try:
                if password != again:
                    raise users_file.UsersError("The two passwords differ.")
                user = users_file.add_user(path, username, password, role,
                                           athlete=athlete if role == "athlete" else None,
                                           club=club if role != "admin" else None,
                                           name=name or None)
            except users_file.UsersError as error:
                st.error(md(one_line(error)))
            else:
                _done(f"Added {user.username}, {user.describe()}.")
                st.rerun()

    st.subheader("Remove a user")
    others = [u for u in users.users if u != access.username]
    gone = st.selectbox("User", others, index=None, key="remove_user",
                        placeholder="Choose a user" if others else "No other users")
    if gone and st.button(f"Remove {md(gone)}", key="remove_user_button"):
        try:
            users_file.remove_user(path, gone)
        except users_file.UsersError as error:
            st.error(md(one_line(error)))
        else:
            _done(f"Removed {gone}.")
            st.rerun()

with club_col:
    st.subheader("Clubs and their athletes")
    clubs = list(users.clubs)
    chosen = st.selectbox("Club", clubs, index=0 if clubs else None, accept_new_options=True,
                          key="club_choice", placeholder="Type a new club's name")
    if chosen:
        members = list(users.club_athletes(chosen))
        options = list(dict.fromkeys([*athlete_names, *members]))
        picked = st.multiselect("Athletes", options, default=members, key=f"club_{chosen}")
        if st.button("Save the club", key="save_club"):
            try:
                keys = {users_file.name_key(p) for p in picked}
                users_file.set_club(
                    path, chosen, add=picked,
                    remove=[m for m in members if users_file.name_key(m) not in keys])
            except users_file.UsersError as error:
                st.error(md(one_line(error)))
            else:
                _done(f"Saved the club {chosen}.")
                st.rerun()
