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

/** The model whose class (or factory) spans a line: for the status bar and "Set input shape". */
export type ModelAtMethod = 'shapelens/modelAt';

export interface ModelAtParams {
  uri: string;
  /** 0-based line of the cursor. */
  line: number;
}

export interface ModelAtResult {
  model: string;
  /** 0-based line where the model is defined. */
  line: number;
  params: number;
  /** Input shapes as written in a declaration comment (`N, 3, 32, 32`), empty when none is known. */
  input: string[];
  /** "[N, 3, 32, 32] → [N, 10]" or null when the trace did not finish. */
  flow: string | null;
}

/** Writes an input declaration for a model: the edit the client applies (or why there is none). */
export type InputEditMethod = 'shapelens/inputEdit';

export interface InputEditParams {
  uri: string;
  model: string;
  /** Shapes as the user typed them: `1x3x32x32`, `N, 3, 32, 32`, `[B, 3, 224, 224]`; several separated by `;`. */
  shape: string;
}

export interface InputEditResult {
  /** 0-based LSP range and its replacement, on the document of `uri`. */
  edit?: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string };
  /** Why no edit could be made (shown to the user). */
  error?: string;
}

/** Command ids the server puts on code lenses; the client registers them. */
export type SetInputCommand = 'shapelens.setInputShape';
export type ShowSummaryCommand = 'shapelens.showSummary';

/** The `shapelens` settings section the server reads (workspace/configuration). */
export interface ShapeLensSettings {
  /** Input per model (class, factory or variable) name, used when the file declares none: "1x3x32x32". */
  defaultInputs: Record<string, string>;
  /** Symbol for the batch dim of inputs the file does not declare. */
  batchSymbol: string;
  inlayHints: { forward: boolean; sequential: boolean; init: boolean };
}
