// The openclaw.json a test gateway runs with. Keys were checked against openclaw@2026.9.6
// (`openclaw config validate` and node_modules/openclaw/docs: gateway/config-hooks.md,
// gateway/local-models.md, tools/exec.md, gateway/config-agents/workspace-and-bootstrap.md,
// logging.md, gateway/config-runtime.md).

export interface FakeProvider {
  /** Base URL ending in `/v1`. */
  baseUrl: string;
  apiKey: string;
  modelId: string;
}

export interface GatewayConfigInput {
  port: number;
  gatewayToken: string;
  hookToken: string;
  model: FakeProvider;
  workspaceDir: string;
  /** OpenClaw's own JSONL log file. */
  logFile: string;
  /** Directories put first on PATH for the agent's `exec` tool. */
  pathPrepend?: string[];
  /** `hooks.mappings` entries (see reference/openclaw-hooks.md §1). */
  hookMappings?: unknown[];
}

/** Provider id under `models.providers`; the agent's model ref is `<id>/<modelId>`. */
export const FAKE_PROVIDER_ID = 'fake';

export function buildGatewayConfig(input: GatewayConfigInput): Record<string, unknown> {
  const exec: Record<string, unknown> = {};
  if (input.pathPrepend && input.pathPrepend.length > 0) exec['pathPrepend'] = input.pathPrepend;
  return {
    gateway: {
      mode: 'local',
      port: input.port,
      bind: 'loopback',
      auth: { mode: 'token', token: input.gatewayToken },
    },
    hooks: {
      enabled: true,
      token: input.hookToken,
      path: '/hooks',
      allowRequestSessionKey: true,
      allowedSessionKeyPrefixes: ['hook:'],
      ...(input.hookMappings ? { mappings: input.hookMappings } : {}),
    },
    models: {
      mode: 'merge',
      providers: {
        [FAKE_PROVIDER_ID]: {
          baseUrl: input.model.baseUrl,
          apiKey: input.model.apiKey,
          api: 'openai-completions',
          models: [{
            id: input.model.modelId,
            name: 'Scripted fake model',
            reasoning: false,
            input: ['text'],
            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
            contextWindow: 128_000,
            maxTokens: 4096,
          }],
        },
      },
    },
    agents: {
      defaults: {
        model: { primary: `${FAKE_PROVIDER_ID}/${input.model.modelId}` },
        workspace: input.workspaceDir,
        // Do not seed AGENTS.md/SOUL.md/BOOTSTRAP.md: the test decides what the workspace holds.
        skipBootstrap: true,
      },
    },
    tools: { exec },
    logging: { file: input.logFile },
    // The browser control service would also listen on port + 2; tests do not need it.
    browser: { enabled: false },
    // No network calls to the update/telemetry service from tests.
    update: { checkOnStart: false },
  };
}

/** Deep merge for test overrides: plain objects merge, everything else (arrays too) replaces. */
export function mergeConfig(base: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(extra)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
