// Made-up data for `node dev/server.mjs --fixtures`: enough of each API the console calls to
// work on its pages without the services. Not a model of the services' rules. FIXTURE_LOG=<file>
// appends each API request (path and JSON body) to the file, e.g. to check them against the
// protos.
let seq = 100;
const now = () => new Date().toISOString();
const streams = new Set();

const buildings = [
  { buildingId: 'bld_1', name: '缙云大厦', address: '北碚区云清路 1 号', tierPath: '500109001001',
    location: { latitude: 29.8255, longitude: 106.4370 }, use: 'BUILDING_USE_OFFICE', heightM: 80,
    buildingClass: 'BUILDING_CLASS_I', fireAccessCompliant: false,
    responsibility: { filingState: 'FILING_STATE_FILED', chain: { managementUnit: '缙云物业', responsiblePerson: { name: '张三' } } },
    fireLanes: [{ laneId: 'north', name: '北侧车道', clearWidthM: 3.5, marking: { linesPainted: true }, occupied: true }],
    facilities: [{ kind: 'FACILITY_KIND_INDOOR_HYDRANT', status: 'FACILITY_STATUS_NORMAL' }] },
  { buildingId: 'bld_2', name: '天生苑 3 栋', address: '北碚区天生路 88 号', tierPath: '500109001002',
    location: { latitude: 29.8310, longitude: 106.4290 }, use: 'BUILDING_USE_RESIDENTIAL', heightM: 54,
    buildingClass: 'BUILDING_CLASS_II', fireAccessCompliant: true, threeNos: true,
    responsibility: { filingState: 'FILING_STATE_MISSING' } },
  { buildingId: 'bld_3', name: '北碚医院住院楼', address: '北碚区中山路 20 号', tierPath: '500109002001',
    location: { latitude: 29.8120, longitude: 106.4020 }, use: 'BUILDING_USE_HOSPITAL', heightM: 45,
    buildingClass: 'BUILDING_CLASS_I', fireAccessCompliant: true,
    responsibility: { filingState: 'FILING_STATE_LATE' } },
];

const hazard = (id, b, status, category, extra = {}) => ({
  hazardId: id, buildingId: b.buildingId, buildingName: b.name, tierPath: b.tierPath, category,
  severity: 'SEVERITY_GENERAL', source: 'SOURCE_GRID_INSPECTION', description: `${b.name}：${category}`,
  status, version: '1', reportedAt: now(), overdue: false,
  routing: { leadDepartments: ['urban_management'], assistingDepartments: ['fire_rescue'] },
  assignment: {}, audit: [{ at: now(), actor: 'user:worker.001001', role: 'community_worker', action: 'report',
    from: 'STATUS_UNSPECIFIED', to: 'STATUS_REPORTED', note: '' }], ...extra,
});
const hazards = [
  hazard('hzd_1', buildings[0], 'STATUS_REPORTED', 'HAZARD_CATEGORY_FIRE_ACCESS_OCCUPIED'),
  hazard('hzd_2', buildings[1], 'STATUS_ASSIGNED', 'HAZARD_CATEGORY_FIRE_ACCESS_UNMARKED', {
    assignment: { responsibleParty: '天生物业', deadline: new Date(Date.now() + 5 * 864e5).toISOString(),
      supervisingDepartment: 'urban_management' } }),
  hazard('hzd_3', buildings[2], 'STATUS_RECTIFYING', 'HAZARD_CATEGORY_EVACUATION_BLOCKED', { overdue: true }),
];

const notifications = [
  { notificationId: 'ntf_1', recipient: 'org:500109001001', cursor: '1', kind: 'KIND_HAZARD_TASK',
    title: '新隐患：消防车通道被占用', body: '缙云大厦北侧车道被车辆占用', hazardId: 'hzd_1',
    createdAt: now(), requiresAck: true, read: false, acknowledged: false },
];

const statsRow = (key, open, overdue) => ({ key, open, overdue, closed: 3, closedOnTime: 2, reported: 1, rejected: 0,
  rectificationRate: Math.round((3 / (open + 3)) * 1000) / 10 });
