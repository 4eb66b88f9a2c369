import { geoAlbersUsa, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import type { GeometryObject, Topology } from 'topojson-specification';
import states from 'us-atlas/states-albers-10m.json';

/** An offline map of the states (US Census shapes via us-atlas, already projected) with the points of a record's locations. */

const topology = states as unknown as Topology<{ states: GeometryObject }>;
const shapes = feature(topology, topology.objects.states);
const statePaths = 'features' in shapes ? shapes.features.map((f) => ({ id: String(f.id), d: geoPath()(f) ?? '' })) : [];
// The atlas is projected with this Albers USA (975 × 610): points must use the same.
const projection = geoAlbersUsa().scale(1300).translate([487.5, 305]);

export type MapPoint = { id: string; latitude: number | null; longitude: number | null; label: string; verified?: boolean };

export function MapView({ points, title }: { points: MapPoint[]; title: string }) {
  const placed = points
    .filter((p) => p.latitude !== null && p.longitude !== null)
    .map((p) => ({ ...p, xy: projection([p.longitude ?? 0, p.latitude ?? 0]) }))
    .filter((p) => p.xy);
  return (
    <svg
      className="map"
      viewBox="0 0 975 610"
      role="img"
      aria-label={`${title}: ${placed.length} location${placed.length === 1 ? '' : 's'} on a map of the United States`}
    >
      <title>{title}</title>
      {statePaths.map((s) => (
        <path key={s.id} d={s.d} className="state" />
      ))}
      {placed.map((p) => (
        <circle key={p.id} cx={p.xy?.[0]} cy={p.xy?.[1]} r={7} className={p.verified ? 'point verified' : 'point'}>
          <title>{p.label}</title>
        </circle>
      ))}
    </svg>
  );
}
