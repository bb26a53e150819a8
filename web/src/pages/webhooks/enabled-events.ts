/** What an endpoint's `enabled_events` says, in words. */
export function enabledEventsText(types: readonly string[]): string {
  return types.includes('*') ? 'Every event type' : types.join(', ');
}

/** The types typed into a field, separated by commas or spaces: at least one. */
export function typesOf(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}
