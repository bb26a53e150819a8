/** A local EventBridge schedule: runs a task every `intervalMs`, never two runs at once. */
export interface LocalScheduleOptions {
  /** Milliseconds between the end of one run and the start of the next; 0 disables the timer. */
  intervalMs: number;
  run: () => Promise<unknown>;
  /** A failed run is reported here; the next run goes ahead (as with EventBridge). */
  onError: (error: unknown) => void;
}

/**
 * Runs the task once at start (catching up on work that fell due while the stack was down) and
 * then every interval. Unlike EventBridge, runs never overlap: locally that only adds noise.
 */
export class LocalSchedule {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: LocalScheduleOptions) {}

  start(): void {
    if (this.options.intervalMs > 0 && !this.stopped && !this.timer && !this.current) this.tick();
  }

  /** True while a run is in progress. */
  get busy(): boolean {
    return this.current !== undefined;
  }

  private tick(): void {
    this.timer = undefined;
    this.current = this.options
      .run()
      .then(() => undefined, this.options.onError)
      .finally(() => {
        this.current = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
      });
  }

  /** Cancels the next run and waits for the one in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.current;
  }
}
