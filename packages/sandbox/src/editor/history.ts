/**
 * Per-file undo stacks. An entry is the file's text before an edit, or `null`
 * when the edit was the `create` that brought the file into existence.
 */
export class FileHistory {
  readonly #stacks = new Map<string, Array<string | null>>();
  readonly #maxPerFile: number;

  constructor(maxPerFile: number) {
    this.#maxPerFile = Math.max(1, maxPerFile);
  }

  push(path: string, previous: string | null): void {
    const stack = this.#stacks.get(path) ?? [];
    stack.push(previous);
    if (stack.length > this.#maxPerFile) stack.shift();
    this.#stacks.set(path, stack);
  }

  /** The most recent entry; `undefined` when there is nothing to undo. */
  peek(path: string): string | null | undefined {
    return this.#stacks.get(path)?.at(-1);
  }

  pop(path: string): void {
    const stack = this.#stacks.get(path);
    stack?.pop();
    if (stack?.length === 0) this.#stacks.delete(path);
  }
}
