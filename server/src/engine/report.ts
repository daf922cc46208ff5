// The engine's output types: what one traced model looks like to the CLI, the server and the tests.
// This is the JSON contract of `shapelens summary --json` (see README), so change it with care.

/** A dimension: an integer, or a symbol name when the input left it symbolic (e.g. "N"). */
export type Dim = number | string;
export type Shape = Dim[];
/** A call's output: one tensor, or several for tuple/list returns (nested as returned). */
export type OutputShape = Shape | OutputShape[] | null;

export type Severity = 'error' | 'warning' | 'information';

/** 1-based lines and columns, end exclusive, as the CLI prints them. */
export interface Diagnostic {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: Severity;
  code: string;
  message: string;
  /** An edit that fixes it (the editor offers it as a quick fix); 1-based, end exclusive. */
  fix?: { title: string; line: number; column: number; endLine: number; endColumn: number; newText: string };
  /** Other places that explain the diagnostic (e.g. where the layer was built). */
  related?: { line: number; column: number; endLine?: number; endColumn?: number; message: string; file?: string }[];
}

/** Receptive field of the centre output unit per spatial dim, or 'global' when it covers the whole input. */
export type RF = number[] | 'global' | null;

export interface LayerRow {
  /** named_modules() path: "" for the root, "layer1.0.conv1"; null for a functional op. */
  path: string | null;
  type: string;
  output: OutputShape;
  /** Recursive parameter count of the module, shared tensors counted once. */
  params: number;
  rf: RF;
  /** Effective stride per spatial dim; a fraction string ("1/3") after upsampling when not an integer; null for a dim without a grid (squeezed to one unit). */
  jump: (number | string | null)[] | null;
  macs: number;
  /** Line where the module was constructed (1-based), or 0 when unknown. */
  line: number;
  /** Line of the call in forward (1-based). */
  callLine: number;
  /** Nesting depth of the call (root = 0), for indented tables. */
  depth: number;
  /** Hover explanations: the output-size arithmetic with this call's numbers, params by tensor, norm statistics. */
  explain?: string[];
}

/** The tensor a source line of forward (or a helper it calls) assigned or returned, last execution. */
export interface ValueRow {
  line: number;
  shape: OutputShape;
  rf: RF;
  jump: (number | string | null)[] | null;
}

export interface ModelReport {
  model: string;
  file: string;
  input: Shape[];
  output: OutputShape;
  params: { total: number; trainable: number };
  macs: number;
  /** Set when the batch is symbolic: `macs` (and each layer's) are for one sample. */
  macsPerSample?: boolean;
  layers: LayerRow[];
  /** Per-line tensor values for inlay hints and inline tests (not part of the CLI's JSON). */
  values: ValueRow[];
  diagnostics: Diagnostic[];
}

/** A model the file defines, found without running anything. */
export interface ModelInfo {
  name: string;
  kind: 'class' | 'factory' | 'variable';
  line: number;
  /** Last line of the definition (1-based). */
  endLine: number;
}

export interface InputSpec {
  shape: Dim[];
  dtype: 'float32' | 'int64';
}
