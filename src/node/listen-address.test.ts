import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHostAddress, isLoopbackHost, listenHostFor } from './listen-address.ts';

test('loopback addresses: all of 127/8, ::1, IPv4-mapped loopback and localhost; nothing else', () => {
  for (const h of ['127.0.0.1', '127.4.5.6', '::1', '[::1]', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) assert.equal(isLoopbackHost(h), true, h);
  for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'fd00::2', 'localhost.example.com', '127.example']) assert.equal(isLoopbackHost(h), false, h);
});

test('--ip values: IP literals and DNS names pass; broken dotted quads and junk are refused', () => {
  for (const v of ['10.0.0.12', '::1', '[fd00::2]', 'mesh-a.example.com', 'host1', 'localhost']) assert.equal(isHostAddress(v), true, v);
  for (const v of ['999.1.1.1', '1.2.3', '', 'a b', 'http://x', '-bad.example', 'x'.repeat(254), '10.0.0.1:80']) assert.equal(isHostAddress(v), false, v);
});

test('serve listens on the address peers connect to when this host has it, else on all interfaces', () => {
  const local = ['127.0.0.1', '10.1.2.3', 'fd00::2', '::1'];
  assert.deepEqual(listenHostFor('10.1.2.3', local), { host: '10.1.2.3', allInterfaces: false });
  assert.deepEqual(listenHostFor('FD00::2', local), { host: 'fd00::2', allInterfaces: false });
  assert.deepEqual(listenHostFor('127.0.0.1', local), { host: '127.0.0.1', allInterfaces: false });
  // Every 127.x address is this host's, listed on lo or not.
  assert.deepEqual(listenHostFor('127.0.0.9', local), { host: '127.0.0.9', allInterfaces: false });
  assert.deepEqual(listenHostFor('[::1]', local), { host: '::1', allInterfaces: false });
  assert.deepEqual(listenHostFor('localhost', local), { host: '127.0.0.1', allInterfaces: false });
  // A NAT'ed public address or a DNS name cannot be bound here: its traffic arrives on some interface.
  assert.deepEqual(listenHostFor('203.0.113.9', local), { host: '0.0.0.0', allInterfaces: true });
  assert.deepEqual(listenHostFor('mesh-a.example.com', local), { host: '0.0.0.0', allInterfaces: true });
  assert.deepEqual(listenHostFor('2001:db8::5', local), { host: '::', allInterfaces: true });
});