const counts = { buildings: 3, superHighRise: 0, classI: 2, classIi: 1, notHighRise: 0, responsibilityFiled: 1,
  filingPending: 0, filingLate: 1, filingMissing: 1, withLanes: 1, lanesMarked: 0, withIndoorHydrants: 1,
  indoorHydrantsWithWater: 1, fireAccessNonCompliant: 1, threeNos: 1, oldResidential: 0,
  responsibilityFiledPct: 33.3, lanesMarkedPct: 0, indoorHydrantsWithWaterPct: 100, filedLate: 0 };

function act(method, req) {
  const h = hazards.find((x) => x.hazardId === req.hazardId);
  if (!h) return [404, { code: 'NOT_FOUND', message: `hazard ${req.hazardId}` }];
  const to = { VerifyHazard: 'STATUS_VERIFIED', RejectHazard: 'STATUS_REJECTED', AssignHazard: 'STATUS_ASSIGNED',
    StartRectification: 'STATUS_RECTIFYING', SubmitRectification: 'STATUS_SUBMITTED',
    ReviewRectification: req.passed ? 'STATUS_CLOSED' : 'STATUS_RECTIFYING' }[method];
  if (method === 'RejectHazard' && !req.reason) return [400, { code: 'INVALID_ARGUMENT', message: 'reason: required' }];
  if (method === 'SubmitRectification' && !(req.evidence || []).length) {
    return [400, { code: 'INVALID_ARGUMENT', message: 'evidence: at least one' }];
  }
  if (method === 'AssignHazard') h.assignment = { responsibleParty: req.responsibleParty, deadline: req.deadline,
    supervisingDepartment: 'urban_management' };
  h.audit.push({ at: now(), actor: 'user:dev', role: 'district_admin', action: method, from: h.status, to,
    note: req.note || req.reason || '' });
  h.status = to;
  h.version = String(Number(h.version) + 1);
  return [200, h];
}

