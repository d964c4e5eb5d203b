"""An Open311 client that speaks FixMyStreet's wire format (perllib/Open311.pm of
mysociety/fixmystreet), for fixmystreet.test.mjs. Standard library only; run with
/usr/bin/python3.

What it sends, as FixMyStreet's client does:
- reads: GET {endpoint}{path}?...&jurisdiction_id=J (Open311::_get, LWP::Simple: no Accept
  header), on services.xml, services/CODE.xml, requests.xml (service_request_id=a,b) and
  servicerequestupdates.xml (api_key, start_date, end_date as W3C date-times);
- send_service_request: POST requests.xml, application/x-www-form-urlencoded
  (HTTP::Request::Common POST), fields jurisdiction_id, api_key, service_code, description
  (FixMyStreet's extended description: title, detail and the report URL), first_name,
  last_name, email, phone, lat, long (6 decimals, Utils::truncate_coordinate), media_url,
  and attribute[NAME] for each extra field, as cobrands send them (title, description,
  report_url, fixmystreet_id); with upload_files the same fields as multipart/form-data
  with the photos as files photo1, photo2, ...;
- post_service_request_update: POST servicerequestupdates.xml with jurisdiction_id, api_key,
  updated_datetime (DateTime::Format::W3CDTF), service_request_id, status (OPEN or CLOSED;
  the extended statuses with extended_statuses), description, first_name, last_name,
  email, update_id, media_url (the comment's photo), and Bromley's email_alerts_requested
  and title;
- answers parsed as XML::Simple with ForceArray does: request[0].service_request_id,
  request_update[0].update_id; an HTTP error is a failure with the error document's text.

Usage: fms_client.py BASE_URL API_KEY COMMAND JSON_ARGS; prints one JSON object: the
result and the exact fields sent."""
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

JURISDICTION = 'chicago'


