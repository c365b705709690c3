/** config/mesh.json `fleet` and `retention.incidentsDays`: defaults, ranges, and the cross-key rule. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMeshError } from '../protocol/errors.ts';
import { defaultNodeConfig, parseNodeConfig } from './node-config.ts';

const refused = (raw: unknown, field: string): void => {
  assert.throws(() => parseNodeConfig(raw), (e) => isMeshError(e) && e.code === 'CONFIG_INVALID' && e.message.includes(`"${field}"`), JSON.stringify(raw));
};

test('fleet defaults: a 30 min window, the 3rd alert escalates, 7 days to quiet, daemon de-duplication off', () => {
  assert.deepEqual(defaultNodeConfig().fleet, {
    dedupWindowMs: 1_800_000, dedupEscalateAt: 3, incidentQuietResolveMs: 604_800_000, dedupAlerts: false,
  });
  assert.equal(defaultNodeConfig().retention.incidentsDays, 30);
  assert.deepEqual(parseNodeConfig({}).fleet, defaultNodeConfig().fleet);
});

test('fleet keys are read and validated', () => {
  const c = parseNodeConfig({
    fleet: { dedupWindowMs: 600_000, dedupEscalateAt: 2, incidentQuietResolveMs: 86_400_000, dedupAlerts: true },
    retention: { incidentsDays: 90 },
  });
  assert.deepEqual(c.fleet, { dedupWindowMs: 600_000, dedupEscalateAt: 2, incidentQuietResolveMs: 86_400_000, dedupAlerts: true });
  assert.equal(c.retention.incidentsDays, 90);
  refused({ fleet: { dedupWindowMs: 999 } }, 'fleet.dedupWindowMs');
  refused({ fleet: { dedupWindowMs: '30m' } }, 'fleet.dedupWindowMs');
  refused({ fleet: { dedupEscalateAt: 1 } }, 'fleet.dedupEscalateAt');
  refused({ fleet: { dedupAlerts: 'yes' } }, 'fleet.dedupAlerts');
  refused({ fleet: { dedupWindow: 1000 } }, 'fleet.dedupWindow');
  refused({ fleet: [] }, 'fleet');
  refused({ retention: { incidentsDays: 0 } }, 'retention.incidentsDays');
  refused({ fleet: { dedupWindowMs: 7_200_000, incidentQuietResolveMs: 3_600_000 } }, 'fleet.incidentQuietResolveMs');
});
