// Custom LSP messages between the ShapeLens client and server (types only, no runtime code).

/** Method name of the summary request: the CLI's summary table for one open document. */
export type SummaryMethod = 'shapelens/summary';

export interface SummaryParams {
  /** URI of an open Python document. */
  uri: string;
}

export interface SummaryResult {
  /** The rendered summary tables (as `shapelens summary` prints them), or an explanation. */
  text: string;
}

/** Command id of the client's no-op command, used by title-only code lenses. */
export type NoopCommand = 'shapelens.noop';
