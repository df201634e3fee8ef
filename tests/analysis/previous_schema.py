"""The schema before migrations, as fixed DDL: what the previous program's
``Base.metadata.create_all`` ran, for the migration tests.

``SQLITE`` and ``POSTGRESQL``: the tables of ``analysis/db_models.py`` at git 46e2ada
(athletes, sessions, clips, tracks, metrics, poses), each statement as
``CreateTable``/``CreateIndex`` compiled them for that dialect. ``*_CORRECTIONS``: the
table the program added next (git a9d3302, still without versions): a database made by
that program is ``SQLITE + SQLITE_CORRECTIONS``.
"""

SQLITE = [
    """CREATE TABLE athletes (
    id INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    name_key VARCHAR(200) NOT NULL,
    height_m FLOAT,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT athlete_height_positive CHECK (height_m IS NULL OR height_m > 0),
    UNIQUE (name_key)
)""",
    """CREATE TABLE sessions (
    id INTEGER NOT NULL,
    athlete_id INTEGER NOT NULL,
    date DATE NOT NULL,
    title VARCHAR(200) NOT NULL,
    tags JSON NOT NULL,
    created_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_session UNIQUE (athlete_id, date, title),
    FOREIGN KEY(athlete_id) REFERENCES athletes (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_sessions_athlete_id ON sessions (athlete_id)""",
    """CREATE TABLE clips (
    id INTEGER NOT NULL,
    session_id INTEGER NOT NULL,
    file_name VARCHAR(500) NOT NULL,
    stored_path TEXT NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    fps FLOAT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    frame_count INTEGER NOT NULL,
    duration_s FLOAT NOT NULL,
    settings JSON NOT NULL,
    status VARCHAR(8) NOT NULL,
    error TEXT,
    created_at DATETIME NOT NULL,
    finished_at DATETIME,
    PRIMARY KEY (id),
    CONSTRAINT uq_clip_sha256_in_session UNIQUE (session_id, sha256),
    CONSTRAINT clip_status CHECK (status IN ('pending', 'running', 'done', 'failed')),
    CONSTRAINT clip_kind CHECK (kind IN ('photo', 'video')),
    FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_clips_session_id ON clips (session_id)""",
    """CREATE TABLE tracks (
    id INTEGER NOT NULL,
    clip_id INTEGER NOT NULL,
    track_id INTEGER NOT NULL,
    frames_seen INTEGER NOT NULL,
    first_frame INTEGER NOT NULL,
    n_frames INTEGER NOT NULL,
    is_athlete BOOLEAN NOT NULL,
    n_repetitions INTEGER NOT NULL,
    rep_signal VARCHAR(64),
    scale_m_per_px FLOAT,
    extra JSON NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_track_in_clip UNIQUE (clip_id, track_id),
    FOREIGN KEY(clip_id) REFERENCES clips (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_tracks_clip_id ON tracks (clip_id)""",
    """CREATE TABLE metrics (
    id INTEGER NOT NULL,
    track_pk INTEGER NOT NULL,
    kind VARCHAR(64) NOT NULL,
    chunk INTEGER NOT NULL,
    frame_start INTEGER,
    frame_stop INTEGER,
    payload BLOB NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_metric_chunk UNIQUE (track_pk, kind, chunk),
    FOREIGN KEY(track_pk) REFERENCES tracks (id) ON DELETE CASCADE
)""",
    """CREATE TABLE poses (
    id INTEGER NOT NULL,
    track_pk INTEGER NOT NULL,
    frame_start INTEGER NOT NULL,
    frame_stop INTEGER NOT NULL,
    payload BLOB NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_pose_chunk UNIQUE (track_pk, frame_start),
    FOREIGN KEY(track_pk) REFERENCES tracks (id) ON DELETE CASCADE
)""",
]
SQLITE_CORRECTIONS = [
    """CREATE TABLE corrections (
    id INTEGER NOT NULL,
    clip_id INTEGER NOT NULL,
    track_id INTEGER NOT NULL,
    kind VARCHAR(32) NOT NULL,
    first_frame INTEGER NOT NULL,
    last_frame INTEGER NOT NULL,
    groups INTEGER NOT NULL,
    detail JSON NOT NULL,
    created_at DATETIME NOT NULL,
    created_by VARCHAR(200) NOT NULL,
    undone_at DATETIME,
    PRIMARY KEY (id),
    CONSTRAINT correction_frames CHECK (first_frame >= 0 AND first_frame <= last_frame),
    CONSTRAINT correction_swap_groups CHECK (kind != 'swap_sides' OR (groups BETWEEN 1 AND 7)),
    FOREIGN KEY(clip_id) REFERENCES clips (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_corrections_clip_id ON corrections (clip_id)""",
]
POSTGRESQL = [
    """CREATE TABLE athletes (
    id SERIAL NOT NULL,
    name VARCHAR(200) NOT NULL,
    name_key VARCHAR(200) NOT NULL,
    height_m FLOAT,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT athlete_height_positive CHECK (height_m IS NULL OR height_m > 0),
    UNIQUE (name_key)
)""",
    """CREATE TABLE sessions (
    id SERIAL NOT NULL,
    athlete_id INTEGER NOT NULL,
    date DATE NOT NULL,
    title VARCHAR(200) NOT NULL,
    tags JSON NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_session UNIQUE (athlete_id, date, title),
    FOREIGN KEY(athlete_id) REFERENCES athletes (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_sessions_athlete_id ON sessions (athlete_id)""",
    """CREATE TABLE clips (
    id SERIAL NOT NULL,
    session_id INTEGER NOT NULL,
    file_name VARCHAR(500) NOT NULL,
    stored_path TEXT NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    fps FLOAT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    frame_count INTEGER NOT NULL,
    duration_s FLOAT NOT NULL,
    settings JSON NOT NULL,
    status VARCHAR(8) NOT NULL,
    error TEXT,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    finished_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    CONSTRAINT uq_clip_sha256_in_session UNIQUE (session_id, sha256),
    CONSTRAINT clip_status CHECK (status IN ('pending', 'running', 'done', 'failed')),
    CONSTRAINT clip_kind CHECK (kind IN ('photo', 'video')),
    FOREIGN KEY(session_id) REFERENCES sessions (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_clips_session_id ON clips (session_id)""",
    """CREATE TABLE tracks (
    id SERIAL NOT NULL,
    clip_id INTEGER NOT NULL,
    track_id INTEGER NOT NULL,
    frames_seen INTEGER NOT NULL,
    first_frame INTEGER NOT NULL,
    n_frames INTEGER NOT NULL,
    is_athlete BOOLEAN NOT NULL,
    n_repetitions INTEGER NOT NULL,
    rep_signal VARCHAR(64),
    scale_m_per_px FLOAT,
    extra JSON NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_track_in_clip UNIQUE (clip_id, track_id),
    FOREIGN KEY(clip_id) REFERENCES clips (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_tracks_clip_id ON tracks (clip_id)""",
    """CREATE TABLE metrics (
    id SERIAL NOT NULL,
    track_pk INTEGER NOT NULL,
    kind VARCHAR(64) NOT NULL,
    chunk INTEGER NOT NULL,
    frame_start INTEGER,
    frame_stop INTEGER,
    payload BYTEA NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_metric_chunk UNIQUE (track_pk, kind, chunk),
    FOREIGN KEY(track_pk) REFERENCES tracks (id) ON DELETE CASCADE
)""",
    """CREATE TABLE poses (
    id SERIAL NOT NULL,
    track_pk INTEGER NOT NULL,
    frame_start INTEGER NOT NULL,
    frame_stop INTEGER NOT NULL,
    payload BYTEA NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_pose_chunk UNIQUE (track_pk, frame_start),
    FOREIGN KEY(track_pk) REFERENCES tracks (id) ON DELETE CASCADE
)""",
]
POSTGRESQL_CORRECTIONS = [
    """CREATE TABLE corrections (
    id SERIAL NOT NULL,
    clip_id INTEGER NOT NULL,
    track_id INTEGER NOT NULL,
    kind VARCHAR(32) NOT NULL,
    first_frame INTEGER NOT NULL,
    last_frame INTEGER NOT NULL,
    groups INTEGER NOT NULL,
    detail JSON NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    created_by VARCHAR(200) NOT NULL,
    undone_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (id),
    CONSTRAINT correction_frames CHECK (first_frame >= 0 AND first_frame <= last_frame),
    CONSTRAINT correction_swap_groups CHECK (kind != 'swap_sides' OR (groups BETWEEN 1 AND 7)),
    FOREIGN KEY(clip_id) REFERENCES clips (id) ON DELETE CASCADE
)""",
    """CREATE INDEX ix_corrections_clip_id ON corrections (clip_id)""",
]
