/**
 * A value already turned into JSON text, for KeyValueStore.write: stored as it is. The conversation
 * storage measures each state's JSON before writing it, so the store need not build the same text again.
 */
export class JsonText {
  constructor(readonly text: string) {}
}

/** The text a KeyValueStore keeps for `value`; undefined (the key deleted) for undefined. */
export function storedJson(value: unknown): string | undefined {
  // JSON.stringify(undefined) is undefined, whatever its type says.
  return value instanceof JsonText ? value.text : (JSON.stringify(value) as string | undefined);
}
