// Messages between the language server and its engine worker (types only).
import type { FileAnalysis } from '../engine';

export interface WorkerRequest {
  id: number;
  text: string;
  file: string;
  /** Open documents' text by file path, for imports of unsaved files. */
  open: Record<string, string>;
}

export type WorkerResponse = { id: number; result: FileAnalysis } | { id: number; error: string };
