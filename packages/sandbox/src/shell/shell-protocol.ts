import { randomBytes } from 'node:crypto';
import { quoteForBashLine } from './encode-bash-line.ts';

/** A prompt printed by the shell: the command with this id finished with this exit code in this directory. */
export interface ShellMarker {
  /** Id of the command line that produced this prompt; 0 for the first prompt and for lines we did not send. */
  commandId: number;
  exitCode: number;
  cwd: string;
  /** Where the marker starts and ends in the scanned text (the newline PS1 prints first is part of it). */
  index: number;
  length: number;
}

/** What the init script reports before the first prompt. */
export interface ShellStartNote {
  /** A saved state (cwd, exported environment) of an earlier shell was restored. */
  restored: boolean;
  /** Background jobs the earlier shell had; they are gone now. */
  lostJobs: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/** `export A=$'…' B=$'…'` for variables validated by `isValidEnvName`. */
export function exportStatement(vars: Record<string, string>): string {
  const parts = Object.entries(vars).map(([name, value]) => `${name}=${quoteForBashLine(value)}`);
  return parts.length === 0 ? '' : `export ${parts.join(' ')}`;
}

/**
 * The wire protocol between `BashSession` and bash: the prompt (PS1) is the end-of-command
 * marker and carries the command id, exit code and working directory. stdout and stderr share
 * the pty, so one marker ends both. A random nonce keeps command output from faking one.
 */
export class ShellProtocol {
  readonly nonce: string;
  private readonly start: string;
  private readonly end: string;
  private readonly note: string;
  private readonly markerPattern: RegExp;
  private readonly notePattern: RegExp;

  constructor(nonce: string = randomBytes(6).toString('hex')) {
    this.nonce = nonce;
    this.start = `__METIS_${nonce}__`;
    this.end = `__METIS_${nonce}_END__`;
    this.note = `__METIS_${nonce}_NOTE__`;
    this.markerPattern = new RegExp(`\\n?${this.start} (\\d+) (\\d+) ([^]*?) ${this.end}\\n`);
    this.notePattern = new RegExp(`${this.note} restored=(\\d) lost_jobs=(\\d+)`);
  }

  /** Environment for the shell process: the init script travels in `__METIS_INIT`. */
  initEnv(workdir: string): Record<string, string> {
    return { __METIS_INIT: this.initScript(), __METIS_WORKDIR: workdir };
  }

  /** The first line written to a fresh shell; everything before the first marker is discarded. */
  initLine(): string {
    return 'eval "$__METIS_INIT"\n';
  }

  /** A command line that reports `id` in its marker. `prelude` runs first (exports queued by `setEnv`). */
  commandLine(id: number, command: string, prelude = ''): string {
    const head = prelude ? `${prelude};` : '';
    return `${head}__metis_id=${id};eval ${quoteForBashLine(command)}\n`;
  }

  findMarker(text: string): ShellMarker | null {
    const match = this.markerPattern.exec(text);
    if (!match) return null;
    return {
      commandId: Number(match[1]),
      exitCode: Number(match[2]),
      cwd: match[3] ?? '',
      index: match.index,
      length: match[0].length,
    };
  }

  /**
   * How many characters at the end of `text` must wait for more data because they could be
   * the beginning of a marker: a started marker, or a prefix of its opening token at the start
   * of a line. The newline PS1 prints first is never held back (a marker matches without it),
   * so output is not delayed by a trailing newline.
   */
  holdBackLength(text: string): number {
    const started = text.lastIndexOf(this.start);
    if (started !== -1 && text.indexOf(`${this.end}\n`, started) === -1) return text.length - started;
    for (let n = Math.min(this.start.length - 1, text.length); n > 0; n--) {
      const from = text.length - n;
      if ((from === 0 || text[from - 1] === '\n') && this.start.startsWith(text.slice(from))) return n;
    }
    return 0;
  }

  parseStartNote(text: string): ShellStartNote {
    const match = this.notePattern.exec(text);
    return { restored: match?.[1] === '1', lostJobs: match ? Number(match[2]) : 0 };
  }

  private initScript(): string {
    const ps1 = `\\n${this.start} \${__metis_cid} \${__metis_ec} \${PWD} ${this.end}\\n`;
    return `unset __METIS_INIT
stty -echo -onlcr cols 200 rows 50 2>/dev/null
set +o history
unset HISTFILE PROMPT_COMMAND
__metis_state="\${HOME:-/tmp}/.metisai/shell-state"
if ! { mkdir -p -m 700 -- "\${__metis_state%/*}" && [[ -w \${__metis_state%/*} ]]; } 2>/dev/null; then
  __metis_state="/tmp/.metisai-shell-$UID/shell-state"
  mkdir -p -m 700 -- "\${__metis_state%/*}" 2>/dev/null
fi
# The session to end after a reconnect: ours from /proc (a pty helper may have made it), else our pid.
__metis_sid=$$
if { read -r __metis_line </proc/$$/stat; } 2>/dev/null; then
  read -r -a __metis_f <<<"\${__metis_line##*) }"
  __metis_sid=\${__metis_f[3]:-$$}
  unset __metis_line __metis_f
fi
__metis_save() {
  { printf '__metis_prev_sid=%s\\n__metis_prev_cwd=%q\\n' "$__metis_sid" "$PWD"; export -p; } 2>/dev/null >"$__metis_state"
  jobs -p 2>/dev/null >"$__metis_state.jobs"
}
__metis_kill_session() {
  local sid=$1 p pid line rest f e
  for p in /proc/[0-9]*; do
    pid=\${p#/proc/}
    [[ $pid == "$$" || $pid == 1 ]] && continue
    { read -r line <"$p/stat"; } 2>/dev/null || continue
    rest=\${line##*) }
    read -r -a f <<<"$rest"
    [[ \${f[3]} == "$sid" ]] || continue
    e=()
    { mapfile -t -d '' e <"$p/environ"; } 2>/dev/null
    [[ " \${e[*]} " == *" METISAI_SANDBOX_ID=$METISAI_SANDBOX_ID "* ]] || continue
    kill -9 "$pid" 2>/dev/null
  done
}
__metis_prev_sid= __metis_prev_cwd= __metis_restored=0 __metis_lost_jobs=0
if [[ -r $__metis_state ]]; then
  . "$__metis_state" 2>/dev/null
  __metis_restored=1
  if [[ -r $__metis_state.jobs ]]; then
    mapfile -t __metis_jobs <"$__metis_state.jobs"
    __metis_lost_jobs=\${#__metis_jobs[@]}
    unset __metis_jobs
  fi
  if [[ -n $__metis_prev_sid && $__metis_prev_sid != "$__metis_sid" ]]; then __metis_kill_session "$__metis_prev_sid"; fi
fi
cd -- "\${__metis_prev_cwd:-$__METIS_WORKDIR}" 2>/dev/null || cd -- "$__METIS_WORKDIR" 2>/dev/null
unset __METIS_WORKDIR
printf '\\n%s restored=%s lost_jobs=%s\\n' ${this.note} "$__metis_restored" "$__metis_lost_jobs"
unset __metis_prev_sid __metis_prev_cwd __metis_restored __metis_lost_jobs
__metis_id=0
PS2=
PROMPT_COMMAND='__metis_ec=$?;__metis_cid=\${__metis_id:-0};__metis_id=0;__metis_save'
PS1='${ps1}'
`;
  }
}
