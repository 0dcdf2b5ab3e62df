// An Open311 GeoReport v2 client (plain fetch) against the gateway's /open311/v2/: the service
// list in JSON and XML, a public report posted with a demo channel's API key, listed with the
// standard filters, read by id and by token, and the GeoReport errors for bad input — in both
// formats.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { useStack } from './support/stack.mjs';
import { childText, childrenNamed, parseXml, record } from './support/xml.mjs';

const stack = await useStack();
const base = `${stack.baseUrl}/open311/v2`;
const CREATED = [200, 201]; // GeoReport v2 does not say which a new request answers

async function get(pathAndQuery) {
  const res = await fetch(`${base}/${pathAndQuery}`);
  return { res, body: await res.text() };
}

async function post(file, fields) {
  const res = await fetch(`${base}/${file}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { res, body: await res.text() };
}

function json({ res, body }, statuses = [200]) {
  assert.ok(statuses.includes(res.status), `HTTP ${res.status}: ${body}`);
  assert.match(res.headers.get('content-type') ?? '', /json/);
  return JSON.parse(body);
}

function xml({ res, body }, statuses = [200]) {
  assert.ok(statuses.includes(res.status), `HTTP ${res.status}: ${body}`);
  assert.match(res.headers.get('content-type') ?? '', /xml/);
  return parseXml(body);
}

// A GeoReport error answer: HTTP status one of `statuses`, the same code in the body, a
// description naming `field`.
function assertJsonError(answer, statuses, field) {
  assert.ok(statuses.includes(answer.res.status), `HTTP ${answer.res.status} is one of ${statuses}: ${answer.body}`);
  const errors = JSON.parse(answer.body);
  assert.ok(Array.isArray(errors) && errors.length >= 1, `an array of errors: ${answer.body}`);
  assert.equal(Number(errors[0].code), answer.res.status);
  assert.match(errors[0].description, new RegExp(field), `the description names ${field}`);
}

function assertXmlError(answer, statuses, field) {
  assert.ok(statuses.includes(answer.res.status), `HTTP ${answer.res.status} is one of ${statuses}: ${answer.body}`);
  assert.match(answer.res.headers.get('content-type') ?? '', /xml/);
  const root = parseXml(answer.body);
  assert.equal(root.name, 'errors');
  const [error] = childrenNamed(root, 'error');
  assert.ok(error, `an <error>: ${answer.body}`);
  assert.equal(Number(childText(error, 'code')), answer.res.status);
  assert.match(childText(error, 'description'), new RegExp(field), `the description names ${field}`);
}

describe('Open311 GeoReport v2', () => {
  let apiKey;
  let channel;
  let services;
  let building;
  let posted; // the JSON POST's answer

  before(async () => {
    const keys = await stack.open311Keys();
    channel = 'web' in keys ? 'web' : Object.keys(keys)[0];
    apiKey = keys[channel];
    assert.ok(apiKey, 'the run command wrote a demo API key');
  });

  test('lists the public hazard categories as services in JSON and XML', async () => {
    services = json(await get('services.json'));
    assert.ok(Array.isArray(services) && services.length >= 3, 'several public services');
    for (const s of services) {
      assert.ok(s.service_code && s.service_name, `a service has a code and a name: ${JSON.stringify(s)}`);
      assert.ok(['realtime', 'batch', 'blackbox'].includes(s.type), `type ${s.type}`);
    }
    const root = xml(await get('services.xml'));
    assert.equal(root.name, 'services');
    const codes = childrenNamed(root, 'service').map((s) => childText(s, 'service_code'));
    assert.deepEqual(codes, services.map((s) => s.service_code));
    const names = childrenNamed(root, 'service').map((s) => childText(s, 'service_name'));
    assert.deepEqual(names, services.map((s) => s.service_name));
  });

  test('posts a public report at a registered building and reads it back by id, filters and token', async () => {
    const code = services[0].service_code;
    const list = await stack.ctlJson(['buildings', 'list', '--tier', '500109002', '--all']);
    // A building with no open hazard of this category: the report is matched to it, not kept as
    // a duplicate.
    let open = [];
    try {
      open = (await stack.ctlJson(['hazards', 'list', '--tier', '500109002', '--category', code, '--all'])).hazards ?? [];
    } catch {
      // the service code is not a category label firegridctl knows: any building will do
    }
    const busy = new Set(open.filter((h) => !['closed', 'rejected'].includes(h.status)).map((h) => h.building_id));
    building = list.buildings.find((b) => !busy.has(b.building_id) && b.location);
    assert.ok(building, 'a demo building to report at');
    const description = `楼道堆放杂物 <堵塞> & 无人清理 ${Date.now()}`;
    const answer = json(
      await post('requests.json', {
        api_key: apiKey,
        service_code: code,
        lat: String(building.location.latitude),
        long: String(building.location.longitude),
        description,
        first_name: '明',
        last_name: '李',
        phone: '13800000000',
      }),
      CREATED,
    );
    assert.ok(Array.isArray(answer) && answer.length === 1, JSON.stringify(answer));
    posted = answer[0];
    const id = posted.service_request_id;
    assert.ok(id, 'the request has an id');

    // The hazards service has it: a public tip-off of this channel with the point given, at
    // the building or kept unmatched for the street officer to match.
    const hazard = await stack.ctlJson(['hazards', 'get', id]);
    assert.match(String(hazard.source), /public_tip_off/i);
    assert.equal(hazard.channel, channel);
    assert.ok(
      hazard.building_id === building.building_id || (hazard.unmatched === true && !hazard.building_id),
      `matched to the building or unmatched: ${hazard.building_id} unmatched=${hazard.unmatched}`,
    );
    assert.ok(Math.abs(hazard.location.latitude - building.location.latitude) < 1e-6);
    assert.match(hazard.tier_path, /^500109/);

    const byId = json(await get(`requests/${id}.json?api_key=${apiKey}`));
    assert.equal(byId.length, 1);
    assert.equal(byId[0].service_request_id, id);
    assert.equal(byId[0].service_code, code);
    assert.equal(byId[0].status, 'open');
    assert.equal(byId[0].description, description);
    assert.ok(Math.abs(Number(byId[0].lat) - building.location.latitude) < 1e-6);
    assert.ok(Math.abs(Number(byId[0].long) - building.location.longitude) < 1e-6);
    assert.ok(!JSON.stringify(byId).includes('13800000000'), 'the contact stays confidential');

    const rootById = xml(await get(`requests/${id}.xml?api_key=${apiKey}`));
    assert.equal(rootById.name, 'service_requests');
    const xmlRecord = record(childrenNamed(rootById, 'request')[0]);
    assert.equal(xmlRecord.service_request_id, id);
    assert.equal(xmlRecord.status, 'open');
    assert.equal(xmlRecord.description, description, 'special characters and Chinese survive the XML');

    const since = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const ids = (answer2) => answer2.map((r) => r.service_request_id);
    const q = (extra) => `requests.json?api_key=${apiKey}&${extra}`;
    assert.ok(ids(json(await get(q(`service_request_id=${id}`)))).includes(id));
    assert.ok(ids(json(await get(q(`service_code=${code}&status=open&start_date=${since}`)))).includes(id));
    assert.ok(!ids(json(await get(q(`status=closed&start_date=${since}`)))).includes(id), 'not among the closed');
    const other = services.find((s) => s.service_code !== code).service_code;
    assert.ok(!ids(json(await get(q(`service_code=${other}&start_date=${since}`)))).includes(id), 'not under another service');
    const listXml = xml(await get(`requests.xml?api_key=${apiKey}&service_request_id=${id}`));
    assert.deepEqual(childrenNamed(listXml, 'request').map((r) => childText(r, 'service_request_id')), [id]);

    if (posted.token) {
      const byToken = json(await get(`tokens/${encodeURIComponent(posted.token)}.json?api_key=${apiKey}`));
      assert.equal(byToken[0].service_request_id, id);
      assert.equal(byToken[0].token, posted.token);
      const tokenXml = xml(await get(`tokens/${encodeURIComponent(posted.token)}.xml?api_key=${apiKey}`));
      assert.equal(record(childrenNamed(tokenXml, 'request')[0]).service_request_id, id);
    } else {
      assert.fail('the POST answer has no token to look up');
    }
  });

  test('posts a report by address in XML, kept unmatched, and gets the answer in XML', async () => {
    const code = services[services.length - 1].service_code;
    const root = xml(
      await post('requests.xml', {
        api_key: apiKey,
        service_code: code,
        address_string: '重庆市北碚区天生街道天生路 2 号',
        description: `电动自行车楼道充电 ${Date.now()}`,
      }),
      CREATED,
    );
    assert.equal(root.name, 'service_requests');
    const req = record(childrenNamed(root, 'request')[0]);
    assert.ok(req.service_request_id, 'an id in the XML answer');
    const back = json(await get(`requests/${req.service_request_id}.json?api_key=${apiKey}`));
    assert.equal(back[0].service_code, code);
    assert.equal(back[0].address, '重庆市北碚区天生街道天生路 2 号');
    // An address without a point matches no building: the street officer matches it later.
    const hazard = await stack.ctlJson(['hazards', 'get', req.service_request_id]);
    assert.equal(hazard.unmatched, true);
    assert.equal(hazard.channel, channel);
  });

  const cases = [
    {
      name: 'a missing api_key',
      statuses: [400, 403],
      field: 'api_key',
      fields: () => ({ service_code: services[0].service_code, lat: '29.8', long: '106.4', description: 'x' }),
    },
    {
      name: 'an unknown service_code',
      statuses: [400, 404],
      field: 'service_code',
      fields: () => ({ api_key: apiKey, service_code: 'no_such_service', lat: '29.8', long: '106.4', description: 'x' }),
    },
    {
      name: 'a latitude out of range',
      statuses: [400],
      field: 'lat',
      fields: () => ({ api_key: apiKey, service_code: services[0].service_code, lat: '95.5', long: '106.4', description: 'x' }),
    },
  ];
  for (const c of cases) {
    test(`refuses ${c.name} with a GeoReport error in JSON and XML`, async () => {
      assertJsonError(await post('requests.json', c.fields()), c.statuses, c.field);
      assertXmlError(await post('requests.xml', c.fields()), c.statuses, c.field);
    });
  }

  test('answers an unknown request id with a GeoReport 404 in JSON and XML', async () => {
    assertJsonError(await get(`requests/hzd_00000000000000000000000000.json?api_key=${apiKey}`), [404], 'service_request_id|not found');
    assertXmlError(await get(`requests/hzd_00000000000000000000000000.xml?api_key=${apiKey}`), [404], 'service_request_id|not found');
  });
});
