// The tests' XML reader reads well-formed GeoReport answers and refuses malformed ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { childText, childrenNamed, parseXml, record } from './xml.mjs';

test('reads elements, entities and Chinese text of a GeoReport answer', () => {
  const root = parseXml(
    '<?xml version="1.0" encoding="utf-8"?>\n<service_requests><request>' +
      '<service_request_id>hz_1</service_request_id><description>通道 &lt;堵塞&gt; &amp; &#x4E00;&#20108;</description>' +
      '<media_url/></request></service_requests>',
  );
  assert.equal(root.name, 'service_requests');
  const [req] = childrenNamed(root, 'request');
  assert.equal(childText(req, 'service_request_id'), 'hz_1');
  assert.deepEqual(record(req), { service_request_id: 'hz_1', description: '通道 <堵塞> & 一二', media_url: '' });
});

test('refuses XML that is not well-formed', () => {
  for (const bad of [
    '<errors><error></errors>',
    '<a>x & y</a>',
    '<a>&nbsp;</a>',
    '<a></a><b></b>',
    '<a b=c></a>',
    '<a>',
    '',
  ]) {
    assert.throws(() => parseXml(bad), /XML/, bad);
  }
});
