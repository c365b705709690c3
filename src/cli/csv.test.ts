import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, csvRow } from './csv.ts';

test('csvCell quotes only when needed and doubles quotes', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('two\nlines'), '"two\nlines"');
  assert.equal(csvCell('cr\rhere'), '"cr\rhere"');
  assert.equal(csvCell(null), '');
  assert.equal(csvCell(true), 'true');
});

test('csvCell guards formula-like cells for spreadsheets unless turned off', () => {
  for (const s of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx']) assert.equal(csvCell(s), `'${s}`);
  assert.equal(csvCell('=A1,B1'), '"\'=A1,B1"');
  assert.equal(csvCell('=1+1', { formulaGuard: false }), '=1+1');
  assert.equal(csvCell('a=b'), 'a=b');
});

test('csvRow joins with commas and ends with CRLF', () => {
  assert.equal(csvRow(['a', 'b,c', null]), 'a,"b,c",\r\n');
});
