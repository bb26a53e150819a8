/** Stripe's metadata: string keys and values an integration attaches to an object. */
export type Metadata = Record<string, string>;

/** What a `metadata` parameter asks for: the keys to set and the keys to unset. */
export interface MetadataUpdate {
  set: Metadata;
  unset: string[];
  clear: boolean;
}

/** Stripe's limits: 50 keys of at most 40 characters, values of at most 500. */
export const METADATA_LIMITS = { keys: 50, keyLength: 40, valueLength: 500 } as const;

/** Metadata after an update (possibly more keys than allowed: the caller checks). */
export function mergeMetadata(current: Metadata, update: MetadataUpdate | undefined): Metadata {
  if (!update) return current;
  const next: Metadata = update.clear ? {} : { ...current };
  for (const k of update.unset) delete next[k];
  Object.assign(next, update.set);
  return next;
}
