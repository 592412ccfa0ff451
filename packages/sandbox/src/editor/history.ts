/**
 * Per-file undo stacks. An entry is the file's bytes before an edit (so undo restores them
 * exactly, whatever the encoding), or `null` when the edit was the `create` that brought the
 * file into existence.
 */
export class FileHistory {
  readonly #stacks = new Map<string, Array<Uint8Array | null>>();
  readonly #maxPerFile: number;

  constructor(maxPerFile: number) {
    this.#maxPerFile = Math.max(1, maxPerFile);
  }

  push(path: string, previous: Uint8Array | null): void {
    const stack = this.#stacks.get(path) ?? [];
    stack.push(previous);
    if (stack.length > this.#maxPerFile) stack.shift();
    this.#stacks.set(path, stack);
  }

  /** The most recent entry; `undefined` when there is nothing to undo. */
  peek(path: string): Uint8Array | null | undefined {
    return this.#stacks.get(path)?.at(-1);
  }

  pop(path: string): void {
    const stack = this.#stacks.get(path);
    stack?.pop();
    if (stack?.length === 0) this.#stacks.delete(path);
  }
}