class Open311:
    def __init__(self, endpoint, api_key):
        self.endpoint = endpoint.rstrip('/') + '/'
        self.api_key = api_key
        self.sent = None

    # -- transport (Open311::_request) --

    def _get(self, path, params=None):
        params = dict(params or {})
        params['jurisdiction_id'] = JURISDICTION
        url = self.endpoint + path + '?' + urllib.parse.urlencode(params)
        self.sent = {'method': 'GET', 'url': url}
        req = urllib.request.Request(url, headers={'User-Agent': 'libwww-perl/6.68'})
        return self._fetch(req)

    def _post(self, path, params, uploads=None):
        params = dict(params)
        params['jurisdiction_id'] = JURISDICTION
        params['api_key'] = self.api_key
        url = self.endpoint + path
        if uploads:
            boundary = 'xYzZY' + uuid.uuid4().hex
            body = b''
            for k, v in params.items():
                body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                         .encode() + str(v).encode() + b'\r\n')
            for k, (name, ctype, data) in uploads.items():
                body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; '
                         f'filename="{name}"\r\nContent-Type: {ctype}\r\n\r\n').encode()
                body += data + b'\r\n'
            body += f'--{boundary}--\r\n'.encode()
            ctype = f'multipart/form-data; boundary={boundary}'
        else:
            body = urllib.parse.urlencode(params).encode()
            ctype = 'application/x-www-form-urlencoded'
        self.sent = {'method': 'POST', 'url': url, 'content_type': ctype.split(';')[0],
                     'fields': params, 'files': sorted(uploads or {})}
        req = urllib.request.Request(url, data=body, method='POST', headers={
            'Content-Type': ctype, 'User-Agent': 'libwww-perl/6.68'})
        return self._fetch(req)

    @staticmethod
    def _fetch(req):
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read().decode('utf-8')
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode('utf-8')

    @staticmethod
    def _xml(text):
        """XML::Simple with ForceArray: every element a list of dicts or a text."""
        def conv(el):
            if len(el) == 0:
                return el.text or ''
            out = {}
            for c in el:
                out.setdefault(c.tag, []).append(conv(c))
            return out
        return conv(ET.fromstring(text))

    @staticmethod
    def _error(status, text):
        try:
            errs = Open311._xml(text).get('error', [])
            return f'{status}: ' + '; '.join(f"{e['code'][0]}: {e['description'][0]}" for e in errs)
        except ET.ParseError:
            return f'{status}: {text[:200]}'

    # -- the calls FixMyStreet makes --

    def get_service_list(self):
        status, text = self._get('services.xml')
        return self._xml(text) if status == 200 else {'error': self._error(status, text)}

    def get_service_meta_info(self, code):
        status, text = self._get(f'services/{code}.xml')
        return self._xml(text) if status == 200 else {'error': self._error(status, text)}

    def send_service_request(self, problem, photos=None):
        params = {
            'description': f"{problem['title']}\n\n{problem['detail']}\n\n{problem['url']}\n",
            'service_code': problem['service_code'],
            'first_name': problem['first_name'],
            'last_name': problem['last_name'],
            'email': problem['email'],
            'lat': '%.6f' % problem['lat'],
            'long': '%.6f' % problem['long'],
        }
        if problem.get('phone'):
            params['phone'] = problem['phone']
        if problem.get('image_url'):
            params['media_url'] = problem['image_url']
        for name, value in problem.get('extra', {}).items():
            params[f'attribute[{name}]'] = value
        uploads = None
        if photos:
            uploads = {f'photo{i + 1}': (f'photo{i + 1}.jpeg', 'image/jpeg', open(p, 'rb').read())
                       for i, p in enumerate(photos)}
        status, text = self._post('requests.xml', params, uploads)
        if status != 200:
            return {'error': self._error(status, text)}
        obj = self._xml(text)
        return {'service_request_id': obj['request'][0]['service_request_id'][0]}

    def post_service_request_update(self, comment, extended_statuses=False):
        status = comment['status']
        if not extended_statuses:
            status = 'OPEN' if status in ('OPEN', 'REOPEN') else 'CLOSED'
        params = {
            'updated_datetime': comment['confirmed'],
            'service_request_id': comment['external_id'],
            'status': status,
            'description': comment['text'],
            'last_name': comment['last_name'] or '-',
            'first_name': comment['first_name'],
            'email': comment['email'],
            'update_id': comment['id'],
        }
        if comment.get('photo_url'):
            params['media_url'] = comment['photo_url']
        if comment.get('title'):
            params['email_alerts_requested'] = 'FALSE'
            params['title'] = comment['title']
        code, text = self._post('servicerequestupdates.xml', params)
        if code != 200:
            return {'error': self._error(code, text)}
        obj = self._xml(text)
        return {'update_id': obj['request_update'][0]['update_id'][0]}

    def get_service_request_updates(self, start, end):
        status, text = self._get('servicerequestupdates.xml',
                                 {'api_key': self.api_key, 'start_date': start, 'end_date': end})
        if status != 200:
            return {'error': self._error(status, text)}
        return {'updates': self._xml(text).get('request_update', [])}

    def get_service_requests(self, ids):
        status, text = self._get('requests.xml', {'service_request_id': ','.join(ids)})
        if status != 200:
            return {'error': self._error(status, text)}
        return {'requests': self._xml(text).get('request', [])}


def main():
    base, key, command, args = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    c = Open311(base + '/open311/v2/', key)
    if command == 'services':
        result = c.get_service_list()
    elif command == 'meta':
        result = c.get_service_meta_info(args['code'])
    elif command == 'send':
        result = c.send_service_request(args['problem'], args.get('photos'))
    elif command == 'update':
        result = c.post_service_request_update(args['comment'], args.get('extended', False))
    elif command == 'updates':
        result = c.get_service_request_updates(args['start'], args['end'])
    elif command == 'requests':
        result = c.get_service_requests(args['ids'])
    else:
        raise SystemExit(f'unknown command {command}')
    print(json.dumps({'result': result, 'sent': c.sent}))


if __name__ == '__main__':
    main()
