/** What the bench's call counters share: a resettable tally and the SDK middleware that feeds it. */

/** Adds `by` to `record[key]`. */
export const bump = (record: Record<string, number>, key: string, by = 1) => (record[key] = (record[key] ?? 0) + by);

/** A tally that starts empty, can be reset, and is read as a copy. */
export abstract class Tally<T> {
  tally: T;

  constructor(private readonly empty: () => T) {
    this.tally = empty();
  }

  reset(): void {
    this.tally = this.empty();
  }

  snapshot(): T {
    return structuredClone(this.tally);
  }
}

export type CallInput = Record<string, any>;
export type CallOutput = Record<string, any>;

/** What a counter does with each call: `start` before it is sent, then `ok` or `failed` with what `start` returned. */
export interface CallCounter<C = undefined> {
  start?(operation: string, input: CallInput): C;
  ok(operation: string, input: CallInput, output: CallOutput, call: C): void;
  failed(operation: string, input: CallInput, error: unknown, call: C): void;
}

type Handler = (args: { input: object }) => Promise<{ output: unknown }>;

/** An SDK client (DynamoDB, document client, SQS): only its middleware stack is used. */
interface Instrumentable {
  middlewareStack: {
    add(middleware: (next: Handler, context: { commandName?: string }) => Handler, options: { step: 'initialize'; name: string }): void;
  };
}

/**
 * Installs `counter` on `client` as middleware named `name`, so that every call is seen,
 * including failed ones. `consumedCapacity` asks DynamoDB for each call's ConsumedCapacity.
 */
export function countCalls<C = undefined>(client: Instrumentable, name: string, counter: CallCounter<C>, { consumedCapacity = false } = {}): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as CallInput;
      if (consumedCapacity) input.ReturnConsumedCapacity ??= 'TOTAL';
      const call = counter.start?.(operation, input) as C;
      try {
        const result = await next(args);
        counter.ok(operation, input, result.output as CallOutput, call);
        return result;
      } catch (error) {
        counter.failed(operation, input, error, call);
        throw error;
      }
    },
    { step: 'initialize', name },
  );
}
