/** An account's statement lines from a version on, oldest first. */
export class GetStatement {
  constructor(
    readonly accountId: string,
    readonly fromVersion: number,
    readonly limit: number,
  ) {}
}
