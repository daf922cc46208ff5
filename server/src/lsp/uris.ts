// Which documents ShapeLens analyses, and the file name the engine reports for a document URI.
import { fileURLToPath } from 'node:url';

/** Python documents with a `file` or `untitled` URI. */
export function isAnalysable(uri: string, languageId: string): boolean {
  const scheme = uri.slice(0, uri.indexOf(':'));
  return (scheme === 'file' || scheme === 'untitled') && (languageId === 'python' || /\.pyi?$/i.test(uri));
}

/** A file path for file URIs, the bare name (e.g. "Untitled-1") for untitled ones. */
export function engineFileName(uri: string): string {
  if (uri.startsWith('file:')) {
    try {
      return fileURLToPath(uri);
    } catch {
      // fall through: a malformed file URI still gets a readable name
    }
  }
  const rest = uri.slice(uri.indexOf(':') + 1).replace(/^\/\//, '');
  try {
    return decodeURIComponent(rest);
  } catch {
    return rest;
  }
}
