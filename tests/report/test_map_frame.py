"""The network map's frame: every point inside, never a thin strip, always on the globe."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from supplylab.report.maps import MAX_ASPECT, MIN_ASPECT, extent_of

lon = st.floats(-180, 180, allow_nan=False)
lat = st.floats(-85, 85, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(lon, lat), min_size=1, max_size=8))
def test_frame_holds_the_points_at_a_readable_aspect(points: list[tuple[float, float]]) -> None:
    lons, lats = (np.array(v, dtype=float) for v in zip(*points, strict=True))
    x0, x1, y0, y1 = extent_of(lons, lats)
    assert -180 <= x0 <= lons.min() and lons.max() <= x1 <= 180
    assert -90 <= y0 <= lats.min() and lats.max() <= y1 <= 90
    aspect = (x1 - x0) * max(math.cos(math.radians((y0 + y1) / 2)), 0.2) / (y1 - y0)
    # only a frame as tall or as wide as the globe may stay outside the bounds
    whole_lat, whole_lon = y1 - y0 >= 180 - 1e-9, x1 - x0 >= 360 - 1e-9
    assert aspect <= MAX_ASPECT * 1.001 or whole_lat
    assert aspect >= MIN_ASPECT * 0.999 or whole_lon


def test_two_continents_are_not_a_strip() -> None:
    """US sites and a Chinese factory: 270 degrees of longitude, 10 of latitude."""
    x0, x1, y0, y1 = extent_of(np.array([-118.2, -87.6, -74.0, 121.5]),
                               np.array([34.05, 41.88, 40.71, 31.2]))
    assert y1 - y0 > 60
