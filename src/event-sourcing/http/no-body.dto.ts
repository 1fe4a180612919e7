/** The body of a command that takes none: absent or `{}`; any field is unknown, hence a 400. */
export class NoBody {}
