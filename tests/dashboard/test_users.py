"""The users file and ``python -m dashboard.users`` (issue 11: sign-in and roles)."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest
import yaml

from dashboard import users as users_file
from dashboard.users import UsersError, add_user, load, main
from tests.dashboard.server import PROJECT_ROOT


def test_add_hashes_the_password_and_keeps_the_file_private(tmp_path: Path):
    path = tmp_path / "users.yaml"
    user = add_user(path, "Carla", "coach-pass-1", "coach", club="Rooftop", name="Carla Diaz")
    assert (user.username, user.role, user.club) == ("carla", "coach", "Rooftop")
    raw = yaml.safe_load(path.read_text())
    entry = raw["credentials"]["usernames"]["carla"]
    assert entry["password"].startswith("$2b$") and "coach-pass-1" not in path.read_text()
    assert bcrypt.checkpw(b"coach-pass-1", entry["password"].encode())
    assert entry["roles"] == ["coach"]
    assert len(raw["cookie"]["key"]) >= 32
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load(path).clubs == {"Rooftop": ()}


def test_an_athlete_user_joins_their_club(tmp_path: Path):
    path = tmp_path / "users.yaml"
    add_user(path, "anna", "anna-pass-12", "athlete", athlete=" Anna   Lee ", club="Rooftop")
    users = load(path)
    assert users.users["anna"].athlete == "Anna Lee"
    assert users.club_athletes("rooftop") == ("Anna Lee",)


@pytest.mark.parametrize("kwargs, message", [
    ({"username": "bad name", "role": "admin"}, "user name"),
    ({"username": "x", "role": "boss"}, "Unknown role"),
    ({"username": "x", "role": "coach"}, "needs a club"),
    ({"username": "x", "role": "athlete"}, "athlete's name"),
    ({"username": "x", "role": "admin", "club": "R"}, "admin sees every"),
    ({"username": "x", "role": "admin", "password": "short"}, "at least 8"),
    ({"username": "x", "role": "admin", "password": " padded-pass "}, "start or end"),
    ({"username": "x", "role": "admin", "password": "é" * 40}, "longer than 72"),
])
def test_add_refuses_mistakes_in_one_line(tmp_path: Path, kwargs, message):
    kwargs.setdefault("password", "good-password")
    with pytest.raises(UsersError, match=message) as caught:
        add_user(tmp_path / "users.yaml", kwargs.pop("username"), kwargs.pop("password"),
                 kwargs.pop("role"), **kwargs)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "users.yaml").exists()


def test_remove_clubs_renames_and_forgetting(tmp_path: Path):
    path = tmp_path / "users.yaml"
    add_user(path, "anna", "anna-pass-12", "athlete", athlete="Anna Lee", club="Rooftop")
    add_user(path, "root", "admin-pass-1", "admin")
    assert users_file.set_club(path, "Rooftop", add=["Ben Ode", "ben ode"]) == (
        "Anna Lee", "Ben Ode")
    users_file.rename_athlete(path, "anna lee", "Anna Smith")
    users = load(path)
    assert users.club_athletes("Rooftop") == ("Anna Smith", "Ben Ode")
    assert users.users["anna"].athlete == "Anna Smith"
    users_file.forget_athlete(path, "BEN ODE")
    assert users_file.set_club(path, "Rooftop", remove=["Anna Smith"]) == ()
    users_file.remove_user(path, "ANNA")
    assert set(load(path).users) == {"root"}
    with pytest.raises(UsersError, match="No user 'anna'"):
        users_file.remove_user(path, "anna")


def test_a_file_that_cannot_be_used_is_one_line(tmp_path: Path):
    path = tmp_path / "users.yaml"
    with pytest.raises(UsersError, match="No users file"):
        load(path)
    path.write_text("cookie: [unclosed\n")
    with pytest.raises(UsersError, match="not valid YAML"):
        load(path)
    path.write_text("cookie: {key: short}\n")
    with pytest.raises(UsersError, match="cookie.key"):
        load(path)


def test_the_command_line_reads_the_password_from_stdin(tmp_path: Path, monkeypatch, capsys):
    path = tmp_path / "users.yaml"
    monkeypatch.setenv("POSTURE_AUTH", str(path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("coach-pass-1\n"))
    assert main(["add", "carla", "--role", "coach", "--club", "Rooftop"]) == 0
    assert capsys.readouterr().out == "carla: coach of Rooftop\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO("anna-pass-12\n"))
    assert main(["add", "anna", "--role", "athlete", "--athlete", "Anna Lee",
                 "--club", "Rooftop"]) == 0
    capsys.readouterr()
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "carla\tcoach\tRooftop" in out and "club Rooftop: Anna Lee" in out
    assert main(["club", "Rooftop", "--add", "Ben Ode"]) == 0
    assert capsys.readouterr().out == "Rooftop: Anna Lee, Ben Ode\n"
    assert main(["remove", "anna"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["add", "bob", "--role", "admin"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "at least 8 characters" in err


def test_python_dash_m_dashboard_users(tmp_path: Path):
    path = tmp_path / "users.yaml"
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "dashboard.users", "--file", str(path), "add", "root",
         "--role", "admin"], input="admin-pass-1\n", capture_output=True, text=True,
        cwd=PROJECT_ROOT, env=env, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "root: admin\n"
    assert load(path).users["root"].role == "admin"
