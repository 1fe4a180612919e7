import type request from 'supertest';

export interface ProblemExpectation {
  /** The exact problem `type`. */
  type?: string;
  /** For 400s: the fields `errors` must name, no more and no fewer. */
  fields?: string[];
}

/** The problem `type` of this API for a slug, e.g. `insufficient-funds`. */
export const problemType = (slug: string) => `urn:chronicle:problem:${slug}`;

/**
 * Asserts an RFC 9457 problem response as API.md describes it. The status is compared
 * together with the body, so a failure shows what the server said.
 */
export function expectProblem(response: request.Response, status: number, expected: ProblemExpectation = {}): void {
  expect({ status: response.status, body: response.body }).toMatchObject({ status, body: { status } });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json\b/);
  expect(response.body).toEqual(
    expect.objectContaining({
      type: expected.type ?? expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.stringMatching(/\S/),
    }),
  );
  if (expected.fields) {
    const errors = response.body.errors as { field: string; message: string }[];
    expect(errors).toEqual(
      expect.arrayContaining([{ field: expect.any(String), message: expect.stringMatching(/\S/) }]),
    );
    expect([...new Set(errors.map((e) => e.field))].sort()).toEqual([...expected.fields].sort());
  }
}
