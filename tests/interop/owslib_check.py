"""OWSLib (Debian python3-owslib) against meldpunt's OGC API - Features, driven by
owslib.test.mjs: python3 owslib_check.py BASE_URL. Asserts what OWSLib itself can check
and prints one JSON object of what it read, for the node test to compare with the
server's own API. Exit status 0 only when everything held."""
import json
import sys

from owslib.ogcapi.features import Features

CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84'
EPSG4326 = 'http://www.opengis.net/def/crs/EPSG/0/4326'
EPSG26916 = 'http://www.opengis.net/def/crs/EPSG/0/26916'


def main(base):
    w = Features(base + '/ogc')
    out = {}
    # The API definition through the landing page's service-desc link (OWSLib refused
    # with "Did not find service-desc link" before).
    api = w.api()
    assert api['openapi'].startswith('3.0'), api.get('openapi')
    out['paths'] = sorted(api['paths'])
    out['conformsTo'] = w.conformance()['conformsTo']
    out['collections'] = w.feature_collections()
    coll = w.collection('reports')
    assert CRS84 in coll['crs'] and EPSG4326 in coll['crs'], coll['crs']
    q = w.collection_queryables('reports')
    out['queryables'] = sorted(q['properties'])
    assert 'pothole' in q['properties']['category']['enum']

    # Property filters and a box, as OWSLib passes them (query parameters).
    page = w.collection_items('reports', limit=1000, category='pothole',
                              bbox=[-87.70, 41.85, -87.60, 41.95])
    out['potholes_in_box'] = page['numberMatched']
    assert page['numberReturned'] == len(page['features'])
    for f in page['features']:
        assert f['properties']['category'] == 'pothole'
        lon, lat = f['geometry']['coordinates']
        assert -87.70 <= lon <= -87.60 and 41.85 <= lat <= 41.95, (lon, lat)
    # datetime intervals and the status filter.
    page = w.collection_items('reports', limit=1, status='new',
                              datetime='2021-01-02T00:00:00Z/..')
    out['new_since_jan2'] = page['numberMatched']

    # Coordinates in another CRS: EPSG:4326 is latitude first, the city's CRS in metres.
    one = w.collection_items('reports', limit=1)['features'][0]
    lat_first = w.collection_items('reports', limit=1, crs=EPSG4326)['features'][0]
    lon, lat = one['geometry']['coordinates']
    assert lat_first['geometry']['coordinates'] == [lat, lon], lat_first['geometry']
    utm = w.collection_items('reports', limit=1, crs=EPSG26916)['features'][0]
    x, y = utm['geometry']['coordinates']
    assert 400000 < x < 460000 and 4600000 < y < 4660000, (x, y)
    out['utm_first'] = [x, y]
    # Paging to the end with next links, at the largest page.
    seen, url_page = 0, w.collection_items('reports', limit=10000)
    seen += url_page['numberReturned']
    out['all_reports'] = seen
    out['all_matched'] = url_page['numberMatched']
    # A single item.
    out['item5'] = w.collection_item('reports', '5')['id']
    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1])
