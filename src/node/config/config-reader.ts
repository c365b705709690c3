/**
 * Reads one config/mesh.json value at a time against its rule: a default when absent, a
 * ConfigInvalid MeshError naming the file, the key path and what it must be otherwise.
 */
import { MeshError, MeshErrorCode } from '../../protocol/errors.ts';

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class Reader {
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }
  fail(path: string, want: string): never {
    throw new MeshError(MeshErrorCode.ConfigInvalid, `${this.file}: "${path}" must be ${want}`);
  }
  /** The section `key` of `root` (null when absent); a key not in `known` is an error (a typo must not fall back to a default). */
  section(root: Obj, key: string, known: readonly string[]): Obj | null {
    const v = root[key];
    if (v === undefined || v === null) return null;
    if (!isObj(v)) this.fail(key, 'an object');
    for (const k of Object.keys(v)) if (!known.includes(k)) this.fail(`${key}.${k}`, `one of the known keys (${known.join(', ')})`);
    return v;
  }
  int(o: Obj | null, sect: string, key: string, dflt: number, min: number, max: number): number {
    const v = o?.[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(`${sect}.${key}`, `an integer ${min}..${max}`);
    return v;
  }
  str(o: Obj | null, sect: string, key: string, dflt: string): string {
    const v = o?.[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'string' || v.length === 0) this.fail(`${sect}.${key}`, 'a non-empty string');
    return v;
  }
  bool(o: Obj | null, sect: string, key: string, dflt: boolean): boolean {
    const v = o?.[key];
    if (v === undefined) return dflt;
    if (typeof v !== 'boolean') this.fail(`${sect}.${key}`, 'true or false');
    return v;
  }
  strings(o: Obj | null, sect: string, key: string, dflt: string[]): string[] {
    const v = o?.[key];
    if (v === undefined) return dflt;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(`${sect}.${key}`, 'an array of strings');
    return v as string[];
  }
}
