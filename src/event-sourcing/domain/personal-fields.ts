/** Personal fields of a payload, each with the value it shows once its subject's data was erased. */
export type PersonalFields = Readonly<Record<string, unknown>>;
