/**
 * The typed `phase` annotations of the trackers, described by one table per tracker: for each
 * phase name, its detail fields and their types. The table is both the TypeScript type (DetailOf)
 * and the check that captures read from disk must pass before a record counts as that phase
 * (phase-annotation.ts), so the two cannot drift apart.
 */

/** What a detail field may hold: the capture format stores detail values as JSON primitives. */
export type DetailValue = string | number | boolean;

/**
 * A detail field's type: a primitive (`?` when the field may be absent) or one of listed strings.
 * The key `*` with `'primitive'` admits further fields of any name (a SASL mechanism's own fields).
 */
export type FieldSpec = 'string' | 'number' | 'boolean' | 'string?' | 'number?' | 'boolean?' | 'primitive' | readonly [string, ...string[]];

/** The detail fields of one phase. */
export type DetailSpec = Readonly<Record<string, FieldSpec>>;

/** One tracker's phases: name to detail fields. */
export type PhaseSpecs = Readonly<Record<string, DetailSpec>>;

type FieldType<F> = F extends 'string' | 'string?' ? string
  : F extends 'number' | 'number?' ? number
    : F extends 'boolean' | 'boolean?' ? boolean
      : F extends readonly (infer E)[] ? E : never;
type OptionalKeys<S> = { [K in keyof S]: S[K] extends `${string}?` ? K : never }[keyof S];
type RequiredKeys<S> = Exclude<keyof S, OptionalKeys<S> | '*'>;
type Fields<S> = { [K in RequiredKeys<S>]: FieldType<S[K]> } & { [K in OptionalKeys<S>]?: FieldType<S[K]> };

/** The detail object a spec describes; with `*`, other fields of any name as well. */
export type DetailOf<S> = S extends { '*': 'primitive' } ? Fields<S> & Record<string, DetailValue> : Fields<S>;

/** The annotation of phase `P` of a tracker's table. */
export interface PhaseOf<Specs extends PhaseSpecs, P extends keyof Specs & string> {
  kind: 'phase';
  phase: P;
  detail: DetailOf<Specs[P]>;
}

/** Every phase annotation of a tracker's table, as a union discriminated by `phase`. */
export type PhaseAnnotationOf<Specs extends PhaseSpecs> = { [P in keyof Specs & string]: PhaseOf<Specs, P> }[keyof Specs & string];

/** A tracker's phase constructor: the detail must be the one its table gives that phase. */
export function phaseMaker<Specs extends PhaseSpecs>(): <P extends keyof Specs & string>(phase: P, detail: DetailOf<Specs[P]>) => PhaseOf<Specs, P> {
  return (phase, detail) => ({ kind: 'phase', phase, detail });
}

function isValue(v: unknown): v is DetailValue {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function fits(spec: FieldSpec, v: unknown): boolean {
  if (typeof spec !== 'string') return typeof v === 'string' && spec.includes(v);
  if (spec.endsWith('?') && v === undefined) return true;
  if (spec === 'primitive') return isValue(v);
  return typeof v === spec.replace('?', '') && isValue(v);
}

/**
 * The JSON-primitive fields of a detail read from disk (others dropped: no nested objects reach a
 * consumer), and whether every field the spec names has its type. Fields the spec does not name
 * are kept: a later version may add some, and the text views print them.
 */
export function checkedDetail(spec: DetailSpec, value: unknown): { detail: Record<string, DetailValue>; fits: boolean } {
  const detail: Record<string, DetailValue> = {};
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) if (isValue(v)) detail[k] = v;
  }
  const ok = (typeof value === 'object' || value === undefined) && !Array.isArray(value)
    && Object.entries(spec).every(([k, f]) => k === '*' || fits(f, detail[k]));
  return { detail, fits: ok };
}
