// Messages between the daemon and its TypeScript-script worker threads. A run carries every
// consecutive TypeScript script of an event at once, so a monitor with many scripts costs one
// round trip, not one per script.

export interface TsItem {
  /** The script file as found in the component folder. */
  readonly scriptPath: string;
  /** The file after following links (what is imported; relative imports resolve here). */
  readonly realPath: string;
  /** mtime, so an edited script is loaded afresh. */
  readonly version: number;
  readonly scriptName: string;
}

export type ToWorker =
  | {
      readonly type: 'run';
      readonly id: number;
      readonly items: readonly TsItem[];
      readonly event: string;
      readonly words: readonly string[];
      readonly env: Readonly<Record<string, string | undefined>>;
      /** Keep going after a failing script (RUN_ALL). */
      readonly runAll: boolean;
    }
  | { readonly type: 'abort'; readonly id: number }
  /** Release native resources and end the thread (terminating over them can crash). */
  | { readonly type: 'retire' };

export type FromWorker =
  | { readonly type: 'ready' }
  /**
   * The worker registered the TypeScript loader (a module-hooks thread) to import `path`, a
   * script with no up-to-date compiled twin. Sent once per worker; until then it has none.
   */
  | { readonly type: 'loader'; readonly path: string }
  | { readonly type: 'out'; readonly id: number; readonly index: number; readonly text: string }
  | {
      readonly type: 'done';
      readonly id: number;
      readonly index: number;
      readonly status: number;
      readonly begin: number;
      readonly end: number;
    }
  | { readonly type: 'finished'; readonly id: number };
