import test from 'node:test';
import assert from 'node:assert/strict';
import { allowedHazardActions } from '../src/hazard_actions.js';

const hazard = (status, extra = {}) => ({
  hazardId: 'hzd_1', status,
  routing: { leadDepartments: ['urban_management'], assistingDepartments: ['fire_rescue'] },
  assignment: { supervisingDepartment: 'urban_management', responsibleSubject: 'user:mgr' },
  buildingSubjects: ['user:owner'],
  audit: [],
  ...extra,
});
const who = (role, extra = {}) => ({ subject: `user:${role}`, role, department: '', ...extra });
const dept = (slug) => who('department_officer', { department: slug, subject: `user:${slug}` });

test('a lead department verifies, rejects and assigns; an assisting one does not', () => {
  assert.deepEqual(allowedHazardActions(dept('urban_management'), hazard('STATUS_REPORTED')),
    ['verify', 'reject']);
  assert.deepEqual(allowedHazardActions(dept('urban_management'), hazard('STATUS_VERIFIED')),
    ['assign']);
  assert.deepEqual(allowedHazardActions(dept('fire_rescue'), hazard('STATUS_REPORTED')), []);
});

test('a grid worker starts and submits but never verifies or reviews', () => {
  const w = who('community_worker');
  assert.deepEqual(allowedHazardActions(w, hazard('STATUS_REPORTED')), []);
  assert.deepEqual(allowedHazardActions(w, hazard('STATUS_ASSIGNED')), ['start']);
  assert.deepEqual(allowedHazardActions(w, hazard('STATUS_RECTIFYING')), ['submit']);
  assert.deepEqual(allowedHazardActions(w, hazard('STATUS_SUBMITTED')), []);
});

test('a building manager acts only on hazards that name it', () => {
  assert.deepEqual(allowedHazardActions(who('building_manager', { subject: 'user:mgr' }),
    hazard('STATUS_ASSIGNED')), ['start']);
  assert.deepEqual(allowedHazardActions(who('building_manager', { subject: 'user:owner' }),
    hazard('STATUS_RECTIFYING')), ['submit']);
  assert.deepEqual(allowedHazardActions(who('building_manager', { subject: 'user:other' }),
    hazard('STATUS_ASSIGNED')), []);
});

test('the supervising department reviews, but not the one who submitted', () => {
  const submitted = hazard('STATUS_SUBMITTED', {
    audit: [{ action: 'submit', actor: 'user:street_officer' }] });
  assert.deepEqual(allowedHazardActions(dept('urban_management'), submitted), ['review']);
  assert.deepEqual(allowedHazardActions(dept('fire_rescue'), submitted), []);
  assert.deepEqual(allowedHazardActions(who('street_officer'), submitted), []);
  assert.deepEqual(allowedHazardActions(who('district_admin'), submitted), ['review']);
});

test('district admins and street officers may take each step in its state', () => {
  for (const role of ['district_admin', 'street_officer']) {
    const p = who(role);
    assert.deepEqual(allowedHazardActions(p, hazard('STATUS_REPORTED')), ['verify', 'reject']);
    assert.deepEqual(allowedHazardActions(p, hazard('STATUS_VERIFIED')), ['assign']);
    assert.deepEqual(allowedHazardActions(p, hazard('STATUS_ASSIGNED')), ['start']);
    assert.deepEqual(allowedHazardActions(p, hazard('STATUS_RECTIFYING')), ['submit']);
    assert.deepEqual(allowedHazardActions(p, hazard('STATUS_CLOSED')), []);
    assert.deepEqual(allowedHazardActions(p, hazard('STATUS_REJECTED')), []);
  }
});

test('nothing is offered on a duplicate or to roles without hazard actions', () => {
  assert.deepEqual(allowedHazardActions(who('district_admin'),
    hazard('STATUS_REPORTED', { duplicateOf: 'hzd_0' })), []);
  assert.deepEqual(allowedHazardActions(who('micro_station'), hazard('STATUS_ASSIGNED')), []);
  assert.deepEqual(allowedHazardActions(null, hazard('STATUS_REPORTED')), []);
});

test('an unmatched public report is matched or rejected by the street or district, nothing else', () => {
  const report = hazard('STATUS_REPORTED', { unmatched: true, buildingId: '', routing: {} });
  assert.deepEqual(allowedHazardActions(who('street_officer'), report), ['match', 'reject']);
  assert.deepEqual(allowedHazardActions(who('district_admin'), report), ['match', 'reject']);
  assert.deepEqual(allowedHazardActions(who('community_worker'), report), []);
  assert.deepEqual(allowedHazardActions(dept('urban_management'), report), []);
  assert.deepEqual(allowedHazardActions(who('street_officer'), hazard('STATUS_REPORTED')), ['verify', 'reject']);
});
