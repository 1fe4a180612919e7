export default async function globalTeardown() {
  await Reflect.get(globalThis, 'chronicleTestServer')?.stop();
}
