import { Logger } from '@nestjs/common';
import { runAppContextCommand } from './app-context-command.js';
import { FollowersService } from '#event-sourcing';

/**
 * `npm run projections:rebuild -- <name>`: rebuilds one view from position 0 into fresh
 * tables while the running app keeps serving the old ones, then switches over.
 */
const logger = new Logger('projections:rebuild');
const name = process.argv[2];
if (!name) {
  logger.error('usage: npm run projections:rebuild -- <follower name>   (GET /projections lists them)');
  process.exit(2);
}
await runAppContextCommand(logger, async (app) => {
  const { events, position, seconds } = await app.get(FollowersService).rebuild(name);
  logger.log(
    `${name}: ${events} events in ${seconds.toFixed(1)} s (${Math.round(events / seconds)} events/s), at position ${position}`,
  );
  return 0;
});