const rpc = {
  ListInbox: () => ({ notifications, unread: notifications.filter((n) => !n.read).length }),
  Acknowledge: (r) => {
    const n = notifications.find((x) => x.notificationId === r.notificationId);
    Object.assign(n, { acknowledged: true, read: true, acknowledgedAt: now(), acknowledgedBy: 'user:dev',
      acknowledgementNote: r.note || '' });
    return n;
  },
  MarkRead: (r) => Object.assign(notifications.find((x) => x.notificationId === r.notificationId), { read: true }),
  ReportHazard: (r) => {
    const b = buildings.find((x) => x.buildingId === r.buildingId);
    if (!b) return [404, { code: 'NOT_FOUND', message: 'building not known to the hazards service' }];
    const h = hazard(`hzd_${++seq}`, b, 'STATUS_REPORTED', r.category, { description: r.description, evidence: r.evidence });
    hazards.push(h);
    return { hazard: h, message: 'reported' };
  },
  GetHazard: (r) => hazards.find((h) => h.hazardId === r.hazardId) || [404, { code: 'NOT_FOUND', message: 'no such hazard' }],
  ListHazards: (r) => ({ hazards: hazards.filter((h) => (!r.statuses || r.statuses.includes(h.status)) &&
    (!r.buildingId || h.buildingId === r.buildingId) && (!r.overdue || h.overdue)) }),
  GetGuidance: (r) => ({ category: r.category, title: '消防车通道占用处置', usualDeadlineDays: 7,
    steps: ['现场核实并拍照', '通知管理单位清理', '复查并销号'] }),
  GetStatistics: () => ({ tierPath: '500109', generatedAt: now(), totals: statsRow('500109', 9, 2),
    byTier: [statsRow('500109001', 6, 1), statsRow('500109002', 3, 1)],
    byDepartment: [statsRow('urban_management', 5, 1), statsRow('fire_rescue', 4, 1)] }),
  GetStatisticsTrend: () => ({ tierPath: '500109', days: Array.from({ length: 14 }, (_, i) => ({
    date: new Date(Date.now() - (13 - i) * 864e5).toISOString().slice(0, 10),
    totals: statsRow('500109', 5 + (i % 5), i % 3) })) }),
  ListOrgUnits: () => ({ orgUnits: [{ code: '500109001', name: '天生街道' }, { code: '500109002', name: '北温泉街道' }] }),
  GetPlanOverview: () => ({ tasks: 35, completed: 10, overdue: 2, departments: [
    { department: 'urban_management', tasks: 6, completed: 2, overdue: 1, averageProgressPercent: 55.5 },
    { department: 'streets', tasks: 12, completed: 4, overdue: 0, averageProgressPercent: 40 }] }),
  ListPlanTasks: () => ({ tasks: [{ number: 1, title: '建立高层建筑户籍化台账', deadline: '2026-12-31', progressPercent: 60 }] }),
  GetLedger: (r) => ({ tierPath: r.tierPath || '500109001', name: '天生街道', generatedAt: now(), totals: counts,
    rows: [{ tierPath: '500109001001', name: '云清社区', counts }] }),
  ListBuildings: () => ({ buildings }),
  GetBuilding: (r) => buildings.find((b) => b.buildingId === r.buildingId) || [404, { code: 'NOT_FOUND', message: 'no such building' }],
  FindNearby: () => ({ results: [{ distanceM: 120, hydrant: { hydrantId: 'hyd_1', status: 'HYDRANT_STATUS_IN_SERVICE' } }] }),
  ImportBuildingsCsv: (r) => ({ rows: Math.max(0, r.content.trim().split('\n').length - 1), imported: 0,
    errors: [{ line: 3, column: 'height_m', message: 'must be a number' }], encoding: 'UTF-8' }),
  GetProfile: (r) => ({ subject: { subjectId: r.subjectId, name: '缙云物业' }, score: 92, level: 'LEVEL_A',
    rulesVersion: 'v1', updatedAt: now() }),
  ListLedger: (r) => ({ records: [{ recordId: `${r.subjectId}#1`, seq: '1', kind: 'RECORD_KIND_SCORE', delta: -8,
    scoreAfter: 92, levelAfter: 'LEVEL_A', at: now(), cause: { description: '消防车通道被占用', hazardId: 'hzd_1' } }] }),
  ListRanking: () => ({ subjects: [{ rank: '1', subjectId: 's1', name: '某建材公司', score: 55, level: 'LEVEL_D', blacklisted: false }] }),
  ListBlacklist: () => ({ entries: [{ entryId: 's1#bl1', subjectId: 's1', subjectName: '某建材公司',
    state: 'BLACKLIST_STATE_PROPOSED', reason: '信用等级降为 D', objectionDeadline: now() }] }),
  ListAlarms: () => ({ alarms: [{ alarmId: 'alm_1', deviceId: 'bb0001-fap', type: 'ALARM_TYPE_FIRE',
    severity: 'ALARM_SEVERITY_CRITICAL', state: 'ALARM_STATE_ACTIVE_UNACK', buildingId: 'bld_1',
    buildingName: '缙云大厦', raisedAt: now(), floor: '12', point: '东侧', version: '1' }] }),
  AcknowledgeAlarm: (r) => ({ ...rpc.ListAlarms().alarms[0], alarmId: r.alarmId, state: 'ALARM_STATE_ACTIVE_ACK', version: '2' }),
  ChangePassword: () => ({ user: { username: 'new', mustChangePassword: false } }),
  BeginTotpEnrolment: () => ({ secretBase32: 'JBSWY3DPEHPK3PXP', otpauthUri: 'otpauth://totp/firegrid:new?secret=JBSWY3DPEHPK3PXP' }),
  ConfirmTotpEnrolment: () => ({ username: 'new', totpEnrolled: true }),
  ClearAlarm: (r) => ({ ...rpc.ListAlarms().alarms[0], alarmId: r.alarmId, state: 'ALARM_STATE_CLEARED_ACK', version: '3' }),
};
for (const m of ['VerifyHazard', 'RejectHazard', 'AssignHazard', 'StartRectification', 'SubmitRectification',
  'ReviewRectification']) rpc[m] = (r) => act(m, r);

function body(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

function json(res, status, value) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(value));
}

function sse(n) {
  return `id: cursor=${n.cursor}\nevent: notification\ndata: ${JSON.stringify(n)}\n\n`;
}

