// Debounced per-document engine analysis: the newest version wins, stale results are dropped, the latest finished one is cached.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { analyzeSource, loadParser, type FileAnalysis, type SourceHost } from '../engine';
import { engineFileName } from './uris';

/** One finished analysis of one document version. */
export interface Analysis {
  uri: string;
  version: number;
  /** The file name given to the engine (a path for file URIs). */
  file: string;
  /** The engine's answer, or null when the engine failed (the failure is logged). */
  result: FileAnalysis | null;
}

interface Entry {
  timer: NodeJS.Timeout | null;
  /** Version currently being analysed, if any. */
  running: number | null;
  cached: Analysis | null;
  /** Callers of get() waiting for the analysis of the current version. */
  waiters: (() => void)[];
}

export interface StoreOptions {
  /** How the engine reads the project's other files (imports), when it runs in this thread. */
  host?: SourceHost;
  /** Runs the engine elsewhere (a worker thread); without it, in this thread. */
  analyze?: (text: string, file: string) => Promise<FileAnalysis>;
  /** Current document for a URI, or undefined once closed. */
  document(uri: string): TextDocument | undefined;
  /** Called with each analysis that is still current when it finishes. */
  onAnalyzed(a: Analysis): void;
  log(message: string): void;
  debounceMs?: number;
}

export class AnalysisStore {
  private readonly entries = new Map<string, Entry>();
  private readonly debounceMs: number;

  constructor(private readonly opts: StoreOptions) {
    this.debounceMs = opts.debounceMs ?? 150;
  }

  /**
   * Schedules an analysis of the document's current version. A pending timer is kept, not restarted:
   * while the user types, an analysis of the newest text runs every debounce interval, so results
   * never fall more than one analysis behind (a restarting debounce would starve them).
   */
  schedule(uri: string): void {
    const e = this.entry(uri);
    if (e.timer) return;
    e.timer = setTimeout(() => {
      e.timer = null;
      void this.run(uri);
    }, this.debounceMs);
  }

  /** Forgets a closed document and releases anyone waiting for it. */
  close(uri: string): void {
    const e = this.entries.get(uri);
    if (!e) return;
    if (e.timer) clearTimeout(e.timer);
    this.entries.delete(uri);
    this.release(e);
  }

  dispose(): void {
    for (const uri of [...this.entries.keys()]) this.close(uri);
  }

  /**
   * The latest finished analysis. With `stale`, any finished one answers at once (hover and inlay
   * hints while typing must not queue behind the next analysis); otherwise, or when none has
   * finished yet, it waits (up to timeoutMs) for the current version's if one is due.
   */
  async get(uri: string, timeoutMs = 5000, stale = false): Promise<Analysis | null> {
    const e = this.entries.get(uri);
    if (!e) return null;
    if (stale && e.cached) return e.cached;
    const doc = this.opts.document(uri);
    if (doc && e.cached?.version !== doc.version && (e.timer || e.running !== null)) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => e.waiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
    }
    return this.entries.get(uri)?.cached ?? null;
  }

  private entry(uri: string): Entry {
    let e = this.entries.get(uri);
    if (!e) this.entries.set(uri, (e = { timer: null, running: null, cached: null, waiters: [] }));
    return e;
  }

  private release(e: Entry): void {
    const ws = e.waiters.splice(0);
    for (const w of ws) w();
  }

  private async run(uri: string): Promise<void> {
    const e = this.entries.get(uri);
    const doc = this.opts.document(uri);
    if (!e || !doc) return;
    const version = doc.version;
    e.running = version;
    try {
      await loadParser();
    } catch (err) {
      this.opts.log(`ShapeLens: cannot load the Python parser: ${describe(err)}`);
    }
    // The document may have changed or closed while the parser loaded: a newer run is scheduled then.
    const now = this.opts.document(uri);
    if (this.entries.get(uri) !== e || !now || now.version !== version) {
      if (e.running === version) e.running = null;
      return;
    }
    const file = engineFileName(uri);
    let result: FileAnalysis | null = null;
    const started = Date.now();
    try {
      result = this.opts.analyze ? await this.opts.analyze(now.getText(), file) : analyzeSource(now.getText(), { file, host: this.opts.host });
    } catch (err) {
      this.opts.log(`ShapeLens: analysis of ${file} failed (engine bug): ${describe(err)}`);
    }
    e.running = null;
    const ms = Date.now() - started;
    if (ms > 1000) this.opts.log(`ShapeLens: analysing ${file} took ${ms} ms`);
    // A closed document's result is dropped. A result for an older version than the text is still the
    // latest finished one: published (with its version) while the next analysis is already scheduled,
    // so typing never starves the diagnostics.
    if (this.entries.get(uri) !== e || !this.opts.document(uri) || (e.cached && e.cached.version > version)) return;
    e.cached = { uri, version, file, result };
    if (!e.timer) this.release(e);
    try {
      this.opts.onAnalyzed(e.cached);
    } catch (err) {
      this.opts.log(`ShapeLens: publishing results for ${file} failed: ${describe(err)}`);
    }
  }
}

export function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? err.message;
  return String(err);
}
