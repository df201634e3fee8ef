"""Who sees and changes what (issue 11): the permission rules and the scoped store.

A real store (SQLite) holds Anna Lee and Ben Ode (club Rooftop) and Cleo Park (club
Harbour), each with an analysed synthetic clip; the users file names a coach of
Rooftop, the athlete Anna Lee and an admin.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from analysis import AnalysisError
from analysis.store import Store
from dashboard import users as users_file
from dashboard.access import (
    NOBODY,
    OPEN,
    READ_ONLY_MESSAGE,
    SCOPES,
    ScopedStore,
    access_for,
    is_read,
)
from tests.dashboard.conftest import make_synthetic_clip


@pytest.fixture()
def world(tmp_path: Path):
    path = tmp_path / "users.yaml"
    users_file.add_user(path, "carla", "coach-pass-1", "coach", club="Rooftop")
    users_file.add_user(path, "anna", "anna-pass-12", "athlete", athlete="Anna Lee",
                        club="Rooftop")
    users_file.add_user(path, "root", "admin-pass-1", "admin")
    users_file.set_club(path, "Rooftop", add=["ben  ODE"])  # case and spacing ignored
    users_file.set_club(path, "Harbour", add=["Cleo Park"])
    store = Store(f"sqlite:///{tmp_path / 'posture.db'}")
    clips = {
        name: make_synthetic_clip(store, tmp_path / "clips", athlete=name, session=title,
                                  period_s=period)
        for name, title, period in (("Anna Lee", "Squats", 1.5), ("Ben Ode", "Lunges", 1.3),
                                    ("Cleo Park", "Jumps", 1.1))
    }
    athletes = {a.name: a.id for a in store.list_athletes()}
    yield store, path, clips, athletes
    store.close()


def scoped(world, username: str) -> ScopedStore:
    store, path, _, _ = world
    return ScopedStore(store, access_for(users_file.load(path), username), str(path))


# ----------------------------------------------------------------------------- rules

def test_roles_make_the_access(world):
    _, path, _, _ = world
    users = users_file.load(path)
    coach = access_for(users, "carla")
    assert coach.role == "coach" and coach.can_edit and not coach.manages_users
    assert coach.sees("Anna Lee") and coach.sees("BEN ode") and not coach.sees("Cleo Park")
    athlete = access_for(users, "Anna")  # user names are case-blind
    assert athlete.role == "athlete" and not athlete.can_edit
    assert athlete.sees("anna lee") and not athlete.sees("Ben Ode")
    admin = access_for(users, "root")
    assert admin.manages_users and admin.can_edit and not admin.limited
    assert access_for(users, "mallory") == NOBODY and access_for(users, None) == NOBODY
    assert not NOBODY.can_edit and not NOBODY.sees("Anna Lee")
    assert access_for(None, None) == OPEN and OPEN.can_edit and not OPEN.limited


# ----------------------------------------------------------------------------- athlete

def test_an_athlete_sees_only_their_own(world):
    _, _, clips, athletes = world
    anna = scoped(world, "anna")
    assert [a.name for a in anna.list_athletes()] == ["Anna Lee"]
    assert {s.athlete_name for s in anna.list_sessions()} == {"Anna Lee"}
    assert [c.id for c in anna.list_clips()] == [clips["Anna Lee"]]
    assert set(anna.overview()["athlete"]) == {"Anna Lee"}
    assert anna.get_clip(clips["Anna Lee"]).id == clips["Anna Lee"]
    assert not anna.read_angles(clips["Anna Lee"]).empty
    assert anna.find_athlete("Ben Ode") is None


@pytest.mark.parametrize("call", [
    lambda s, c, a: s.get_clip(c["Ben Ode"]),
    lambda s, c, a: s.read_angles(c["Ben Ode"]),
    lambda s, c, a: s.read_poses(c["Cleo Park"]),
    lambda s, c, a: s.list_corrections(c["Ben Ode"]),
    lambda s, c, a: s.get_session(s._store.get_clip(c["Ben Ode"]).session_id),
    lambda s, c, a: s.list_clips(athlete=a["Ben Ode"]),
    lambda s, c, a: s.list_sessions("Ben Ode"),
    lambda s, c, a: s.progress(a["Ben Ode"]),
    lambda s, c, a: s.get_athlete("Cleo Park"),
])
def test_another_athletes_records_do_not_exist_for_an_athlete(world, call):
    _, _, clips, athletes = world
    with pytest.raises(AnalysisError, match=r"^No (clip|session|athlete) .* in the database\.$"):
        call(scoped(world, "anna"), clips, athletes)


def test_an_athlete_changes_nothing(world):
    store, _, clips, athletes = world
    anna = scoped(world, "anna")
    for change in (
        lambda: anna.delete_clip(clips["Anna Lee"]),
        lambda: anna.update_athlete(athletes["Anna Lee"], name="Anna B"),
        lambda: anna.create_athlete("New"),
        lambda: anna.get_or_create_session(athletes["Anna Lee"], "More"),
        lambda: anna.set_athlete_track(clips["Anna Lee"], 0),
        lambda: anna.add_swap_correction(clips["Anna Lee"], 0, 1, 5),
    ):
        with pytest.raises(AnalysisError, match=READ_ONLY_MESSAGE):
            change()
    assert store.get_clip(clips["Anna Lee"]).id == clips["Anna Lee"]
    assert store.find_athlete("New") is None


# ----------------------------------------------------------------------------- coach

def test_a_coach_sees_and_edits_their_club(world):
    store, path, clips, athletes = world
    carla = scoped(world, "carla")
    assert {a.name for a in carla.list_athletes()} == {"Anna Lee", "Ben Ode"}
    assert set(carla.overview()["athlete"]) == {"Anna Lee", "Ben Ode"}
    assert carla.get_clip(clips["Ben Ode"]).athlete_id == athletes["Ben Ode"]
    with pytest.raises(AnalysisError, match="No clip"):
        carla.delete_clip(clips["Cleo Park"])
    with pytest.raises(AnalysisError, match="No athlete"):
        carla.update_athlete(athletes["Cleo Park"], name="Mine now")
    carla.update_session(carla.get_clip(clips["Ben Ode"]).session_id, title="Lunges, deep")
    assert store.get_session(store.get_clip(clips["Ben Ode"]).session_id).title == "Lunges, deep"


def test_a_coachs_new_athlete_joins_the_club_and_renames_follow(world):
    store, path, _, _ = world
    carla = scoped(world, "carla")
    created = carla.create_athlete("Dana Fox")
    assert "Dana Fox" in users_file.load(path).club_athletes("Rooftop")
    assert created.id in {a.id for a in carla.list_athletes()}
    carla.update_athlete("Anna Lee", name="Anna Lee-Smith")
    users = users_file.load(path)
    assert "Anna Lee-Smith" in users.club_athletes("Rooftop")
    assert users.users["anna"].athlete == "Anna Lee-Smith"  # she still sees herself
    assert [a.name for a in scoped(world, "anna").list_athletes()] == ["Anna Lee-Smith"]
    carla.delete_athlete(created.id)
    assert "Dana Fox" not in users_file.load(path).club_athletes("Rooftop")


def test_a_coach_cannot_take_another_clubs_athlete_by_name(world):
    store, path, _, _ = world
    carla = scoped(world, "carla")
    with pytest.raises(AnalysisError, match="another club"):
        carla.get_or_create_athlete("cleo park")
    with pytest.raises(AnalysisError, match="already an athlete"):
        carla.create_athlete("Cleo Park")
    assert "Cleo Park" not in users_file.load(path).club_athletes("Rooftop")


def test_creating_is_not_reading():
    assert is_read("get_clip") and is_read("list_sessions") and is_read("overview")
    assert not is_read("get_or_create_session") and not is_read("delete_clip")


def test_a_store_method_that_names_no_record_is_refused_to_a_limited_user(world):
    with pytest.raises(AnalysisError, match="cannot do that"):
        scoped(world, "carla").close()


# ----------------------------------------------------------------------------- admin

def test_an_admin_sees_everyone_and_renames_follow(world):
    _, path, _, athletes = world
    root = scoped(world, "root")
    assert {a.name for a in root.list_athletes()} == {"Anna Lee", "Ben Ode", "Cleo Park"}
    root.update_athlete(athletes["Cleo Park"], name="Cleo Park-Lane")
    assert "Cleo Park-Lane" in users_file.load(path).club_athletes("Harbour")


# ----------------------------------------------------------------------------- coverage

OVERRIDDEN = {"create_athlete", "get_or_create_athlete", "find_athlete", "update_athlete",
              "rename_athlete", "delete_athlete"}
#: Changes that name no record (the store runs recover_interrupted itself, on opening).
REFUSED_TO_LIMITED = {"close", "recover_interrupted"}


def test_every_public_store_method_is_classified():
    """A method added to the store is a read (by its name), names its record (a
    parameter the scoped store checks), is handled by the scoped store itself, or is
    refused to limited users; anything else needs a look at dashboard/access.py."""
    unknown = []
    for name, member in inspect.getmembers(Store, callable):
        if name.startswith("_") or inspect.isclass(member):
            continue
        parameters = set(inspect.signature(member).parameters)
        if (name in OVERRIDDEN or name in REFUSED_TO_LIMITED or parameters & set(SCOPES)
                or is_read(name)):
            continue
        unknown.append(name)
    assert not unknown, unknown
