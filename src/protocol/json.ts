/**
 * JSON values as MESH handles them. Objects may be plain objects or Maps: a Map keeps every key in
 * insertion order (including integer-like keys such as "2", which plain JS objects reorder), which is
 * what byte-exact jq compatibility needs. The order-preserving parser in canonical-json.ts produces Maps.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject | JsonMap;
export interface JsonObject {
  [key: string]: JsonValue;
}
export type JsonMap = Map<string, JsonValue>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Map);
}

/** Reads a property from either object representation. */
export function getField(v: JsonValue | undefined, key: string): JsonValue | undefined {
  if (v instanceof Map) return v.get(key);
  if (isJsonObject(v)) return Object.hasOwn(v, key) ? v[key] : undefined;
  return undefined;
}

/** Converts Maps to plain objects (for application logic; wire bytes must come from the ordered form). */
export function toPlain(v: JsonValue): JsonValue {
  if (v instanceof Map) {
    const out: JsonObject = {};
    for (const [k, val] of v) setOwn(out, k, toPlain(val));
    return out;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const [k, val] of Object.entries(v)) setOwn(out, k, toPlain(val));
    return out;
  }
  return v;
}

/**
 * `out[k] = v`, except that a key "__proto__" (legal in JSON, and JSON.parse makes it an own
 * property) stays an own property instead of replacing the object's prototype.
 */
function setOwn(out: JsonObject, k: string, v: JsonValue): void {
  if (k === '__proto__') Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  else out[k] = v;
}

/**
 * Why JSON.parse refused a text, without the text: V8 quotes the input in some messages
 * (`Unexpected token 's', "supersecret" is not valid JSON`), and config files hold tokens.
 */
export function jsonSyntaxReason(e: unknown): string {
  const message = e instanceof Error ? e.message : '';
  const at = /line (\d+) column (\d+)/.exec(message);
  return at ? `not valid JSON (line ${at[1]}, column ${at[2]})` : 'not valid JSON';
}
