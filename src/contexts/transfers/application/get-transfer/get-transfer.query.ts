export class GetTransfer {
  constructor(readonly transferId: string) {}
}
