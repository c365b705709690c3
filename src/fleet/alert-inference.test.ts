/**
 * bash's check, host and recovery rules (bash-mesh-behavior.md §9), matched as whole words: the
 * false positives bash had ("storage" → rag, "https" → tts, "unresolved" → recovery) are gone, the
 * matches bash meant are kept.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertSummary, firstIpv4, inferCheck, inferHost, isRecoveryText } from './alert-inference.ts';

test('check inference: bash\'s rules in bash\'s order, as whole words', () => {
  const cases: [string, string][] = [
    ['HTTP probe of 10.0.0.5 failed', 'gateway'],
    ['http_probe failed for agent-b', 'gateway'],
    ['https health probes failing', 'gateway'],
    ['Gateway not answering', 'gateway'],
    ['port 18789 refused', 'gateway'],
    ['agent-b:18789 refused', 'gateway'],
    ['RAG service down', 'rag'],
    ['rag_api slow', 'rag'],
    ['Service agent-b:8900 is down', 'rag'],
    ['BlueBubbles disconnected', 'bluebubbles'],
    ['iMessage bridge down', 'bluebubbles'],
    ['TTS failing', 'tts'],
    [':9802 refused', 'tts'],
    ['image-gen queue stuck', 'image_gen'],
    ['image generation failed', 'image_gen'],
    ['flux OOM', 'image_gen'],
    ['whisper slow', 'whisper'],
    ['STT errors', 'whisper'],
    ['gateway and rag both down', 'gateway'],
    ['rag down, then tts down', 'rag'],
  ];
  for (const [text, check] of cases) assert.equal(inferCheck(text), check, text);
});

test('check inference: words that merely contain a keyword do not match (bash\'s false positives)', () => {
  const none = [
    'storage almost full', 'average load 12', 'fragment count high', 'Paragraph parser crashed', 'https://api.example.com 503',
    'settings reloaded', 'port 18900 refused', 'port 89000', 'fluxion capacitor', 'whispering gallery', 'last stop', 'gatewayd restarted',
    'httpd probe', 'images generated',
  ];
  for (const text of none) assert.equal(inferCheck(text), 'unknown', text);
});

test('http…probe must be on one line, http first', () => {
  assert.equal(inferCheck('http check\nprobe failed'), 'unknown');
  assert.equal(inferCheck('probe failed over http'), 'unknown');
  assert.equal(inferCheck('first line\nhttp probe failed'), 'gateway');
});

test('recovery words, whole words, not denied', () => {
  const yes = ['RESOLVED: gateway', 'gateway recovered', 'back online', 'back-online', 'back_online', 'backonline', 'is back up', 'came back',
    'came-back', '[Resolved] rag', 'not slow: recovered', 'Problem resolved', 'x\nrecovered'];
  const no = ['unresolved alert', 'not recovered', 'has not yet recovered', "hasn't been resolved", 'never came back', 'not back online',
    'un-resolved', 'back-up job failed', 'backup failed', 'recovery failed', 'is no longer resolved', 'irrecoverable'];
  for (const t of yes) assert.equal(isRecoveryText(t), true, t);
  for (const t of no) assert.equal(isRecoveryText(t), false, t);
  assert.equal(isRecoveryText('not recovered, but rag resolved'), true, 'one undenied recovery word is enough');
  assert.equal(isRecoveryText('not\nrecovered'), true, 'a denial on the previous line does not count');
});

test('the first IPv4 address: whole dotted quads only', () => {
  assert.equal(firstIpv4('gateway on 10.0.0.5.'), '10.0.0.5');
  assert.equal(firstIpv4('a:10.0.0.7:8900'), '10.0.0.7');
  assert.equal(firstIpv4('999.1.1.1 then 192.168.1.20'), '192.168.1.20');
  assert.equal(firstIpv4('v1.2.3.4.5'), null);
  assert.equal(firstIpv4('10.0.0.256'), null);
  assert.equal(firstIpv4('010.0.0.1'), null);
  assert.equal(firstIpv4('no address'), null);
});

test('inferHost maps the address through the lookup and falls back when there is none', () => {
  const at = (ip: string): string | null => (ip === '10.0.0.5' ? 'beta' : ip === '10.0.0.9' ? 'bad name!' : null);
  assert.equal(inferHost('10.0.0.5 down', at), 'beta');
  assert.equal(inferHost('10.0.0.6 down', at), '10.0.0.6');
  assert.equal(inferHost('10.0.0.9 down', at), '10.0.0.9', 'a registry name unusable as a key part is not used');
  assert.equal(inferHost('down', at), 'unknown');
  assert.equal(inferHost('down', at, 'gamma'), 'gamma');
});

test('only the first 8 KiB of a text are read', () => {
  const pad = 'x '.repeat(5000);
  assert.equal(inferCheck(`${pad}rag`), 'unknown');
  assert.equal(isRecoveryText(`${pad}recovered`), false);
  assert.equal(firstIpv4(`${pad}10.0.0.5`), null);
});

test('the summary is the first non-blank line, flattened and bounded', () => {
  assert.equal(alertSummary('\n \n  disk\tfull \u0007 on beta \nsecond line'), 'disk full   on beta');
  const long = alertSummary('a'.repeat(500));
  assert.equal(long.length, 200);
  assert.ok(long.endsWith('…'));
  assert.equal(alertSummary(''), '');
});
