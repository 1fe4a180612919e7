import type { Response } from 'express';
import type { CommandOutcome } from '../application/command-context.js';

/** The body every command answers with, and the aggregate's version as a strong ETag. */
export function commandResponse<R extends Record<string, unknown>>(
  response: Response,
  outcome: CommandOutcome<R>,
): { id: string; version: number; position: number } & R {
  response.setHeader('ETag', `"${outcome.version}"`);
  return { id: outcome.id, version: outcome.version, position: outcome.position, ...outcome.result };
}
