import test from 'node:test';
import assert from 'node:assert/strict';
import { decodeCsv, recordStartLines } from '../src/csv.js';

test('a quoted field over two lines moves the next record down a line', () => {
  const text = 'name,address\n"A","1 Road"\n"B","2\nRoad"\n"C","3 Road"\n';
  assert.deepEqual(recordStartLines(text), [1, 2, 3, 5]);
});

test('CRLF, a byte-order mark, doubled quotes and a blank line are handled', () => {
  const text = '\uFEFFname,address\r\n"A ""x""",1\r\n\r\nB,2';
  assert.deepEqual(recordStartLines(text), [1, 2, 4]);
});

test('GB18030 bytes that are not UTF-8 are decoded as GB18030', () => {
  // "楼宇" in GB18030 is C2 A5 D3 EE: the first pair would read as UTF-8 "¥", the second is
  // not UTF-8, so the whole file is taken as GB18030.
  const gbk = Uint8Array.from([0xc2, 0xa5, 0xd3, 0xee, 0x2c, 0x41]);
  assert.equal(decodeCsv(gbk), '楼宇,A');
  assert.equal(decodeCsv(new TextEncoder().encode('楼宇,A')), '楼宇,A');
});
