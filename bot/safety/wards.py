"""Which ward a point is in: point-in-polygon over data/ward_boundaries.geojson."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import List, Optional, Sequence, Tuple

from bot.core.paths import DATA

Ring = Sequence[Sequence[float]]  # [[lon, lat], ...] as GeoJSON writes them


def on_edge(lon: float, lat: float, ring: Ring) -> bool:
    return any(
        min(x1, x2) <= lon <= max(x1, x2) and min(y1, y2) <= lat <= max(y1, y2)
        and abs((x2 - x1) * (lat - y1) - (y2 - y1) * (lon - x1)) < 1e-12
        for (x1, y1), (x2, y2) in zip(ring, list(ring[1:]) + [ring[0]])
    )


def inside(lon: float, lat: float, ring: Ring) -> bool:
    """Ray casting; a point on the border counts as inside."""
    if on_edge(lon, lat, ring):
        return True
    result = False
    for (x1, y1), (x2, y2) in zip(ring, list(ring[1:]) + [ring[0]]):
        if (y1 > lat) != (y2 > lat) and lon < (x2 - x1) * (lat - y1) / (y2 - y1) + x1:
            result = not result
    return result


@lru_cache(maxsize=1)
def boundaries() -> List[Tuple[str, List[List[Ring]]]]:
    """(unit, polygons), each polygon an outer ring and its holes."""
    data = json.loads((DATA / "ward_boundaries.geojson").read_text(encoding="utf-8"))
    result = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        result.append((feature["properties"]["unit"], polygons))
    return result


def ward_at(latitude: float, longitude: float) -> Optional[str]:
    """The unit whose ward contains the point (the first listed, on a shared border), or None."""
    for unit, polygons in boundaries():
        for outer, *holes in polygons:
            in_hole = any(inside(longitude, latitude, h) and not on_edge(longitude, latitude, h) for h in holes)
            if inside(longitude, latitude, outer) and not in_hole:
                return unit
    return None

