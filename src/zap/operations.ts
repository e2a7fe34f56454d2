/**
 * An operation is one file in triggers/, creates/ or searches/: its definition as the default
 * export, and beside it what docs/operations.md says of it. `requests` and `cannot` stay outside
 * the definition, whose schema refuses keys it does not know. The folder's index.ts registers
 * the module, and `npm run docs` (scripts/ops-table.ts) reads them from there.
 */
export interface OperationModule {
  default: { key: string };
  /** Requests one run makes, per path (the unit tests pin each request). */
  requests: string;
  /** What the operation cannot do, where that is worth saying. */
  cannot?: string;
}

/** A folder's definitions by key, typed per key. */
export type ByKey<M extends readonly OperationModule[]> = {
  [O in M[number] as O['default']['key']]: O['default'];
};

/** The definitions of a folder's operation modules, by key; a key used twice is an error. */
export const byKey = <M extends readonly OperationModule[]>(modules: M): ByKey<M> => {
  const out: Record<string, OperationModule['default']> = {};
  for (const { default: definition } of modules) {
    if (definition.key in out) throw new Error(`Two operations have the key ${definition.key}.`);
    out[definition.key] = definition;
  }
  return out as ByKey<M>;
};
