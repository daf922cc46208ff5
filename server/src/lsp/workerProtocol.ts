// Messages between the language server and its engine worker (types only).
import type { Diagnostic, FileAnalysis, InputSpec } from '../engine';

/** Per-analysis engine options that come from the user's settings. */
export interface EngineOptions {
  defaultInputs: Record<string, InputSpec[]>;
  batchSymbol: string;
}

interface Common {
  id: number;
  text: string;
  file: string;
  /** Open documents' text by file path, for imports of unsaved files. */
  open: Record<string, string>;
}

export type WorkerRequest =
  /** `probe`: a one-off variant of the text (completion), not a version of the file to parse incrementally from. */
  | (Common & { kind: 'analyze'; options: EngineOptions; probe?: boolean })
  | (Common & { kind: 'inputEdit'; model: string; inputs: InputSpec[] });

export type InputEditAnswer = NonNullable<Diagnostic['fix']> | { error: string };

export type WorkerResponse = { id: number; result: FileAnalysis | InputEditAnswer } | { id: number; error: string };
