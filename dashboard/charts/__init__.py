"""Plotly figures of the dashboard, in the product's colours, with units on every axis.

Every figure is built from tables the analysis layer stored (this package
computes no metric): angles over time, a joint's path, left/right symmetry,
repetitions, two clips compared, one athlete's progress, and who is followed
while a clip is being analysed (that one a still SVG picture, not Plotly). The
athlete's left is always ``PALETTE.left`` (blue) and right ``PALETTE.right``
(orange); the midline (trunk, pelvis)
``PALETTE.centre_chart``. Values as measured (raw) are thin dotted lines under
the smoothed ones. The current frame, when given, is a
vertical line across every panel (:func:`with_cursor`), added to a figure that
is otherwise cached, so moving the frame slider only moves that line.

One module per concern, all re-exported here (``charts.angles_figure``):

- :mod:`.layout`: template, layout, units, :data:`GRAPH_CONFIG`, thinning, titles;
- :mod:`.cursor`: the current frame on a cached figure (cursor line, path dots);
- :mod:`.clip`: one clip's angles, joint paths, symmetry and repetitions;
- :mod:`.sessions`: two clips compared, and progress across sessions;
- :mod:`.followed`: who is followed while a clip is analysed.
"""

from dashboard.charts.clip import (
    angles_figure,
    example_angles_figure,
    joint_path_figure,
    repetitions_figure,
    symmetry_figure,
)
from dashboard.charts.cursor import LinkedFigure, path_points, with_cursor, with_markers
from dashboard.charts.followed import followed_svg
from dashboard.charts.layout import (
    CURSOR_COLOUR,
    DEGREES,
    GRAPH_CONFIG,
    LEGEND_GAP_PX,
    LEGEND_ON_TOP,
    MAX_POINTS,
    MODEBAR,
    MODEBAR_MARGIN_PX,
    PANEL_HEIGHT,
    TEMPLATE,
    TIME,
    decimate,
    finish,
    group_by_joint,
    joint_of,
    side_name,
    thin,
    title_of,
)
from dashboard.charts.sessions import (
    comparison_figure,
    progress_figure,
    progress_points,
    repetition_comparison_figure,
)

__all__ = [
    "CURSOR_COLOUR",
    "DEGREES",
    "GRAPH_CONFIG",
    "LEGEND_GAP_PX",
    "LEGEND_ON_TOP",
    "MAX_POINTS",
    "MODEBAR",
    "MODEBAR_MARGIN_PX",
    "PANEL_HEIGHT",
    "TEMPLATE",
    "TIME",
    "LinkedFigure",
    "angles_figure",
    "example_angles_figure",
    "comparison_figure",
    "decimate",
    "finish",
    "followed_svg",
    "group_by_joint",
    "joint_of",
    "joint_path_figure",
    "path_points",
    "progress_figure",
    "progress_points",
    "repetition_comparison_figure",
    "repetitions_figure",
    "side_name",
    "symmetry_figure",
    "thin",
    "title_of",
    "with_cursor",
    "with_markers",
]
