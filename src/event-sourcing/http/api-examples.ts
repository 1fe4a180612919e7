/** The aggregate id the examples of the OpenAPI document share. */
export const EXAMPLE_ID = '01a21d09-a962-77d0-959c-212eb8154e30';
