/** What a driver hands the shell: a byte pipe to an interactive bash on a pty. */
export interface ShellTransport {
  write(data: string): void;
  /** Stops reading output for now (the pty then blocks the writer): rendering is behind. Optional. */
  pause?(): void;
  /** Reads output again after `pause()`. */
  resume?(): void;
  /** Ends the shell process (and its pty). */
  close(): Promise<void>;
}

export interface ShellTransportHandlers {
  onData(chunk: Uint8Array): void;
  /** The shell process is gone; `exitCode` when the driver knows it. */
  onClose(exitCode: number | null): void;
}

/**
 * Starts `bash` on a pty with `env` added to its environment. The command line is the driver's
 * business; the shell only needs an interactive bash without readline (`--noediting -i`).
 */
export type OpenShellTransport = (env: Record<string, string>, handlers: ShellTransportHandlers) => Promise<ShellTransport>;

/** The bash command line every driver starts. */
export const BASH_ARGV = ['bash', '--noediting', '--noprofile', '--norc', '-i'] as const;
