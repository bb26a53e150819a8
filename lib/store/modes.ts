import { MODES, modeOf, type Mode } from './keys';

/**
 * Items grouped by mode, test before live, leaving out a mode with none: the background functions
 * (consumer, worker, fan-out, dispatcher) hand each group to that mode's services.
 */
export function groupByMode<T>(items: readonly T[], livemodeOf: (item: T) => boolean): [Mode, T[]][] {
  return MODES.map((mode): [Mode, T[]] => [mode, items.filter((item) => modeOf(livemodeOf(item)) === mode)]).filter(([, group]) => group.length > 0);
}

/**
 * Whether a queue message names live mode (`"livemode": true`). Anything else, a malformed body
 * included, goes to test mode, whose parser then refuses what is no message at all.
 */
export function messageIsLive(body: string): boolean {
  try {
    return (JSON.parse(body) as { livemode?: unknown } | null)?.livemode === true;
  } catch {
    return false;
  }
}
