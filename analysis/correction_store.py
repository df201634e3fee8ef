"""The coach's corrections in the store, now :mod:`analysis.store.corrections`; this name
keeps older imports working."""

from analysis.store.corrections import (  # noqa: F401
    CREATED_BY_MAX,
    GROUP_LABELS,
    HIDE_JOINT,
    JOINT_KINDS,
    MOVE_JOINT,
    SWAP_SIDES,
    CorrectionInfo,
    add_swap,
    correction_info,
    correction_row,
    frames_label,
    groups_label,
    joint_label,
    query_corrections,
    track_row,
)
