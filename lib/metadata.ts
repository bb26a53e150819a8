import { InvalidRequestError } from './errors';
import { mergeMetadata, METADATA_LIMITS, type Metadata, type MetadataUpdate } from './domain/metadata';

export type { Metadata, MetadataUpdate };

/** Applies a metadata update to existing metadata (at most 50 keys in the result). */
export function applyMetadata(current: Metadata, update: MetadataUpdate | undefined): Metadata {
  const next = mergeMetadata(current, update);
  if (Object.keys(next).length > METADATA_LIMITS.keys) {
    throw new InvalidRequestError(`Metadata can have at most ${METADATA_LIMITS.keys} keys`, 'metadata');
  }
  return next;
}
