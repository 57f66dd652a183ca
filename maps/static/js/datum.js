// Datums for drawing: the storage datum (CGCS2000, equal to WGS84 at city scale)
// shifted into the datum of the basemap's tiles. Mirrors geogrid/datum.py
// (wgs84_to_gcj02 and its iterated inverse); the tests compare the two.

const A = 6378245.0;                 // Krasovsky 1940, as in the GCJ-02 formula
const EE = 0.00669342162296594323;
const PI = Math.PI;

/** True inside the coarse box in which GCJ-02 applies (mainland China). */
export function inChinaBbox(lon, lat) {
  return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

function delta(lon, lat) {
  const x = lon - 105.0;
  const y = lat - 35.0;
  const sx = Math.sqrt(Math.abs(x));
  const common = (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
  let dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common;
  dlat += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
  dlat += (160.0 * Math.sin(y / 12.0 * PI) + 320.0 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
  let dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common;
  dlon += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
  dlon += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
  const radlat = lat / 180.0 * PI;
  const magic = 1.0 - EE * Math.sin(radlat) ** 2;
  const sqrtmagic = Math.sqrt(magic);
  dlat = (dlat * 180.0) / ((A * (1.0 - EE)) / (magic * sqrtmagic) * PI);
  dlon = (dlon * 180.0) / (A / sqrtmagic * Math.cos(radlat) * PI);
  return inChinaBbox(lon, lat) ? [dlon, dlat] : [0.0, 0.0];
}

/** WGS84 lon/lat → GCJ-02 lon/lat (the forward formula). */
export function wgs84ToGcj02(lon, lat) {
  const [dlon, dlat] = delta(lon, lat);
  return [lon + dlon, lat + dlat];
}

/** GCJ-02 → WGS84 by fixed-point iteration (millimetres after a few passes). */
export function gcj02ToWgs84(lon, lat) {
  const [dlon, dlat] = delta(lon, lat);
  let wlon = lon - dlon;
  let wlat = lat - dlat;
  for (let i = 0; i < 30; i++) {
    const [flon, flat] = wgs84ToGcj02(wlon, wlat);
    const elon = flon - lon;
    const elat = flat - lat;
    wlon -= elon;
    wlat -= elat;
    if (Math.max(Math.abs(elon), Math.abs(elat)) < 1e-11) break;
  }
  return [wlon, wlat];
}

/** Storage lon/lat → the tiles' datum ("wgs84", "cgcs2000" or "gcj02"). */
export function fromStorage(lon, lat, datum) {
  if (datum === "gcj02") return wgs84ToGcj02(lon, lat);
  if (datum === "wgs84" || datum === "cgcs2000") return [lon, lat];
  throw new Error(`tiles in datum ${datum} are not supported`);
}

/** The tiles' datum → storage lon/lat (for clicks on the map). */
export function toStorage(lon, lat, datum) {
  if (datum === "gcj02") return gcj02ToWgs84(lon, lat);
  if (datum === "wgs84" || datum === "cgcs2000") return [lon, lat];
  throw new Error(`tiles in datum ${datum} are not supported`);
}

/** Leaflet GeoJSON options that draw storage-datum data on tiles in ``datum``. */
export function geoJsonShift(datum) {
  return {
    coordsToLatLng(c) {
      const [x, y] = fromStorage(c[0], c[1], datum);
      return L.latLng(y, x);
    },
  };
}

/** A Leaflet LatLng (in the tiles' datum) for storage lon/lat. */
export function latLng(lon, lat, datum) {
  const [x, y] = fromStorage(lon, lat, datum);
  return L.latLng(y, x);
}