export async function handle(req, res) {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/api/v1/auth/config') {
    return json(res, 200, process.env.FIXTURE_TILES ? { mode: 'built_in', tokenSignIn: true, tiles: '/api/dev/tiles/{z}/{x}/{y}.svg' }
      : { mode: 'built_in', tokenSignIn: true });
  }
  // Development only: tiles that show their own coordinates (FIXTURE_TILES=1).
  const tile = /^\/api\/dev\/tiles\/(\d+)\/(\d+)\/(\d+)\.svg$/.exec(url.pathname);
  if (tile) {
    res.writeHead(200, { 'Content-Type': 'image/svg+xml' });
    return res.end(`<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256"><rect width="256" height="256" fill="#e6eef2" stroke="#b0bec5"/><text x="8" y="20" font-size="12" fill="#78909c">${tile[1]}/${tile[2]}/${tile[3]}</text></svg>`);
  }
  if (url.pathname === '/api/v1/auth/token-session') return json(res, 200, {});
  if (url.pathname === '/api/v1/auth/refresh') return json(res, 401, { code: 'UNAUTHENTICATED', message: 'no refresh in fixtures' });
  if (url.pathname === '/api/v1/auth/sign-out') return json(res, 200, {});
  // Sign-in: "demo" with the password "demo-password-1" and any 6 digits gets a district admin's
  // (unsigned) token; "new" gets the first sign-in's enrolment steps.
  if (url.pathname === '/api/v1/auth/sign-in') {
    const r = JSON.parse((await body(req)).toString() || '{}');
    if (r.username === 'new') {
      return json(res, 200, { passwordChangeRequired: true, totpEnrolmentRequired: true, enrolmentToken: 'enrol' });
    }
    if (r.username === 'demo' && r.password === 'demo-password-1' && /^\d{6}$/.test(r.totpCode || '')) {
      const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const claims = { sub: 'user:demo', role: 'district_admin', org_unit: '500109', tier_path: '500109',
        exp: Math.floor(Date.now() / 1000) + 900 };
      return json(res, 200, { accessToken: `${b64({ alg: 'none' })}.${b64(claims)}.x`, user: { username: 'demo' } });
    }
    return json(res, 401, { code: 'UNAUTHENTICATED', message: 'invalid credentials or locked' });
  }
  if (url.pathname === '/api/v1/evidence') {
    const b = await body(req);
    return json(res, 200, { uri: `sha256:${'0'.repeat(64)}`, size: b.length, mediaType: req.headers['content-type'] });
  }
  if (url.pathname === '/api/v1/events') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const after = Number((req.headers['last-event-id'] || '').split('=')[1] || 0);
    for (const n of notifications) if (Number(n.cursor) > after) res.write(sse(n));
    res.write('event: caught_up\ndata: true\n\n');
    const beat = setInterval(() => res.write(': heartbeat\n\n'), 15000);
    streams.add(res);
    req.on('close', () => {
      clearInterval(beat);
      streams.delete(res);
    });
    return undefined;
  }
  // Development only: POST /api/dev/push {title, hazardId} adds a notification and streams it.
  if (url.pathname === '/api/dev/push') {
    const r = JSON.parse((await body(req)).toString() || '{}');
    const n = { notificationId: `ntf_${++seq}`, recipient: 'org:500109001001', cursor: String(notifications.length + 1),
      kind: 'KIND_HAZARD_TASK', title: r.title || '新任务', body: '', hazardId: r.hazardId || 'hzd_1',
      createdAt: now(), requiresAck: true, read: false, acknowledged: false };
    notifications.push(n);
    for (const s of streams) s.write(sse(n));
    return json(res, 200, n);
  }
  const m = /^\/api\/v1\/[\w.]+\/(\w+)$/.exec(url.pathname);
  if (req.method === 'POST' && m && rpc[m[1]]) {
    if (!req.headers.authorization) return json(res, 401, { code: 'UNAUTHENTICATED', message: 'no token' });
    const text = (await body(req)).toString();
    if (process.env.FIXTURE_LOG) {
      const { appendFileSync } = await import('node:fs');
      appendFileSync(process.env.FIXTURE_LOG, `${JSON.stringify({ path: url.pathname, body: text ? JSON.parse(text) : {} })}\n`);
    }
    const out = rpc[m[1]](text ? JSON.parse(text) : {});
    return Array.isArray(out) ? json(res, out[0], out[1]) : json(res, 200, out);
  }
  return json(res, 404, { code: 'NOT_FOUND', message: `no such method ${url.pathname}` });
}
