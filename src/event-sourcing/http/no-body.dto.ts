import { ApiBody } from '@nestjs/swagger';

/** The body of a command that takes none: absent or `{}`; any field is unknown, hence a 400. */
export class NoBody {}

/** In the OpenAPI document: the route takes no body (absent, or an empty object). */
export const ApiNoBody = () =>
  ApiBody({
    required: false,
    description: 'None: leave it out, or send `{}`',
    schema: { type: 'object', maxProperties: 0 },
  });
