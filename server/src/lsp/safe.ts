// Wraps request handlers so an exception is logged to the client and an empty answer is returned instead.
import type { Connection } from 'vscode-languageserver/node';
import { describe } from './analysisStore';

export function safeHandler<P, R, A extends unknown[]>(
  connection: Connection,
  name: string,
  empty: R,
  handler: (params: P, ...rest: A) => R | Promise<R>,
): (params: P, ...rest: A) => Promise<R> {
  return async (params: P, ...rest: A): Promise<R> => {
    try {
      return await handler(params, ...rest);
    } catch (err) {
      try {
        connection.console.error(`ShapeLens: ${name} failed: ${describe(err)}`);
      } catch {
        // the connection itself is gone: nothing left to tell
      }
      return empty;
    }
  };
}
