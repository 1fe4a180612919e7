/** An ISO instant in UTC to the millisecond, which is how precise `recordedAt` is. */
export const when = (iso) => `${iso.replace('T', ' ').replace('Z', '')} UTC`;

/** A value as JSON on one line: strings quoted, so "1" and 1 look different. */
export const json = (value) => JSON.stringify(value);

/** A long stream id cut to its start, for lists; the full id is in the title. */
export const short = (id) => (id.length > 13 ? `${id.slice(0, 13)}…` : id);
