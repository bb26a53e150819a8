import { HostedInvoices } from '../documents/hosted-invoices';
import type { Mode } from '../store/keys';
import type { ObjectStore } from '../store/objects';
import { objectStore, perMode, type Platform } from './platform';

/** Finalized invoices by their hosted token (a token names its mode), read from each mode's objects. */
export function hostedInvoicesOf(platform: Platform, stores: Record<Mode, ObjectStore> = perMode((mode) => objectStore(platform, mode))) {
  return new HostedInvoices(stores, platform.config.seller);
}
